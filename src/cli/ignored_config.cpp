// What of a printer.cfg is ignored (see ignored_config.hpp).
#include "cli/ignored_config.hpp"

#include <fmt/format.h>

#include "config/config.hpp"

namespace rtstep::cli {

IgnoredConfig ignored_config(const std::string& config_path) {
  auto machine = config::load(config_path);
  if (!machine) return {};
  std::vector<std::string> warnings;
  for (const config::ConfigNote& w : machine->report.warnings) warnings.push_back(w.text());
  return {machine->ignored_sections, machine->ignored_keys, warnings};
}

std::string ignored_config_text(const IgnoredConfig& ignored) {
  std::string text;
  if (!ignored.sections.empty()) text += fmt::format("ignored config sections: {}\n", fmt::join(ignored.sections, ", "));
  if (!ignored.keys.empty()) text += fmt::format("ignored config keys: {}\n", fmt::join(ignored.keys, ", "));
  for (const std::string& w : ignored.warnings) text += fmt::format("config warning: {}\n", w);
  return text;
}

}  // namespace rtstep::cli

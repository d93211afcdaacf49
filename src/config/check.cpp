// The config check (config.hpp: check): every section and key of a RawConfig against the table of
// klipper_sections.cpp, as Klipper checks a printer.cfg after loading it, plus what rtstep does with each.

#include <algorithm>
#include <string_view>
#include <tuple>

#include "config/config.hpp"
#include "config/klipper_sections.hpp"
#include "config/text.hpp"

namespace rtstep::config {

namespace {

using KeyEntry = std::pair<const std::string, Value>;

// Unknown section names at least this long that are near a known one are taken for misspellings.
constexpr size_t kMinMisspeltSection = 5;

std::string where(const std::string& file, uint32_t line) { return file + ":" + std::to_string(line); }

// The section's keys in the order they were written (the section keeps them sorted by name).
std::vector<const KeyEntry*> keys_in_line_order(const Section& s) {
  std::vector<const KeyEntry*> out;
  for (const KeyEntry& entry : s.values) out.push_back(&entry);
  std::stable_sort(out.begin(), out.end(), [](const KeyEntry* a, const KeyEntry* b) {
    return std::tie(a->second.file, a->second.line) < std::tie(b->second.file, b->second.line);
  });
  return out;
}

class Checker {
 public:
  ConfigReport run(const RawConfig& raw) {
    for (const Section& s : raw.sections) check_section(s);
    return std::move(report_);
  }

 private:
  void check_section(const Section& s);
  void unknown_section(const Section& s);
  // False when the key is not valid there (an error was added).
  bool check_key(const Section& s, const SectionSpec& spec, const KeyEntry& entry);
  void note_support(const Section& s, const SectionSpec& spec, const std::vector<const KeyEntry*>& keys);

  void error(const std::string& at, const Section& s, const std::string& message) {
    report_.errors.push_back(at + ": [" + s.name + "] " + message);
  }

  ConfigReport report_;
};

void Checker::check_section(const Section& s) {
  const SectionSpec* spec = find_section_spec(s.name);
  if (spec == nullptr) return unknown_section(s);
  const std::vector<const KeyEntry*> keys = keys_in_line_order(s);
  bool valid = true;
  for (const KeyEntry* entry : keys) valid = check_key(s, *spec, *entry) && valid;
  if (valid) note_support(s, *spec, keys);
}

// A section no entry matches: a known section written with or without a NAME it must not or must have, a
// misspelling of a known one (an error, as in Klipper), or a section of some extension rtstep has never
// heard of (listed, so a Klipper add-on's section does not stop the load).
void Checker::unknown_section(const Section& s) {
  const std::string at = where(s.file, s.line);
  const std::string_view word = std::string_view(s.name).substr(0, s.name.find(' '));
  const bool has_name = word.size() != s.name.size();
  std::vector<std::string_view> names;
  for (const SectionSpec& spec : section_specs()) {
    if (spec.name == word) {
      error(at, s,
            has_name ? "takes no name: write [" + std::string(word) + "]"
                     : "needs a name: [" + std::string(word) + " NAME]");
      return;
    }
    names.push_back(spec.name);
  }
  std::string reason = "is not a section of Klipper or of rtstep";
  if (const std::string_view near = text::nearest(word, names); !near.empty()) {
    const std::string suggestion =
        " (did you mean [" + std::string(near) + std::string(s.name.substr(word.size())) + "]?)";
    // A short name is as likely an add-on's own ([mmu] is not a misspelt [mcu]): listed, not refused.
    if (word.size() >= kMinMisspeltSection) return error(at, s, "unknown section" + suggestion);
    reason += suggestion;
  }
  report_.warnings.push_back({at, s.name, "", reason + "; rtstep ignores it (a third-party extension's?)"});
}

bool Checker::check_key(const Section& s, const SectionSpec& spec, const KeyEntry& entry) {
  const auto& [key, value] = entry;
  if (has_key(spec, key)) return true;
  const std::string at = where(value.file, value.line);
  if (const RemovedKey* removed = find_removed_key(spec, key)) {
    std::string reason = "removed from Klipper on " + std::string(removed->removed);
    if (!removed->instead.empty()) reason += " (use " + std::string(removed->instead) + ")";
    report_.warnings.push_back({at, s.name, key, reason + "; rtstep ignores it"});
    return true;
  }
  std::string message = key + ": unknown key in this section";
  if (const std::string_view near = text::nearest(key, plain_keys(spec)); !near.empty()) {
    message += " (did you mean " + std::string(near) + "?)";
  } else if (!spec.hint.empty()) {
    message += " (" + std::string(spec.hint) + ")";
  }
  error(at, s, message);
  return false;
}

void Checker::note_support(const Section& s, const SectionSpec& spec, const std::vector<const KeyEntry*>& keys) {
  const std::string at = where(s.file, s.line);
  switch (spec.support) {
    case Support::kIgnored:
      report_.ignored.push_back({at, s.name, "", ""});
      return;
    case Support::kWarned:
      report_.warnings.push_back({at, s.name, "", "rtstep does not do " + std::string(spec.what)});
      return;
    case Support::kUsed:
      break;
  }
  for (const KeyEntry* entry : keys) {
    const auto& [key, value] = *entry;
    if (find_removed_key(spec, key) != nullptr && !has_key(spec, key)) continue;  // already warned
    if (list_has_key(spec.ignored_keys, key))
      report_.ignored.push_back({where(value.file, value.line), s.name, key, ""});
    if (list_has_key(spec.warned_keys, key)) {
      report_.warnings.push_back(
          {where(value.file, value.line), s.name, key, "rtstep does not do " + std::string(spec.what)});
    }
  }
}

}  // namespace

std::string ConfigNote::name() const { return "[" + section + "]" + (key.empty() ? "" : " " + key); }

std::string ConfigNote::text() const { return where + ": " + name() + (reason.empty() ? "" : ": " + reason); }

ConfigReport check(const RawConfig& raw) { return Checker().run(raw); }

}  // namespace rtstep::config

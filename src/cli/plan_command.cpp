// `rtstep plan`: the command line of machine::plan_job (machine/host_pipeline.hpp).
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/parse_errors.hpp"
#include "cli/ignored_config.hpp"
#include "cli/progress.hpp"
#include "machine/host_pipeline.hpp"

namespace rtstep::cli {

namespace {

// Why the G-code file cannot be read ("" when it can), in the words `rtstep run` uses.
std::string unreadable_reason(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fmt::format("{}: cannot open G-code file: {}", path, std::strerror(errno));
  ::close(fd);
  return {};
}

// How far plan_job has read the G-code file: the read offset of this process's descriptor open on it, from
// /proc/self/fdinfo (as `pv -d` watches a file another program reads), so plan_job's stream needs no hook.
// Sampled on the progress thread; plan_job opens the file after the progress starts, so the descriptor
// is looked for until found.
class ReadOffset {
 public:
  explicit ReadOffset(const std::string& path) {
    std::error_code ec;
    path_ = std::filesystem::canonical(path, ec).string();
    size_ = std::filesystem::file_size(path_, ec);
    if (ec) size_ = 0;
  }
  uint64_t size() const { return size_; }
  void finish() { done_.store(true, std::memory_order_release); }  // plan_job has returned: all was read
  uint64_t offset() {
    if (done_.load(std::memory_order_acquire)) return size_;
    if (fd_.empty()) fd_ = find_descriptor();
    if (fd_.empty()) return 0;
    std::ifstream info("/proc/self/fdinfo/" + fd_);
    for (std::string key; info >> key;) {
      if (key == "pos:") {
        uint64_t pos = 0;
        info >> pos;
        return pos;
      }
    }
    fd_.clear();  // closed meanwhile: plan_job has finished reading
    return size_;
  }

 private:
  std::string find_descriptor() const {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
      std::error_code link_ec;
      if (std::filesystem::read_symlink(entry.path(), link_ec).string() == path_) return entry.path().filename().string();
    }
    return {};
  }
  std::string path_;
  uint64_t size_ = 0;
  std::string fd_;  // the descriptor's number, once found (progress thread only)
  std::atomic<bool> done_{false};
};

}  // namespace

void add_plan_command(CLI::App& app, Commands& commands) {
  struct Options {
    machine::PlanOptions plan;
    bool json = false;
    bool quiet = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* plan = app.add_subcommand("plan", "Plan a G-code file on the host only (no executor) and summarise the steps");
  plan->add_option("--config,-c", options->plan.config_path, "printer.cfg to use")->required()->check(CLI::ExistingFile);
  plan->add_option("gcode", options->plan.gcode_path, "G-code file to plan ('-' = standard input)")
      ->required()
      ->check(existing_file_or_stdin());
  plan->add_flag("--json", options->json, "Print the summary as one JSON object on stdout (also after a failure)");
  plan->add_flag("--quiet,-q", options->quiet, "Print errors only: no progress or notes on stderr");
  plan->add_option("--steps-csv", options->plan.steps_csv_dir,
                   "Write every exact step time to DIR/<stepper>.csv (time_ns,dir,position)");
  commands.push_back({plan, [options] {
                        options->plan.gcode_path = gcode_input_path(options->plan.gcode_path);
                        // Checked here so that the message gives the reason, as `rtstep run` does (a FIFO
                        // or /dev/stdin is opened once only: by plan_job).
                        if (options->plan.gcode_path != "/dev/stdin") {
                          if (const std::string why = unreadable_reason(options->plan.gcode_path); !why.empty()) {
                            std::cerr << "rtstep plan: " << why << '\n';
                            return exit_code::kUsage;
                          }
                        }
                        // Progress by the share of the file read (a pipe or stdin has no size: no progress).
                        ReadOffset read(options->plan.gcode_path);
                        Progress progress(std::cerr, isatty(STDERR_FILENO) != 0, [&read] {
                          const double fraction = static_cast<double>(read.offset()) / static_cast<double>(read.size());
                          return ProgressLine{fraction, fmt::format("plan: {:5.1f}% of {:.1f} MB read", 100.0 * fraction,
                                                                    static_cast<double>(read.size()) / 1e6)};
                        });
                        if (!options->quiet && read.size() > 0) progress.start();
                        std::ostream quiet_log(nullptr);  // a stream without a buffer drops what it is given
                        machine::PlanSummary summary = machine::plan_job(options->plan, options->quiet ? quiet_log : std::cerr);
                        read.finish();
                        progress.stop();
                        if (!summary.error.empty()) std::cerr << "rtstep plan: " << summary.error << '\n';
                        const IgnoredConfig ignored = ignored_config(options->plan.config_path);
                        if (options->json) {
                          nlohmann::json j = summary.to_json();
                          j["ignored_sections"] = ignored.sections;
                          j["ignored_keys"] = ignored.keys;
                          j["config_warnings"] = ignored.warnings;
                          std::cout << j.dump(2) << '\n';
                        } else if (!summary.steppers.empty()) {  // a plan that never started has nothing to sum up
                          summary.error.clear();  // said on stderr above
                          std::cout << summary.to_text();
                          if (!summary.ignored_commands.empty()) {
                            std::cout << fmt::format("ignored commands: {}\n", fmt::join(summary.ignored_commands, " "));
                          }
                          std::cout << ignored_config_text(ignored);
                        }
                        return summary.exit_code;
                      }});
}

}  // namespace rtstep::cli

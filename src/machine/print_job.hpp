#pragma once
// PrintJob: Klipper's virtual_sdcard and print_stats for the controller. A folder of G-code files (the
// virtual SD card; Moonraker uploads into it without telling anyone, so it is listed afresh every time),
// one selected file read line by line at a byte position, and the job's account: state, durations and the
// filament used.
//
// States (print_stats.state): standby (no job), printing, paused, complete, cancelled, error.
// Thread: the controller's owner thread only. Non-real-time.

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "machine/gcode_input.hpp"
#include "util/result.hpp"

namespace rtstep::machine {

class PrintJob {
 public:
  // `folder`: the virtual SD card ("" = none: every job command fails and says so).
  explicit PrintJob(std::string folder);
  ~PrintJob();
  PrintJob(const PrintJob&) = delete;
  PrintJob& operator=(const PrintJob&) = delete;

  // M23 / SDCARD_PRINT_FILE: opens `filename` (relative to the folder; no "..") and makes it the job, at
  // byte 0, state standby. Errors: no folder, a name outside it, a file that cannot be opened, a job that
  // is printing.
  Status select(const std::string& filename);
  // `rtstep run`: any path (a file, a pipe, /dev/stdin) as the job, read as it arrives through `wait`
  // (gcode_input.hpp; null: reads block), named by its path. Errors: a job is printing, it cannot be opened.
  Status select_path(const std::string& path, InputWait* wait);
  // M24 / the start of SDCARD_PRINT_FILE and RESUME: reads from the current position. `e_mm`: the
  // extruder's position now (filament used counts from here). Errors: nothing selected.
  Status start(double now_s, double e_mm);
  // Stops reading (PAUSE, M25): state paused.
  void pause(double now_s);
  // Ends the job: complete, cancelled or error (with a message). The file is closed.
  void finish(const std::string& state, double now_s, const std::string& message = "");
  // SDCARD_RESET_FILE: closes the file, state standby.
  void reset();

  // The next line of the file while printing. nullopt at its end, on a read error (error() says which), or
  // when the InputWait gave up (gave_up()).
  std::optional<std::string> next_line();
  const std::string& error() const noexcept { return error_; }
  bool gave_up() const noexcept { return input_ && input_->gave_up(); }
  uint64_t size() const noexcept { return size_; }  // 0: not a regular file
  uint32_t line_number() const noexcept { return line_; }
  uint64_t position() const noexcept { return position_; }  // bytes of the lines read so far

  bool printing() const noexcept { return state_ == "printing"; }
  bool paused() const noexcept { return state_ == "paused"; }
  const std::string& state() const noexcept { return state_; }
  const std::string& filename() const noexcept { return filename_; }
  bool has_folder() const noexcept { return !folder_.empty(); }

  // M20's list: "name size" per file, in name order (subfolders with their relative path).
  std::vector<std::pair<std::string, uint64_t>> files() const;
  // M27: "SD printing byte X/Y" or "Not SD printing."
  std::string progress_report() const;
  // Called by the controller as the extruder moves (filament used).
  void extruder_at(double e_mm) noexcept;

  nlohmann::json virtual_sdcard_status() const;  // file_path, progress, is_active, file_position, file_size
  nlohmann::json print_stats_status(double now_s) const;  // filename, total/print durations, filament_used, state, message, info
  double progress() const noexcept;

 private:
  bool cut_short();  // the file is now shorter than what was read: error() says so
  Status open(const std::string& path, InputWait* wait);  // the stream below, at byte 0, state standby
  void close();
  bool is_open() const noexcept { return fd_ >= 0; }
  std::string folder_;
  std::string filename_, path_;
  int fd_ = -1;
  std::unique_ptr<GcodeInput> input_;
  std::unique_ptr<std::istream> stream_;
  bool regular_ = false;  // a regular file: its size is known and watched (cut_short)
  bool reading_ = false, close_pending_ = false;  // close() during a read waits for its end
  uint64_t position_ = 0, size_ = 0;
  uint32_t line_ = 0;
  std::string state_ = "standby";
  std::string message_, error_;
  double started_s_ = -1, ended_s_ = -1, paused_since_s_ = -1, paused_total_s_ = 0;
  double e_start_ = 0, filament_used_ = 0;
};

}  // namespace rtstep::machine

// PrintJob (see print_job.hpp).
#include "machine/print_job.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "gcode/gcode.hpp"

namespace rtstep::machine {
namespace fs = std::filesystem;

PrintJob::PrintJob(std::string folder) : folder_(std::move(folder)) {}
PrintJob::~PrintJob() { close(); }

Status PrintJob::select(const std::string& filename) {
  if (folder_.empty()) return Error{"no [virtual_sdcard] path is configured: there is no folder to print from"};
  if (printing()) return Error{"SD busy"};
  const fs::path relative = fs::path(filename).lexically_normal();
  if (filename.empty() || relative.is_absolute() || *relative.begin() == "..") {
    return Error{fmt::format("Unable to open file \"{}\": not a file of the virtual_sdcard folder", filename)};
  }
  if (auto opened = open((fs::path(folder_) / relative).string(), nullptr); !opened) {
    return Error{fmt::format("Unable to open file \"{}\": {}", filename, opened.error().message)};
  }
  filename_ = relative.string();
  return Ok{};
}

Status PrintJob::select_path(const std::string& path, InputWait* wait) {
  if (printing()) return Error{"SD busy"};
  if (auto opened = open(path, wait); !opened) {
    return Error{fmt::format("{}: cannot open G-code file: {}", path, opened.error().message)};
  }
  filename_ = path;
  return Ok{};
}

Status PrintJob::open(const std::string& path, InputWait* wait) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{std::strerror(errno)};
  close();
  fd_ = fd;
  struct stat st {};
  regular_ = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  size_ = regular_ ? static_cast<uint64_t>(st.st_size) : 0;
  input_ = std::make_unique<GcodeInput>(fd, wait);
  stream_ = std::make_unique<std::istream>(input_.get());
  path_ = path;
  position_ = 0;
  line_ = 0;
  state_ = "standby";
  message_.clear();
  error_.clear();
  started_s_ = ended_s_ = paused_since_s_ = -1;
  paused_total_s_ = filament_used_ = 0;
  return Ok{};
}

void PrintJob::close() {
  // While next_line() reads, its InputWait may serve the controller, which may end the job (a shutdown):
  // the stream it is reading from goes once the read is over.
  if (reading_) {
    close_pending_ = true;
    return;
  }
  close_pending_ = false;
  stream_.reset();
  input_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status PrintJob::start(double now_s, double e_mm) {
  if (!is_open()) return Error{"no file selected: use SDCARD_PRINT_FILE FILENAME=... or M23"};
  if (started_s_ < 0) started_s_ = now_s;
  if (paused_since_s_ >= 0) paused_total_s_ += now_s - paused_since_s_;
  paused_since_s_ = -1;
  e_start_ = e_mm - filament_used_;
  state_ = "printing";
  return Ok{};
}

void PrintJob::pause(double now_s) {
  if (!printing()) return;
  state_ = "paused";
  paused_since_s_ = now_s;
}

void PrintJob::finish(const std::string& state, double now_s, const std::string& message) {
  if (paused_since_s_ >= 0) paused_total_s_ += now_s - paused_since_s_;
  paused_since_s_ = -1;
  ended_s_ = now_s;
  state_ = state;
  message_ = message;
  close();
}

void PrintJob::reset() {
  close();
  filename_.clear();
  path_.clear();
  position_ = size_ = 0;
  line_ = 0;
  state_ = "standby";
  message_.clear();
  started_s_ = ended_s_ = paused_since_s_ = -1;
  paused_total_s_ = filament_used_ = 0;
}

bool PrintJob::cut_short() {
  struct stat st {};
  // Shorter than at the start, or than what was read: the end of the stream is not the end of the file.
  if (!regular_ || ::stat(path_.c_str(), &st) != 0) return false;
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size >= size_ && size >= position_) return false;
  error_ = fmt::format("{}: the file was cut short while printing (at byte {})", filename_, position_);
  return true;
}

std::optional<std::string> PrintJob::next_line() {
  // A file removed while it prints is still readable to its end (the job holds it open); one cut short
  // is not: the stream's buffer would hide it for a while, so its size is looked at every few lines.
  constexpr uint32_t kSizeCheckLines = 32;
  std::string line;
  reading_ = true;
  const bool read = stream_ && std::getline(*stream_, line);
  reading_ = false;
  if (close_pending_) {
    close();
    return std::nullopt;
  }
  if (!read) {
    if (!input_) return std::nullopt;
    if (!input_->error().empty()) error_ = fmt::format("{}: {} at byte {}", filename_, input_->error(), position_);
    else if (!input_->gave_up()) (void)cut_short();
    return std::nullopt;
  }
  if (line_ % kSizeCheckLines == 0 && cut_short()) return std::nullopt;
  position_ += line.size() + (stream_->eof() ? 0 : 1);
  // A UTF-8 byte order mark (some editors write one) is not part of the first line.
  if (line_ == 0 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
  ++line_;
  // As the G-code reader: code past kMaxLineLength is an error; a long comment (a slicer's settings) is not,
  // and a byte that is not text says more (the parser names it).
  const bool text = std::none_of(line.begin(), line.end(), [](char c) {
    return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
  });
  if (text && line.size() > gcode::kMaxLineLength && line.find(';') >= gcode::kMaxLineLength) {
    error_ = fmt::format("{}:{}:{}: line too long ({} bytes, max {})", filename_, line_, gcode::kMaxLineLength + 1,
                         line.size(), gcode::kMaxLineLength);
    return std::nullopt;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::vector<std::pair<std::string, uint64_t>> PrintJob::files() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  if (folder_.empty()) return out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(folder_, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string ext = it->path().extension().string();
    if (ext != ".gcode" && ext != ".g" && ext != ".gco") continue;
    out.emplace_back(fs::relative(it->path(), folder_, ec).string(), static_cast<uint64_t>(it->file_size(ec)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string PrintJob::progress_report() const {
  if (!is_open()) return "Not SD printing.";
  return fmt::format("SD printing byte {}/{}", position_, size_);
}

void PrintJob::extruder_at(double e_mm) noexcept {
  if (printing()) filament_used_ = std::max(0.0, e_mm - e_start_);
}

double PrintJob::progress() const noexcept {
  if (size_ == 0) return 0;
  return std::min(1.0, static_cast<double>(position_) / static_cast<double>(size_));
}

nlohmann::json PrintJob::virtual_sdcard_status() const {
  return {{"file_path", path_.empty() ? nlohmann::json(nullptr) : nlohmann::json(path_)},
          {"progress", progress()},
          {"is_active", printing()},
          {"file_position", position_},
          {"file_size", size_}};
}

nlohmann::json PrintJob::print_stats_status(double now_s) const {
  double total = 0, paused = paused_total_s_;
  if (started_s_ >= 0) total = (ended_s_ >= 0 ? ended_s_ : now_s) - started_s_;
  if (paused_since_s_ >= 0) paused += now_s - paused_since_s_;
  return {{"filename", filename_},
          {"total_duration", total},
          {"print_duration", std::max(0.0, total - paused)},
          {"filament_used", filament_used_},
          {"state", state_},
          {"message", message_},
          {"info", {{"total_layer", nullptr}, {"current_layer", nullptr}}}};
}

}  // namespace rtstep::machine

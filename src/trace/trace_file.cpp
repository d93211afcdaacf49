// Trace files (docs/trace-format.md): TraceWriter drains the sim backend on its own thread; read_trace
// loads a file back. Little-endian, fixed-size records after a variable-length header.

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include "trace/trace.hpp"

namespace rtstep::trace {

namespace {

constexpr std::size_t kDrainBatch = 4096;
constexpr auto kDrainPeriod = std::chrono::milliseconds(2);
constexpr std::size_t kMaxNameLength = 255;

struct FixedHeader {
  char magic[8];
  uint32_t version;
  uint32_t flags;
  uint32_t pin_count;
  uint32_t stepper_count;
  uint32_t record_size;
  uint32_t reserved;
};
static_assert(sizeof(FixedHeader) == 32);

bool put(std::FILE* f, const void* data, std::size_t n) { return std::fwrite(data, 1, n, f) == n; }

bool put_name(std::FILE* f, const std::string& name) {
  const auto len = static_cast<uint16_t>(std::min(name.size(), kMaxNameLength));
  return put(f, &len, sizeof len) && put(f, name.data(), len);
}

// The trailer: a record no write can produce (nothing changed, time -1).
gpio::EdgeRecord trailer(uint64_t records, uint64_t lost) {
  return {-1, static_cast<int64_t>(lost), 0, records};
}

}  // namespace

TraceWriter::~TraceWriter() { (void)finish(); }

Status TraceWriter::start(const std::string& path, const TraceHeader& header, gpio::SimBackend& backend) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) return Error{path + ": cannot create trace file: " + std::strerror(errno)};
  path_ = path;
  FixedHeader fixed{};
  std::memcpy(fixed.magic, kMagic, sizeof kMagic);
  fixed.version = kVersion;
  fixed.flags = header.flags;
  fixed.pin_count = static_cast<uint32_t>(header.pin_names.size());
  fixed.stepper_count = static_cast<uint32_t>(header.steppers.size());
  fixed.record_size = sizeof(gpio::EdgeRecord);
  bool ok = put(file_, &fixed, sizeof fixed);
  for (const auto& name : header.pin_names) ok = ok && put_name(file_, name);
  for (const auto& s : header.steppers) {
    ok = ok && put(file_, &s.step_pin, sizeof s.step_pin) && put(file_, &s.dir_pin, sizeof s.dir_pin) &&
         put_name(file_, s.name);
  }
  if (!ok) {
    const int err = errno;
    std::fclose(file_);
    file_ = nullptr;
    return Error{path + ": cannot write trace header: " + std::strerror(err)};
  }
  backend_ = &backend;
  buffer_.resize(kDrainBatch);
  thread_ = std::thread([this] { drain_loop(); });
  return Ok{};
}

bool TraceWriter::drain_once() {
  for (;;) {
    const std::size_t n = backend_->drain_edges(buffer_);
    if (n == 0) return true;
    if (!put(file_, buffer_.data(), n * sizeof(gpio::EdgeRecord))) return note_failure("writing edge records");
    written_.store(written_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    if (n < buffer_.size()) return true;
  }
}

// Keeps the first failure with errno captured at the failing call (ENOSPC, EFBIG, EIO, ...).
bool TraceWriter::note_failure(const char* what) {
  const int err = errno;
  if (error_.empty()) {
    error_ = path_ + ": " + what + " failed after " + std::to_string(written_.load(std::memory_order_relaxed)) +
             " records: " + std::strerror(err) + "; the trace is incomplete (the motion was not affected)";
  }
  return false;
}

void TraceWriter::drain_loop() {
  while (!stop_.load(std::memory_order_acquire)) {
    if (!drain_once()) {
      // error_ is written before the release store; finish() reads it after joining this thread.
      failed_.store(true, std::memory_order_release);
      return;
    }
    std::this_thread::sleep_for(kDrainPeriod);
  }
}

Status TraceWriter::finish() {
  if (file_ == nullptr) return Ok{};
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
  // After a failure nothing more is written: a trailer after a gap would make a damaged file look whole.
  bool ok = !failed_.load(std::memory_order_acquire) && drain_once();
  if (ok) {
    const gpio::EdgeRecord end = trailer(written_.load(std::memory_order_relaxed), backend_->lost_edges());
    ok = put(file_, &end, sizeof end) || note_failure("writing the trailer");
    ok = (std::fflush(file_) == 0 || note_failure("flushing the file")) && ok;
  }
  if (std::fclose(file_) != 0 && ok) ok = note_failure("closing the file");
  file_ = nullptr;
  if (!ok) return Error{error_};
  return Ok{};
}

namespace {

template <typename T>
bool get(std::istream& in, T& value) {
  return static_cast<bool>(in.read(reinterpret_cast<char*>(&value), sizeof value));
}

bool get_name(std::istream& in, std::string& name) {
  uint16_t len = 0;
  if (!get(in, len) || len > kMaxNameLength) return false;
  name.resize(len);
  return static_cast<bool>(in.read(name.data(), len));
}

}  // namespace

Result<Trace> read_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot open trace file: " + std::strerror(errno)};
  const auto bad = [&](const std::string& what) { return Error{path + ": not a valid rtstep trace: " + what}; };
  FixedHeader fixed{};
  if (!get(in, fixed) || std::memcmp(fixed.magic, kMagic, sizeof kMagic) != 0) return bad("wrong magic");
  if (fixed.version != kVersion) {
    return bad("version " + std::to_string(fixed.version) + ", this rtstep reads version " + std::to_string(kVersion));
  }
  if (fixed.record_size != sizeof(gpio::EdgeRecord)) return bad("record size " + std::to_string(fixed.record_size));
  if (fixed.pin_count > gpio::kMaxPins || fixed.stepper_count > gpio::kMaxPins) return bad("too many pins or steppers");
  Trace trace;
  trace.header.flags = fixed.flags;
  trace.header.pin_names.resize(fixed.pin_count);
  for (auto& name : trace.header.pin_names) {
    if (!get_name(in, name)) return bad("truncated pin names");
  }
  trace.header.steppers.resize(fixed.stepper_count);
  for (auto& s : trace.header.steppers) {
    if (!get(in, s.step_pin) || !get(in, s.dir_pin) || !get_name(in, s.name)) return bad("truncated stepper table");
    if (s.step_pin >= fixed.pin_count || s.dir_pin >= fixed.pin_count) return bad("stepper " + s.name + " names a pin out of range");
  }
  gpio::EdgeRecord r{};
  while (get(in, r)) {
    if (r.changed == 0 && r.issued_ns == -1) {
      trace.lost = static_cast<uint64_t>(r.scheduled_ns);
      trace.complete = r.levels == trace.records.size();
      if (!trace.complete) return bad("trailer counts " + std::to_string(r.levels) + " records, file has " +
                                      std::to_string(trace.records.size()));
      break;
    }
    trace.records.push_back(r);
  }
  return trace;
}

std::string signal_name(const std::string& raw) {
  std::string out;
  for (const char c : raw) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += keep ? c : '_';
  }
  return out.empty() ? "pin" : out;
}

}  // namespace rtstep::trace

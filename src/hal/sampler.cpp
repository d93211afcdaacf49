// sampler / streamer and their built-in user programs (see sampler.hpp).
#include "hal/sampler.hpp"

#include <cctype>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "hal/component.hpp"

namespace rtstep::hal {

// --- RowFifo ---

RowFifo::RowFifo(std::size_t width, std::size_t depth)
    : width_(width), depth_(depth), data_((depth + 1) * std::max<std::size_t>(width, 1)) {}

std::size_t RowFifo::size() const noexcept {
  const std::size_t h = head_.load(std::memory_order_acquire);
  const std::size_t t = tail_.load(std::memory_order_acquire);
  return (h + depth_ + 1 - t) % (depth_ + 1);
}

bool RowFifo::try_push(const uint64_t* row) noexcept {
  const std::size_t h = head_.load(std::memory_order_relaxed);
  const std::size_t next = (h + 1) % (depth_ + 1);
  if (next == tail_.load(std::memory_order_acquire)) return false;  // full
  for (std::size_t i = 0; i < width_; ++i) data_[h * width_ + i] = row[i];
  head_.store(next, std::memory_order_release);
  return true;
}

bool RowFifo::try_pop(uint64_t* row) noexcept {
  const std::size_t t = tail_.load(std::memory_order_relaxed);
  if (t == head_.load(std::memory_order_acquire)) return false;  // empty
  for (std::size_t i = 0; i < width_; ++i) row[i] = data_[t * width_ + i];
  tail_.store((t + 1) % (depth_ + 1), std::memory_order_release);
  return true;
}

// --- Text format ---

Result<std::vector<Type>> parse_sample_cfg(const std::string& cfg) {
  std::vector<Type> types;
  for (const char c : cfg) {
    switch (c) {
      case 'b': case 'B': types.push_back(Type::kBit); break;
      case 'f': case 'F': case 'r': case 'R': types.push_back(Type::kFloat); break;
      case 's': case 'S': types.push_back(Type::kS32); break;
      case 'u': case 'U': types.push_back(Type::kU32); break;
      case 'l': case 'L': types.push_back(Type::kS64); break;
      case 'k': case 'K': types.push_back(Type::kU64); break;
      default:
        return Error{"cfg=" + cfg + ": unknown pin type '" + std::string(1, c) + "' (b, f, s, u, l, k)"};
    }
  }
  if (types.empty()) return Error{"cfg= is empty"};
  return types;
}

std::string format_sample_row(const std::vector<Type>& types, const uint64_t* row) {
  std::string out;
  char buf[64];
  for (std::size_t i = 0; i < types.size(); ++i) {
    switch (types[i]) {
      case Type::kBit: std::snprintf(buf, sizeof buf, "%d ", Value::decode<bool>(row[i]) ? 1 : 0); break;
      case Type::kFloat: std::snprintf(buf, sizeof buf, "%f ", Value::decode<double>(row[i])); break;
      case Type::kS32: std::snprintf(buf, sizeof buf, "%" PRId32 " ", Value::decode<int32_t>(row[i])); break;
      case Type::kU32: std::snprintf(buf, sizeof buf, "%" PRIu32 " ", Value::decode<uint32_t>(row[i])); break;
      case Type::kS64: std::snprintf(buf, sizeof buf, "%" PRId64 " ", Value::decode<int64_t>(row[i])); break;
      case Type::kU64: std::snprintf(buf, sizeof buf, "%" PRIu64 " ", Value::decode<uint64_t>(row[i])); break;
    }
    out += buf;
  }
  return out;
}

Result<std::vector<uint64_t>> parse_sample_row(const std::vector<Type>& types, const std::string& line) {
  std::istringstream in(line);
  std::vector<uint64_t> row;
  // Words after the last value are ignored, as LinuxCNC's halstreamer ignores them: that is where its
  // files put comments ("1 0   # reset"). A value must be a whole word ("4#x" is not a value).
  for (std::string word; row.size() < types.size() && in >> word;) {
    auto v = parse_value(types[row.size()], word);
    if (!v) return v.error();
    row.push_back(*v);
  }
  if (row.size() != types.size()) {
    return Error{std::to_string(row.size()) + " values, " + std::to_string(types.size()) + " expected"};
  }
  return row;
}

// --- The real-time functions ---

namespace {

void sampler_fn(void* arg, int64_t /*period*/) noexcept {
  auto& c = *static_cast<SampleChannel*>(arg);
  if (!c.enable.get()) return;
  for (std::size_t i = 0; i < c.pins.size(); ++i) c.row[i] = c.pins[i]->get();
  if (c.fifo().try_push(c.row.data())) {
    c.full_or_empty.set(false);
  } else {
    c.full_or_empty.set(true);
    c.overruns.set(c.overruns.get() + 1);
  }
  c.sample_num.set(c.sample_num.get() + 1);
  c.curr_depth.set(static_cast<int32_t>(c.fifo().size()));
}

void streamer_fn(void* arg, int64_t /*period*/) noexcept {
  auto& c = *static_cast<SampleChannel*>(arg);
  if (!c.enable.get()) return;
  if (c.fifo().try_pop(c.row.data())) {
    for (std::size_t i = 0; i < c.pins.size(); ++i) c.pins[i]->set(c.row[i]);
    c.full_or_empty.set(false);
  } else {
    c.full_or_empty.set(true);  // "empty": the pins keep their values
    c.overruns.set(c.overruns.get() + 1);  // underruns
  }
  c.curr_depth.set(static_cast<int32_t>(c.fifo().size()));
}

Status load_fifo_comp(Hal& hal, LoadArgs& args, const std::string& comp, bool is_sampler) {
  auto cfg = args.take("cfg");
  if (!cfg) return Error{"loadrt " + comp + ": cfg= is required (one letter per pin: b f s u l k)"};
  auto cfgs = split_list("cfg", *cfg);
  if (!cfgs) return Error{"loadrt " + comp + ": " + cfgs.error().message};
  std::vector<std::size_t> depths(cfgs->size(), 1024);
  if (auto d = args.take("depth")) {
    auto list = split_list("depth", *d);
    if (!list) return Error{"loadrt " + comp + ": " + list.error().message};
    for (std::size_t i = 0; i < list->size() && i < depths.size(); ++i) {
      const std::string& t = (*list)[i];
      const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), depths[i]);
      if (ec != std::errc{} || ptr != t.data() + t.size() || depths[i] == 0 || depths[i] > 1'000'000) {
        return Error{"loadrt " + comp + ": depth=" + t + " is not 1..1000000"};
      }
    }
  }
  if (auto st = args.check_all_used(comp); !st) return Error{"loadrt " + comp + ": " + st.error().message};
  std::vector<std::vector<Type>> types;
  for (const auto& c : *cfgs) {
    auto t = parse_sample_cfg(c);
    if (!t) return Error{"loadrt " + comp + ": " + t.error().message};
    types.push_back(std::move(*t));
  }
  return load_component(hal, comp, [&](Builder& b) -> Status {
    for (std::size_t n = 0; n < types.size(); ++n) {
      auto& c = static_cast<SampleChannel&>(
          *b.hal().own(b.comp_id(), std::make_unique<SampleChannel>(types[n], depths[n])));
      const std::string p = comp + "." + std::to_string(n);
      c.row.resize(types[n].size());
      for (std::size_t k = 0; k < types[n].size(); ++k) {
        c.pins.push_back(std::make_unique<Pin<uint64_t>>());
        b.raw_pin(p + ".pin." + std::to_string(k), types[n][k], is_sampler ? Dir::kIn : Dir::kOut, *c.pins.back());
      }
      b.pin(p + ".curr-depth", Dir::kOut, c.curr_depth);
      b.pin(p + (is_sampler ? ".full" : ".empty"), Dir::kOut, c.full_or_empty, !is_sampler);
      b.pin(p + ".enable", Dir::kIn, c.enable, true);
      b.pin(p + (is_sampler ? ".overruns" : ".underruns"), Dir::kIo, c.overruns);
      if (is_sampler) b.pin(p + ".sample-num", Dir::kIo, c.sample_num);
      b.function(p, is_sampler ? &sampler_fn : &streamer_fn, &c);
    }
    return Ok{};
  });
}

// The channel named by -c (default 0) of component `comp`.
Result<SampleChannel*> find_channel(Hal& hal, const std::string& comp, int chan) {
  const ComponentRecord* c = hal.find_component(comp);
  if (c == nullptr) return Error{"no " + comp + " loaded (loadrt " + comp + " cfg=...)"};
  if (chan < 0 || static_cast<std::size_t>(chan) >= c->instances.size()) {
    return Error{comp + " channel " + std::to_string(chan) + " does not exist"};
  }
  return dynamic_cast<SampleChannel*>(c->instances[static_cast<std::size_t>(chan)].get());
}

bool parse_int(const std::string& t, long long& v) {
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  return ec == std::errc{} && ptr == t.data() + t.size();
}

constexpr auto kStallTimeout = std::chrono::seconds(5);

}  // namespace

Status load_sampler(Hal& hal, LoadArgs& args) { return load_fifo_comp(hal, args, "sampler", true); }
Status load_streamer(Hal& hal, LoadArgs& args) { return load_fifo_comp(hal, args, "streamer", false); }

namespace {

// -c N / -cN style options of LinuxCNC's tools: the value after the letter, or the next word.
bool option_value(std::span<const std::string> args, std::size_t& i, long long& v) {
  const std::string& a = args[i];
  if (a.size() > 2) return parse_int(a.substr(2), v);
  return i + 1 < args.size() && parse_int(args[++i], v);
}

// The line ends right after its last value (the value count-th word), with nothing after it.
bool ends_with_last_value(const std::string& line, std::size_t count) {
  std::istringstream in(line);
  std::string word;
  std::size_t words = 0;
  while (in >> word) ++words;
  return words == count;
}

// Waits one slice for the FIFO; false when the tool must end (stopped, or stalled for 5 s when someone
// waits for it: a FIFO that no started thread serves would otherwise hang the .hal file).
bool wait_slice(ToolIo& io, std::chrono::steady_clock::time_point since) {
  if (io.stop.load(std::memory_order_acquire)) return false;
  if (!io.background && std::chrono::steady_clock::now() - since > kStallTimeout) return false;
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return true;
}

}  // namespace

Result<PreparedTool> prepare_halsampler(Hal& hal, std::span<const std::string> args) {
  long long chan = 0, count = -1;
  bool tag = false;
  std::string file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-t") tag = true;
    else if (a.starts_with("-c") && option_value(args, i, chan)) continue;
    else if (a.starts_with("-n") && option_value(args, i, count) && count >= 0) continue;
    else if (!a.starts_with("-") && file.empty()) file = a;
    else return Error{"halsampler: usage: halsampler [-c CHAN] [-n COUNT] [-t] [FILE]"};
  }
  auto ch = find_channel(hal, "sampler", static_cast<int>(chan));
  if (!ch) return Error{"halsampler: " + ch.error().message};
  auto to_file = std::make_shared<std::ofstream>();
  if (!file.empty()) {
    to_file->open(file, std::ios::trunc);
    if (!*to_file) return Error{"halsampler: cannot write '" + file + "'"};
  }
  SampleChannel* c = *ch;
  auto run = [c, chan, count, tag, to_file, to_stdout = file.empty()](ToolIo& io) -> Status {
    if (count < 0 && !io.endless) {
      return Error{"halsampler: -n COUNT is needed when loadusr waits for it (-w): nothing else would end it"};
    }
    std::ostream& out = to_stdout ? io.out : *to_file;
    std::vector<uint64_t> row(c->types().size());
    auto last_progress = std::chrono::steady_clock::now();
    for (long long n = 0; count < 0 || n < count;) {
      if (!c->fifo().try_pop(row.data())) {
        if (wait_slice(io, last_progress)) continue;
        if (io.stop.load()) break;
        return Error{"halsampler: no samples for 5 s after " + std::to_string(n) + " (is sampler." +
                     std::to_string(chan) + " in a started thread?)"};
      }
      last_progress = std::chrono::steady_clock::now();
      if (tag) out << n << ' ';
      out << format_sample_row(c->types(), row.data()) << '\n';
      if (!out) break;  // the reader went away
      ++n;
    }
    out.flush();
    return Ok{};
  };
  return PreparedTool{run, "halsampler" + std::to_string(chan)};
}

Result<PreparedTool> prepare_halstreamer(Hal& hal, std::span<const std::string> args) {
  long long chan = 0;
  std::string file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].starts_with("-c") && option_value(args, i, chan)) continue;
    if (!args[i].starts_with("-") && file.empty()) file = args[i];
    else return Error{"halstreamer: usage: halstreamer [-c CHAN] [FILE]"};
  }
  auto ch = find_channel(hal, "streamer", static_cast<int>(chan));
  if (!ch) return Error{"halstreamer: " + ch.error().message};
  auto from_file = std::make_shared<std::ifstream>();
  if (!file.empty()) {
    from_file->open(file);
    if (!*from_file) return Error{"halstreamer: cannot open '" + file + "'"};
  }
  SampleChannel* c = *ch;
  auto run = [c, chan, from_file, file](ToolIo& io) -> Status {
    std::istream& src = file.empty() ? io.in : *from_file;
    const std::string name = file.empty() ? "<stdin>" : file;
    int line_no = 0;
    for (std::string line; std::getline(src, line);) {
      ++line_no;
      const std::size_t first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;  // blank, or a comment line
      auto row = parse_sample_row(c->types(), line);
      // LinuxCNC's halstreamer wants whitespace after each value: a last line without its newline that
      // ends with the last value is "premature", and skipped.
      if (row && src.eof() && std::isspace(static_cast<unsigned char>(line.back())) == 0 &&
          ends_with_last_value(line, c->types().size())) {
        row = Error{"premature end of line (no newline after the last value)"};
      }
      if (!row) {  // as LinuxCNC's halstreamer: say so and go on with the next line
        io.err << "halstreamer: " << name << ":" << line_no << ": " << row.error().message << ", skipping the line\n"
               << std::flush;
        continue;
      }
      const auto since = std::chrono::steady_clock::now();
      while (!c->fifo().try_push(row->data())) {
        if (wait_slice(io, since)) continue;
        if (io.stop.load()) return Ok{};
        return Error{"halstreamer: FIFO full for 5 s at " + name + ":" + std::to_string(line_no) +
                     " (is streamer." + std::to_string(chan) + " in a started thread?)"};
      }
    }
    return Ok{};
  };
  return PreparedTool{run, "halstreamer" + std::to_string(chan)};
}

}  // namespace rtstep::hal

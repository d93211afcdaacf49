// The halcmd command language (see halcmd.hpp).
#include "hal/halcmd.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <thread>

#include "hal/component.hpp"
#include "hal/sampler.hpp"
#include "hal/show.hpp"

namespace rtstep::hal {

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y)); });
}

bool is_arrow(const std::string& t) { return t == "=>" || t == "<=" || t == "<=>"; }

// net/linkps arguments without the decorative arrows.
std::vector<std::string> without_arrows(std::span<const std::string> args) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    if (!is_arrow(a)) out.push_back(a);
  }
  return out;
}

// halcmd's argument counts (LinuxCNC 2.9's command table): `count` arguments; `optional` lets a command take
// fewer, `more` lets it take more. quit and exit take anything.
struct Arity {
  std::string_view name;
  int count;
  bool optional;
  bool more;
};
constexpr Arity kCommands[] = {
    {"addf", 2, false, true},     {"alias", 3, false, false},    {"delf", 2, true, false},
    {"delsig", 1, false, false},  {"echo", 0, false, false},     {"getp", 1, false, false},
    {"gets", 1, false, false},    {"ptype", 1, false, false},    {"stype", 1, false, false},
    {"linkps", 2, false, false},  {"linksp", 2, false, false},   {"list", 1, false, true},
    {"loadrt", 1, false, true},   {"loadusr", 0, false, true},   {"lock", 1, true, false},
    {"net", 1, false, true},      {"newsig", 2, false, false},   {"save", 2, true, false},
    {"setexact_for_test_suite_only", 0, false, false},           {"setp", 2, false, false},
    {"sets", 2, false, false},    {"show", 1, true, true},       {"source", 1, false, false},
    {"start", 0, false, false},   {"status", 1, true, false},    {"stop", 0, false, false},
    {"unalias", 2, false, false}, {"unecho", 0, false, false},   {"unlinkp", 1, false, false},
    {"unloadrt", 1, false, false}, {"unloadusr", 1, false, false}, {"unlock", 1, true, false},
    {"waitusr", 1, false, false},
    // rtstep's (LinuxCNC's later versions have them): initf as addf; newthread NAME PERIOD [fp|nofp].
    {"initf", 2, false, true},    {"newthread", 2, false, true},
    {"quit", 0, true, true},      {"exit", 0, true, true},
};

const Arity* find_command(std::string_view name) {
  for (const Arity& a : kCommands) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

// halcmd's message when a command gets too few or too many arguments.
Status check_arity(const Arity& a, std::size_t given) {
  const int n = static_cast<int>(given);
  if (n < a.count && !a.optional) {
    return Error{std::string(a.name) + " requires " + (a.more ? "at least " : "") + std::to_string(a.count) +
                 " arguments, " + std::to_string(n) + " given"};
  }
  if (n > a.count && !a.more) {
    return Error{std::string(a.name) + " requires " + (a.optional ? "at most " : "") + std::to_string(a.count) +
                 " arguments, " + std::to_string(n) + " given"};
  }
  return Ok{};
}

// C's atoi, as halcmd reads addf's position: leading blanks, a sign, digits; anything else ends it (0 when
// there are no digits).
int atoi_like(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  const bool negative = i < text.size() && text[i] == '-';
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  long value = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && value < INT32_MAX; ++i) {
    value = value * 10 + (text[i] - '0');
  }
  value = std::min<long>(value, INT32_MAX);
  return static_cast<int>(negative ? -value : value);
}

}  // namespace

bool Halcmd::is_command(std::string_view word) { return find_command(word) != nullptr; }

Halcmd::Halcmd(Hal& hal, std::ostream& out, std::ostream& err) : hal_(hal), out_(out), err_(err), programs_(out, err) {
  // `loadusr -w sleep S`, as LinuxCNC's tests let the threads run for a while; stopped early by unloadusr.
  programs_.add_builtin("sleep", [](std::span<const std::string> args) -> Result<PreparedTool> {
    double seconds = -1;
    if (args.size() == 1) {
      const auto [ptr, ec] = std::from_chars(args[0].data(), args[0].data() + args[0].size(), seconds);
      if (ec != std::errc{} || ptr != args[0].data() + args[0].size()) seconds = -1;
    }
    if (seconds < 0) return Error{"loadusr sleep: usage: loadusr -w sleep SECONDS"};
    return PreparedTool{[seconds](ToolIo& io) -> Status {
                          using Seconds = std::chrono::duration<double>;
                          const auto end = std::chrono::steady_clock::now() + Seconds(seconds);
                          for (auto now = std::chrono::steady_clock::now(); !io.stop.load() && now < end;
                               now = std::chrono::steady_clock::now()) {
                            std::this_thread::sleep_for(std::min(Seconds(end - now), Seconds(0.01)));
                          }
                          return Ok{};
                        },
                        ""};
  });
  programs_.add_builtin("halsampler", [this](std::span<const std::string> args) { return prepare_halsampler(hal_, args); });
  programs_.add_builtin("halstreamer", [this](std::span<const std::string> args) { return prepare_halstreamer(hal_, args); });
}

bool Halcmd::run_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    err_ << "Could not open command file '" << path << "'\n";  // halcmd's words
    ++errors_;
    return false;
  }
  return run_stream(in, path);
}

bool Halcmd::run_command(std::span<const std::string> tokens) {
  location_ = "<commandline>:0";  // where halcmd places a command given on its command line
  const Status st = execute(tokens);
  if (!st) {
    ++errors_;
    report(st.error());
  }
  return st.ok();
}

void Halcmd::report(const Error& error) {
  std::string_view text = error.message;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    err_ << location_ << ": " << text.substr(0, nl) << "\n";
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
}

Status Halcmd::library(Status st, std::string_view failed) {
  if (st) return st;
  if (!quiet_) err_ << "HAL: ERROR: " << st.error().message << "\n";
  return Error{failed.empty() ? std::string() : std::string(failed) + " failed"};
}

bool Halcmd::run_stream(std::istream& in, const std::string& source_name, std::string_view prompt) {
  if (prompt.empty()) return run_lines(read_logical_lines(in), source_name);
  // Interactive: one line at a time, errors reported and never fatal.
  int line_no = 0;
  std::string pending;
  out_ << prompt << std::flush;
  for (std::string raw; std::getline(in, raw);) {
    ++line_no;
    if (!raw.empty() && raw.back() == '\\') {
      raw.pop_back();
      pending += raw;
      continue;
    }
    pending += raw;
    std::vector<SourceLine> one{{pending, line_no}};
    pending.clear();
    const bool saved = keep_going_;
    keep_going_ = true;
    run_lines(one, source_name);
    keep_going_ = saved;
    if (quit_) break;
    out_ << prompt << std::flush;
  }
  return errors_ == 0;
}

bool Halcmd::run_lines(const std::vector<SourceLine>& lines, const std::string& source_name) {
  bool ok = true;
  for (const SourceLine& line : lines) {
    location_ = source_name + ":" + std::to_string(line.line);
    if (echo_) {  // halcmd's echo: the line without its comment, on the error stream
      auto text = strip_comment(line.text);
      err_ << "(" << line.line << ")<echo>: " << (text ? *text : line.text) << "\n";
    }
    auto tokens = tokenize(line.text, ini_, env_);
    Status st = tokens ? execute(*tokens) : Status(tokens.error());
    if (!st) {
      ++errors_;
      ok = false;
      report(st.error());
      if (!keep_going_) return false;
    } else if (verbose_ && tokens && !tokens->empty()) {
      err_ << location_ << ": ok:";
      for (const std::string& t : *tokens) err_ << " " << t;
      err_ << "\n";
    }
    if (quit_) break;
  }
  return ok;
}

Status Halcmd::execute(std::span<const std::string> t) {
  programs_.serve_requests();  // tools that loadusr's child processes asked for meanwhile
  if (t.empty()) return Ok{};
  const std::string& cmd = t[0];
  if (equals_ignoring_case(cmd, "quit") || equals_ignoring_case(cmd, "exit")) {  // halcmd: any case, any arguments
    quit_ = true;
    return Ok{};
  }
  const Arity* arity = find_command(cmd);
  if (arity == nullptr) {
    if (t.size() == 3 && t[1] == "=") {  // NAME = VALUE
      if (auto st = check_lock("setp"); !st) return st;
      return hal_.set_pin_or_param(t[0], t[2]);
    }
    return Error{"Unknown command '" + cmd + "'"};
  }
  // net, linkps and linksp take `=>`, `<=` and `<=>` as decoration, before their arguments are counted.
  const bool arrows = cmd == "net" || cmd == "linkps" || cmd == "linksp";
  const std::vector<std::string> args = arrows ? without_arrows(t.subspan(1)) : std::vector<std::string>(t.begin() + 1, t.end());
  if (auto st = check_arity(*arity, args.size()); !st) return st;
  if (auto st = check_lock(cmd); !st) return st;
  return dispatch(cmd, args);
}

Status Halcmd::dispatch(const std::string& cmd, std::span<const std::string> args) {
  if (cmd == "loadrt") return cmd_loadrt(args);
  if (cmd == "unloadrt") return cmd_unloadrt(args);
  if (cmd == "initf") return add_function("initf", args, true);
  if (cmd == "lock" || cmd == "unlock") return cmd_lock(args, cmd == "lock");
  if (cmd == "status") return quiet_ ? Ok{} : cmd_status(args);  // -Q prints nothing, as halcmd's
  if (cmd == "save") return cmd_save(args);
  if (cmd == "ptype" || cmd == "stype") return cmd_type(args, cmd == "stype");
  if (cmd == "alias" || cmd == "unalias") return cmd_alias(args, cmd == "alias");
  if (cmd == "loadusr") return cmd_loadusr(args);
  if (cmd == "waitusr") {  // every component rtstep's HAL holds is a real-time one
    if (hal_.find_component(args[0]) != nullptr) return Error{"'" + args[0] + "' is not a userspace component"};
    return programs_.wait_for(args[0]);
  }
  if (cmd == "unloadusr") return programs_.stop(args[0]);
  if (cmd == "addf") return add_function("addf", args, false);
  // delf FUNCT THREAD; rtstep also takes delf FUNCT (whichever thread has it).
  if (cmd == "delf") {
    if (args.empty()) return library(Error{"missing function name"}, "delf");
    return library(hal_.remove_function_from_thread(args[0], args.size() > 1 ? args[1] : ""), "delf");
  }
  if (cmd == "net") return cmd_net(args);
  if (cmd == "linkps") return library(hal_.link(args[0], args[1]), "link");
  if (cmd == "linksp") return library(hal_.link(args[1], args[0]), "link");
  if (cmd == "unlinkp") return library(hal_.unlink(args[0]), "unlink");
  if (cmd == "newsig") return cmd_newsig(args);
  if (cmd == "delsig") return cmd_delsig(args[0]);
  if (cmd == "setp") return hal_.set_pin_or_param(args[0], args[1]);
  if (cmd == "sets") return hal_.set_signal(args[0], args[1]);
  if (cmd == "getp" || cmd == "gets") {
    auto v = cmd == "getp" ? hal_.get_pin_or_param(args[0]) : hal_.get_signal(args[0]);
    if (!v) return v.error();
    out_ << *v << "\n";
    return Ok{};
  }
  if (cmd == "show" || cmd == "list") return quiet_ ? Ok{} : cmd_show(args, cmd == "list");
  if (cmd == "start") return hal_.start();
  if (cmd == "stop") {
    hal_.stop();
    return Ok{};
  }
  if (cmd == "source") return cmd_source(args);
  if (cmd == "setexact_for_test_suite_only") return cmd_setexact();
  if (cmd == "newthread") return cmd_newthread(args);
  if (cmd == "echo" || cmd == "unecho") {  // halcmd says so on stdout; run_lines echoes the lines after echo
    echo_ = cmd == "echo";
    out_ << (echo_ ? "Echo on\n" : "Echo off\n");
    return Ok{};
  }
  return Error{"Unknown command '" + cmd + "'"};  // in the table but not here: a bug, reported as halcmd would
}

// A component that does not load is reported as LinuxCNC's loader does: the loader's own line (here the
// component's message, "and2: already exists") on the error stream, then halcmd's "insmod for X failed".
Status Halcmd::cmd_loadrt(std::span<const std::string> args) {
  const std::string& comp = args[0];
  hal_.reserve_component_ids(2);  // LinuxCNC's loader helpers, so owner ids match its `show`
  const auto failed = [&](std::string_view loader_message) -> Status {
    const std::string own_prefix = "loadrt " + comp + ": ";  // the loaders' own prefix, replaced by the name
    if (loader_message.starts_with(own_prefix)) loader_message.remove_prefix(own_prefix.size());
    if (!quiet_) err_ << comp << ": " << loader_message << "\n";
    return Error{"insmod for " + comp + " failed, returned -1"};
  };
  auto load_args = LoadArgs::parse(args.subspan(1));
  if (!load_args) return failed(load_args.error().message);
  Status st = Ok{};
  if (comp.starts_with("conv_")) {
    st = load_conv(hal_, *load_args, comp);
  } else {
    const ComponentType* type = find_builtin_component(comp);
    if (type == nullptr) {
      std::string known;
      for (const auto& c : builtin_components()) known += std::string(known.empty() ? "" : ", ") + c.name;
      return failed("no such component (rtstep has built in: " + known + ", conv_<from>_<to>)");
    }
    st = type->load(hal_, *load_args);
  }
  if (!st) return failed(st.error().message);
  if (const char* note = motion_module_note(comp)) {
    err_ << "loadrt " << comp << ": accepted without effect: " << note << " (docs/HAL.md)\n";
  }
  std::string line;
  for (const std::string& a : args.subspan(1)) line += " " + a;
  load_lines_.emplace_back(comp, std::move(line));
  return Ok{};
}

Status Halcmd::cmd_loadusr(std::span<const std::string> args) {
  auto request = parse_loadusr(args);
  if (!request) return request.error();
  return programs_.run(*request);
}

// addf and initf: FUNCT THREAD [POSITION], the position as LinuxCNC's (+k from the start, -k from the end)
// and read as halcmd reads it (C's atoi: "x" is 0, a bad position).
Status Halcmd::add_function(std::string_view cmd, std::span<const std::string> args, bool init) {
  const int position = args.size() > 2 && !args[2].empty() ? atoi_like(args[2]) : -1;
  return library(init ? hal_.add_init_function_to_thread(args[0], args[1], position)
                      : hal_.add_function_to_thread(args[0], args[1], position),
                 cmd);
}

// LinuxCNC 2.9's preflight of `net`: the pins must exist and be on no other signal; on a signal that exists
// they must also match its type and its writers. On a new signal 2.9 lets every unlinked pin through (its
// check compares the pin's signal, none, with the signal, none yet), so a second OUT pin or a pin of another
// type is caught by the link itself, after the pins before it were linked: rtstep does the same, so a file
// gets the same messages and the same HAL.
Status Halcmd::preflight_net(const std::string& name, const SignalRecord* sig, std::span<const std::string> pins) const {
  int writers = sig != nullptr ? sig->writers : 0;
  int bidirs = sig != nullptr ? sig->bidirs : 0;
  std::string writer, bidir;  // the writer and I/O pin named in the message (2.9: the last by name)
  if (sig != nullptr) {
    for (const PinRecord* p : sig->pins) {
      if (p->dir == Dir::kOut) writer = p->name;
      if (p->dir == Dir::kIo && p->name > bidir) bidir = writer = p->name;
    }
  }
  int count = 0;
  for (const std::string& pin_name : pins) {
    const PinRecord* pin = hal_.find_pin(pin_name);
    if (pin == nullptr) return Error{"Pin '" + pin_name + "' does not exist"};
    ++count;
    if (pin->signal == sig) continue;  // on this signal already, or (2.9) unlinked with the signal still to come
    if (pin->signal != nullptr) {
      return Error{"Pin '" + pin->name + "' was already linked to signal '" + pin->signal->name + "'"};
    }
    if (pin->type != sig->type) {
      return Error{"Signal '" + name + "' of type '" + type_name(sig->type) + "' cannot add pin '" + pin->name +
                   "' of type '" + type_name(pin->type) + "'"};
    }
    const bool refused = (pin->dir == Dir::kOut && (writers > 0 || bidirs > 0)) || (pin->dir == Dir::kIo && writers > 0);
    if (refused) {
      return Error{"Signal '" + name + "' can not add " + dir_name(pin->dir) + " pin '" + pin->name +
                   "', it already has " + (bidir.empty() ? "OUT" : "I/O") + " pin '" + (bidir.empty() ? writer : bidir) + "'"};
    }
    if (pin->dir == Dir::kOut) {
      writer = pin->name;
      ++writers;
    }
    if (pin->dir == Dir::kIo) {
      bidir = pin->name;
      ++bidirs;
    }
  }
  if (count == 0) return Error{"'net' requires at least one pin, none given"};
  return Ok{};
}

// net SIGNAL PIN...: as LinuxCNC 2.9's: the preflight, the signal created with the first pin's type, then
// each pin linked in turn (the first refused link stops it).
Status Halcmd::cmd_net(std::span<const std::string> args) {
  const std::string& name = args[0];
  const auto pins = args.subspan(1);
  const auto it = hal_.signals().find(name);
  const SignalRecord* sig = it != hal_.signals().end() ? it->second.get() : nullptr;
  if (auto st = preflight_net(name, sig, pins); !st) return st;
  if (hal_.find_pin(name) != nullptr) {
    return Error{"Signal name '" + name + "' must not be the same as a pin.  Did you omit the signal name?"};
  }
  if (sig == nullptr) {
    if (auto st = library(hal_.new_signal(name, hal_.find_pin(pins[0])->type), ""); !st) return st;
  }
  for (const std::string& pin : pins) {
    if (auto st = library(hal_.link(pin, name), "link"); !st) return st;
  }
  return Ok{};
}

Status Halcmd::cmd_newsig(std::span<const std::string> args) {
  auto type = parse_type(args[1]);
  if (!type) return Error{"Unknown signal type '" + args[1] + "'\nnewsig failed"};
  return library(hal_.new_signal(args[0], *type), "newsig");
}

// delsig SIGNAL|all: halcmd adds no line of its own to the library's message.
Status Halcmd::cmd_delsig(const std::string& name) {
  if (name != "all") return library(hal_.delete_signal(name), "");
  std::vector<std::string> names;
  for (const auto& kv : hal_.signals()) names.push_back(kv.first);
  if (names.empty()) return Error{"no signals found to be deleted"};
  Status result = Ok{};
  for (const std::string& n : names) {
    if (auto st = library(hal_.delete_signal(n), ""); !st) result = st;
  }
  return result;
}

Status Halcmd::cmd_setexact() {
  if (auto st = hal_.set_exact_periods(); !st) return st;
  err_ << location_ << ": Warning: HAL_LIB: HAL will pretend that the exact base period requested is possible.\n"
       << "This mode is not suitable for running real hardware.\n";
  return Ok{};
}

Status Halcmd::cmd_show(std::span<const std::string> args, bool is_list) {
  // `show [WHAT] [-t TYPE] [PATTERN...]`: WHAT may be left out when -t comes first.
  std::vector<std::string> rest(args.begin(), args.end());
  std::optional<Type> type;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] != "-t" || is_list) continue;
    if (i + 1 >= rest.size()) return Error{"show: -t needs a type (bit, float, s32, u32, s64, u64)"};
    auto parsed = parse_type(rest[i + 1]);
    if (!parsed) return Error{"show -t: " + parsed.error().message};
    type = *parsed;
    rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i), rest.begin() + static_cast<std::ptrdiff_t>(i) + 2);
    break;
  }
  const std::string what = rest.empty() ? "" : rest[0];
  const auto patterns = rest.empty() ? std::span<const std::string>() : std::span<const std::string>(rest).subspan(1);
  auto text = is_list ? list(hal_, what, patterns) : show(hal_, what, ShowOptions{patterns, type, script_});
  if (!text) return text.error();
  out_ << *text << std::flush;
  return Ok{};
}

// `newthread NAME PERIOD [fp|nofp]` (halcmd 2.9): a thread without the threads component; it lives until
// the HAL shuts down. FP is accepted and ignored, as LinuxCNC ignores it.
Status Halcmd::cmd_newthread(std::span<const std::string> args) {
  if (args.size() > 3) return Error{"newthread requires at most 3 arguments, " + std::to_string(args.size()) + " given"};
  if (args.size() == 3 && args[2] != "fp" && args[2] != "nofp") return Error{"newthread: '" + args[2] + "' is not fp or nofp"};
  int64_t period = 0;
  const auto [ptr, ec] = std::from_chars(args[1].data(), args[1].data() + args[1].size(), period);
  if (ec != std::errc{} || ptr != args[1].data() + args[1].size() || period <= 0) {
    return Error{"newthread: period '" + args[1] + "' is not a positive number of ns"};
  }
  return hal_.create_thread(args[0], period, 0);
}

// source FILE: as halcmd's, its lines are reported under its own name, it stops at its first error (even
// with -k), and the `source` line adds no message of its own.
Status Halcmd::cmd_source(std::span<const std::string> args) {
  if (source_depth_ >= 16) return Error{"source: nested too deeply (16 levels)"};
  std::ifstream in(args[0]);
  if (!in) {
    err_ << "Could not open hal file '" << args[0] << "': " << std::strerror(errno) << "\n";
    return Error{""};
  }
  const std::string saved_location = location_;
  const bool saved_keep_going = keep_going_;
  keep_going_ = false;
  ++source_depth_;
  const bool ok = run_lines(read_logical_lines(in), args[0]);
  --source_depth_;
  keep_going_ = saved_keep_going;
  location_ = saved_location;
  return ok ? Status(Ok{}) : Status(Error{""});
}

}  // namespace rtstep::hal

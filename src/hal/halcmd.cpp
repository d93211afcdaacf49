// The halcmd command language (see halcmd.hpp).
#include "hal/halcmd.hpp"

#include <charconv>
#include <chrono>
#include <thread>
#include <fstream>

#include "hal/component.hpp"
#include "hal/sampler.hpp"
#include "hal/show.hpp"

namespace rtstep::hal {

namespace {

bool is_arrow(const std::string& t) { return t == "=>" || t == "<=" || t == "<=>"; }

// net/linkps arguments without the decorative arrows.
std::vector<std::string> without_arrows(std::span<const std::string> args) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    if (!is_arrow(a)) out.push_back(a);
  }
  return out;
}

Status need_args(std::string_view cmd, std::span<const std::string> args, std::size_t min, std::size_t max,
                 std::string_view usage) {
  if (args.size() < min || args.size() > max) return Error{std::string(cmd) + ": usage: " + std::string(usage)};
  return Ok{};
}

}  // namespace

bool Halcmd::is_command(std::string_view word) {
  static constexpr std::string_view kCommands[] = {
      "loadrt", "unloadrt", "initf", "lock",  "unlock", "status", "save",   "ptype",  "stype", "alias",
      "unalias", "loadusr", "addf", "delf",  "net",    "linkps", "linksp", "unlinkp", "newsig", "delsig",
      "setp",   "sets",     "getp", "gets",  "show",   "list",   "start",  "stop",    "source", "echo",
      "unecho", "quit",     "exit", "setexact_for_test_suite_only", "newthread", "waitusr", "unloadusr"};
  for (std::string_view c : kCommands) {
    if (c == word) return true;
  }
  return false;
}

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
    err_ << path << ": error: cannot open HAL file\n";
    ++errors_;
    return false;
  }
  return run_stream(in, path);
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
    if (echo_) out_ << line.text << "\n";
    auto tokens = tokenize(line.text, ini_, env_);
    Status st = tokens ? execute(*tokens) : Status(tokens.error());
    if (!st) {
      ++errors_;
      ok = false;
      if (!quiet_) err_ << source_name << ":" << line.line << ": error: " << st.error().message << "\n";
      if (!keep_going_) return false;
    } else if (verbose_ && tokens && !tokens->empty()) {
      err_ << source_name << ":" << line.line << ": ok:";
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
  const auto args = t.subspan(1);
  if (t.size() == 3 && t[1] == "=") {  // NAME = VALUE
    if (auto st = check_lock("setp"); !st) return st;
    return hal_.set_pin_or_param(t[0], t[2]);
  }
  if (auto st = check_lock(cmd); !st) return st;
  if (cmd == "loadrt") return cmd_loadrt(args);
  if (cmd == "unloadrt") return cmd_unloadrt(args);
  if (cmd == "initf") return cmd_initf(args);
  if (cmd == "lock" || cmd == "unlock") return cmd_lock(args, cmd == "lock");
  if (cmd == "status") return cmd_status(args);
  if (cmd == "save") return cmd_save(args);
  if (cmd == "ptype" || cmd == "stype") return cmd_type(args, cmd == "stype");
  if (cmd == "alias" || cmd == "unalias") return cmd_alias(args, cmd == "alias");
  if (cmd == "loadusr") return cmd_loadusr(args);
  if (cmd == "waitusr") return cmd_waitusr(args, false);
  if (cmd == "unloadusr") return cmd_waitusr(args, true);
  if (cmd == "addf") return cmd_addf(args);
  if (cmd == "delf") {
    if (auto st = need_args(cmd, args, 1, 2, "delf FUNCT [THREAD]"); !st) return st;
    return hal_.remove_function_from_thread(args[0], args.size() > 1 ? args[1] : "");
  }
  if (cmd == "net") return cmd_net(args);
  if (cmd == "linkps") return cmd_linkps(args, true);
  if (cmd == "linksp") return cmd_linkps(args, false);
  if (cmd == "unlinkp") {
    if (auto st = need_args(cmd, args, 1, 1, "unlinkp PIN"); !st) return st;
    return hal_.unlink(args[0]);
  }
  if (cmd == "newsig") return cmd_newsig(args);
  if (cmd == "delsig") {
    if (auto st = need_args(cmd, args, 1, 1, "delsig SIGNAL"); !st) return st;
    return hal_.delete_signal(args[0]);
  }
  if (cmd == "setp" || cmd == "sets") {
    if (auto st = need_args(cmd, args, 2, 2, cmd + " NAME VALUE"); !st) return st;
    return cmd == "setp" ? hal_.set_pin_or_param(args[0], args[1]) : hal_.set_signal(args[0], args[1]);
  }
  if (cmd == "getp" || cmd == "gets") {
    if (auto st = need_args(cmd, args, 1, 1, cmd + " NAME"); !st) return st;
    auto v = cmd == "getp" ? hal_.get_pin_or_param(args[0]) : hal_.get_signal(args[0]);
    if (!v) return v.error();
    out_ << *v << "\n";
    return Ok{};
  }
  if (cmd == "show") return cmd_show(args, false);
  if (cmd == "list") return cmd_show(args, true);
  if (cmd == "start") return hal_.start();
  if (cmd == "stop") {
    hal_.stop();
    return Ok{};
  }
  if (cmd == "source") return cmd_source(args);
  if (cmd == "setexact_for_test_suite_only") return hal_.set_exact_periods();
  if (cmd == "newthread") return cmd_newthread(args);
  if (cmd == "echo" || cmd == "unecho") {
    echo_ = cmd == "echo";
    return Ok{};
  }
  if (cmd == "quit" || cmd == "exit") {
    quit_ = true;
    return Ok{};
  }
  return Error{"Unknown command '" + cmd + "'"};
}

Status Halcmd::cmd_loadrt(std::span<const std::string> args) {
  if (args.empty()) return Error{"loadrt: usage: loadrt COMPONENT [ARG=VALUE...]"};
  hal_.reserve_component_ids(2);  // LinuxCNC's loader helpers, so owner ids match its `show`
  auto load_args = LoadArgs::parse(args.subspan(1));
  if (!load_args) return Error{"loadrt " + args[0] + ": " + load_args.error().message};
  Status st = Ok{};
  if (args[0].starts_with("conv_")) {
    st = load_conv(hal_, *load_args, args[0]);
  } else {
    const ComponentType* type = find_builtin_component(args[0]);
    if (type == nullptr) {
      std::string known;
      for (const auto& c : builtin_components()) known += std::string(known.empty() ? "" : ", ") + c.name;
      return Error{"loadrt: unknown component '" + args[0] + "' (built in: " + known + ", conv_<from>_<to>)"};
    }
    st = type->load(hal_, *load_args);
  }
  if (st) {
    if (const char* note = motion_module_note(args[0])) {
      err_ << "loadrt " << args[0] << ": accepted without effect: " << note << " (docs/HAL.md)\n";
    }
    std::string line;
    for (const std::string& a : args.subspan(1)) line += " " + a;
    load_lines_.emplace_back(args[0], std::move(line));
  }
  return st;
}

Status Halcmd::cmd_loadusr(std::span<const std::string> args) {
  auto request = parse_loadusr(args);
  if (!request) return request.error();
  return programs_.run(*request);
}

// waitusr NAME (until the programs known by NAME end) and unloadusr NAME|all (ends them first).
Status Halcmd::cmd_waitusr(std::span<const std::string> args, bool unload) {
  const char* cmd = unload ? "unloadusr" : "waitusr";
  if (auto st = need_args(cmd, args, 1, 1, unload ? "unloadusr NAME|all" : "waitusr NAME"); !st) return st;
  return unload ? programs_.stop(args[0]) : programs_.wait_for(args[0]);
}

Status Halcmd::cmd_addf(std::span<const std::string> args) { return add_function("addf", args, false); }

// addf and initf: FUNCT THREAD [POSITION], the position as LinuxCNC's (+k from the start, -k from the end).
Status Halcmd::add_function(std::string_view cmd, std::span<const std::string> args, bool init) {
  if (auto st = need_args(cmd, args, 2, 3, std::string(cmd) + " FUNCT THREAD [POSITION]"); !st) return st;
  int position = -1;
  if (args.size() == 3) {
    const std::string& p = args[2];
    const char* begin = p.data() + (p.starts_with("+") ? 1 : 0);
    const auto [ptr, ec] = std::from_chars(begin, p.data() + p.size(), position);
    if (ec != std::errc{} || ptr != p.data() + p.size()) {
      return Error{std::string(cmd) + ": position '" + p + "' is not an integer"};
    }
  }
  return init ? hal_.add_init_function_to_thread(args[0], args[1], position)
              : hal_.add_function_to_thread(args[0], args[1], position);
}

Status Halcmd::cmd_net(std::span<const std::string> args) {
  const std::vector<std::string> a = without_arrows(args);
  if (a.empty()) return Error{"net: usage: net SIGNAL PIN..."};
  return hal_.net(a[0], std::span<const std::string>(a).subspan(1));
}

Status Halcmd::cmd_linkps(std::span<const std::string> args, bool pin_first) {
  const std::vector<std::string> a = without_arrows(args);
  if (a.size() != 2) return Error{pin_first ? "linkps: usage: linkps PIN SIGNAL" : "linksp: usage: linksp SIGNAL PIN"};
  return pin_first ? hal_.link(a[0], a[1]) : hal_.link(a[1], a[0]);
}

Status Halcmd::cmd_newsig(std::span<const std::string> args) {
  if (auto st = need_args("newsig", args, 2, 2, "newsig SIGNAL TYPE"); !st) return st;
  auto type = parse_type(args[1]);
  if (!type) return Error{"Unknown signal type '" + args[1] + "'"};
  return hal_.new_signal(args[0], *type);
}

Status Halcmd::cmd_show(std::span<const std::string> args, bool is_list) {
  if (is_list && args.empty()) return Error{"list: usage: list comp|pin|sig|param|funct|thread [PATTERN...]"};
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
  if (auto st = need_args("newthread", args, 2, 3, "newthread NAME PERIOD [fp|nofp]"); !st) return st;
  if (args.size() == 3 && args[2] != "fp" && args[2] != "nofp") return Error{"newthread: '" + args[2] + "' is not fp or nofp"};
  int64_t period = 0;
  const auto [ptr, ec] = std::from_chars(args[1].data(), args[1].data() + args[1].size(), period);
  if (ec != std::errc{} || ptr != args[1].data() + args[1].size() || period <= 0) {
    return Error{"newthread: period '" + args[1] + "' is not a positive number of ns"};
  }
  return hal_.create_thread(args[0], period, 0);
}

Status Halcmd::cmd_source(std::span<const std::string> args) {
  if (auto st = need_args("source", args, 1, 1, "source FILE"); !st) return st;
  if (source_depth_ >= 16) return Error{"source: nested too deeply (16 levels)"};
  std::ifstream in(args[0]);
  if (!in) return Error{"source: cannot open '" + args[0] + "'"};
  ++source_depth_;
  const int before = errors_;
  run_lines(read_logical_lines(in), args[0]);
  --source_depth_;
  // The sourced file printed its own errors with their locations; this line fails without another one.
  if (errors_ > before && !keep_going_) return Error{"in file sourced from here"};
  return Ok{};
}

}  // namespace rtstep::hal

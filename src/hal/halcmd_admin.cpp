// halcmd's housekeeping commands: initf, unloadrt, lock/unlock, status, save, ptype/stype (see halcmd.hpp).
#include <cinttypes>
#include <cstdio>
#include <fstream>

#include "hal/halcmd.hpp"
#include "hal/thread.hpp"

namespace rtstep::hal {

namespace {

// LinuxCNC's lock bits and the commands each one forbids.
constexpr unsigned kLockLoad = 1, kLockConfig = 2, kLockParams = 4, kLockRun = 8;
constexpr unsigned kLockTune = kLockLoad | kLockConfig, kLockAll = 255;

struct LockedCommand {
  const char* command;
  unsigned bit;
};
constexpr LockedCommand kLockedCommands[] = {
    {"loadrt", kLockLoad},   {"unloadrt", kLockLoad},  {"loadusr", kLockLoad},  {"net", kLockConfig},
    {"linkps", kLockConfig}, {"linksp", kLockConfig},  {"unlinkp", kLockConfig}, {"newsig", kLockConfig},
    {"delsig", kLockConfig}, {"addf", kLockConfig},    {"delf", kLockConfig},   {"initf", kLockConfig},
    {"alias", kLockConfig},  {"unalias", kLockConfig}, {"setp", kLockParams},   {"sets", kLockParams},
    {"start", kLockRun},     {"stop", kLockRun},       {"unloadusr", kLockLoad},
};

Result<unsigned> parse_lock_level(std::string_view text) {
  if (text == "none") return 0U;
  if (text == "load") return kLockLoad;
  if (text == "config") return kLockConfig;
  if (text == "params") return kLockParams;
  if (text == "run") return kLockRun;
  if (text == "tune") return kLockTune;
  if (text == "all") return kLockAll;
  return Error{"unknown lock level '" + std::string(text) + "' (none, load, config, params, run, tune or all)"};
}

std::string lock_name(unsigned level) {
  if (level == 0) return "none";
  if (level == kLockAll) return "all";
  if (level == kLockTune) return "tune";
  std::string out;
  const std::pair<unsigned, const char*> names[] = {
      {kLockLoad, "load"}, {kLockConfig, "config"}, {kLockParams, "params"}, {kLockRun, "run"}};
  for (const auto& [bit, name] : names) {
    if ((level & bit) != 0) out += std::string(out.empty() ? "" : "+") + name;
  }
  return out;
}

// A value as `save` writes it: floats with every digit, so the saved file restores them exactly.
std::string exact_value(Type type, uint64_t raw) {
  if (type != Type::kFloat) return format_value(type, raw);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", Value::decode<double>(raw));
  return buf;
}

bool is_statistic(const std::string& param) { return param.ends_with(".tmax"); }

}  // namespace

Status Halcmd::check_lock(const std::string& cmd) const {
  if (lock_ == 0) return Ok{};
  for (const auto& [command, bit] : kLockedCommands) {
    if (cmd == command && (lock_ & bit) != 0) {
      return Error{"HAL is locked (" + lock_name(lock_) + "): '" + cmd + "' is not permitted; 'unlock' first"};
    }
  }
  return Ok{};
}

Status Halcmd::cmd_lock(std::span<const std::string> args, bool lock) {
  auto level = args.empty() ? Result<unsigned>(kLockAll) : parse_lock_level(args[0]);
  if (!level) return Error{std::string(lock ? "lock: " : "unlock: ") + level.error().message};
  // As LinuxCNC: `lock LEVEL` sets the level; `unlock LEVEL` clears those bits.
  lock_ = lock ? *level : (lock_ & ~*level);
  return Ok{};
}

Status Halcmd::cmd_unloadrt(std::span<const std::string> args) {
  // The built-in tools read and write the sampler's and streamer's FIFOs: they end first.
  if (args[0] == "all") (void)programs_.stop("all");
  if (args[0] == "sampler") (void)programs_.stop("halsampler");
  if (args[0] == "streamer") (void)programs_.stop("halstreamer");
  if (args[0] != "all") {
    if (auto st = hal_.unload_component(args[0]); !st) return st;
    std::erase_if(load_lines_, [&](const auto& l) { return l.first == args[0]; });
    return Ok{};
  }
  // Newest first, as they were stacked on one another. A thread's pseudo-component `__<thread>` goes with
  // its thread (the component that created it), never on its own.
  std::vector<std::string> names;
  for (const auto& c : hal_.components()) {
    if (!c->name.starts_with("__")) names.push_back(c->name);
  }
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    if (hal_.find_component(*it) == nullptr) continue;
    if (auto st = hal_.unload_component(*it); !st) return st;
  }
  load_lines_.clear();
  return Ok{};
}

Status Halcmd::cmd_type(std::span<const std::string> args, bool signal) {
  const std::string& name = args[0];
  if (signal) {
    auto it = hal_.signals().find(name);
    if (it == hal_.signals().end()) return Error{"signal '" + name + "' not found"};
    out_ << type_name(it->second->type) << "\n";
    return Ok{};
  }
  if (const ParamRecord* p = hal_.find_param(name)) {
    out_ << type_name(p->type) << "\n";
    return Ok{};
  }
  const PinRecord* pin = hal_.find_pin(name);
  if (pin == nullptr) return Error{"pin or parameter '" + name + "' not found"};
  out_ << type_name(pin->type) << "\n";
  return Ok{};
}

// alias pin|param NAME ALIAS, unalias pin|param NAME. A kind other than pin or param: halcmd's "alias
// failed" (its unalias fails without a word; rtstep says "unalias failed").
Status Halcmd::cmd_alias(std::span<const std::string> args, bool add) {
  const char* failed = add ? "alias" : "unalias";
  if (args[0] != "pin" && args[0] != "param") return Error{std::string(failed) + " failed"};
  const AliasKind kind = args[0] == "pin" ? AliasKind::kPin : AliasKind::kParam;
  return library(add ? hal_.alias(kind, args[1], args[2]) : hal_.unalias(kind, args[1]), failed);
}

Status Halcmd::cmd_status(std::span<const std::string> args) {
  const std::string what = args.empty() ? "all" : args[0];
  if (what != "lock" && what != "mem" && what != "all") {
    return Error{"Unknown 'status' type '" + what + "'"};
  }
  if (what != "mem") {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%u (0x%02x)", lock_, lock_);
    out_ << "HAL locking status:\n  current lock value " << buf << ": " << lock_name(lock_) << "\n";
    const std::pair<unsigned, const char*> rows[] = {
        {kLockLoad, "load    - loadrt, unloadrt, loadusr, unloadusr"},
        {kLockConfig, "config  - net, linkps, linksp, unlinkp, newsig, delsig, addf, delf, initf"},
        {kLockParams, "params  - setp, sets"},
        {kLockRun, "run     - start, stop"}};
    for (const auto& [bit, text] : rows) out_ << "  " << ((lock_ & bit) != 0 ? "locked:   " : "unlocked: ") << text << "\n";
  }
  if (what != "lock") {
    out_ << "HAL objects:\n  components " << hal_.components().size() << ", pins " << hal_.pins().size()
         << ", parameters " << hal_.params().size() << ", signals " << hal_.signals().size() << ", functions "
         << hal_.functions().size() << ", threads " << hal_.threads().size()
         << (hal_.running() ? " (running)" : hal_.threads_started() ? " (stopped)" : " (not started)") << "\n";
  }
  return Ok{};
}

std::string Halcmd::save_text(std::string_view what) const {
  const bool all = what == "all";
  std::string out;
  if (all || what == "comp") {
    out += "# components\n";
    for (const auto& [name, line] : load_lines_) {
      if (hal_.find_component(name) != nullptr) out += "loadrt " + name + line + "\n";
    }
  }
  if (all || what == "alias") {
    // As `alias` commands, so the nets and setp lines below (which use the aliases) find their pins.
    out += "# pin aliases\n";
    for (const auto& [name, p] : hal_.pins()) {
      if (!p->original.empty()) out += "alias pin " + p->original + " " + name + "\n";
    }
    out += "# param aliases\n";
    for (const auto& [name, p] : hal_.params()) {
      if (!p->original.empty()) out += "alias param " + p->original + " " + name + "\n";
    }
  }
  if (all || what == "sig") {
    out += "# signals\n";
    for (const auto& [name, sig] : hal_.signals()) {
      // `net` creates a signal with pins; only the ones without pins need `newsig` (sig lists them all).
      if (what == "sig" || sig->pins.empty()) out += "newsig " + name + " " + type_name(sig->type) + "\n";
    }
  }
  if (all || what == "net") {
    out += "# nets\n";
    for (const auto& [name, sig] : hal_.signals()) {
      if (sig->pins.empty()) continue;
      std::string writers, bidirs, readers;
      for (const PinRecord* p : sig->pins) {
        (p->dir == Dir::kOut ? writers : p->dir == Dir::kIo ? bidirs : readers) += " " + p->name;
      }
      out += "net " + name + writers + (bidirs.empty() ? "" : " <=>" + bidirs) + (readers.empty() ? "" : " =>" + readers) + "\n";
    }
    for (const auto& [name, sig] : hal_.signals()) {
      if (sig->writers == 0) out += "sets " + name + " " + exact_value(sig->type, sig->value.raw()) + "\n";
    }
  }
  if (all || what == "param") {
    out += "# parameter values\n";
    for (const auto& [name, p] : hal_.params()) {
      if (p->dir == ParamDir::kRw && !is_statistic(name)) out += "setp " + name + " " + exact_value(p->type, p->value->raw()) + "\n";
    }
  }
  if (all || what == "unconnectedinpins") {
    out += "# unconnected input pins\n";
    for (const auto& [name, p] : hal_.pins()) {
      if (p->dir != Dir::kOut && p->signal == nullptr) out += "setp " + name + " " + exact_value(p->type, p->dummy.raw()) + "\n";
    }
  }
  if (all || what == "thread") {
    out += "# realtime thread/function links\n";
    for (const auto& t : hal_.threads()) {
      for (const FunctionRecord* f : t->init_functions()) out += "initf " + f->name + " " + t->name() + "\n";
      for (const FunctionRecord* f : t->functions()) out += "addf " + f->name + " " + t->name() + "\n";
    }
  }
  return out;
}

Status Halcmd::cmd_save(std::span<const std::string> args) {
  const std::string what = args.empty() ? "all" : args[0];
  if (what != "all" && what != "comp" && what != "alias" && what != "sig" && what != "net" && what != "param" &&
      what != "unconnectedinpins" && what != "thread") {
    return Error{"Unknown 'save' type '" + what + "'"};
  }
  const std::string text = save_text(what);
  if (args.size() < 2) {
    out_ << text;
    return Ok{};
  }
  std::ofstream file(args[1]);
  if (!(file << text) || !file.flush()) return Error{"Can't open 'save' destination '" + args[1] + "'"};
  return Ok{};
}

}  // namespace rtstep::hal

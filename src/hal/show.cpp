// show / list layouts (see show.hpp). The column layouts follow halcmd's exactly, so tools that parse
// them read rtstep's output the same.
#include "hal/show.hpp"

#include <fnmatch.h>

#include <cinttypes>
#include <cstdio>

#include "hal/thread.hpp"

namespace rtstep::hal {

namespace {

std::string fmt(const char* format, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

// "bit  ", "float", ...: the 5-character type column.
std::string type_col(Type t) { return fmt("%-5s", type_name(t)); }

const char* arrow_from_pin(Dir d) { return d == Dir::kIn ? "<==" : d == Dir::kOut ? "==>" : "<=>"; }
const char* arrow_from_sig(Dir d) { return d == Dir::kIn ? "==>" : d == Dir::kOut ? "<==" : "<=>"; }

std::string show_comps(const Hal& hal, std::span<const std::string> pats) {
  std::string out = "Loaded HAL Components:\n";
  out += fmt("ID      Type  %-*s PID   State\n", 55, "Name");
  for (const auto& c : hal.components()) {
    if (!name_matches(c->name, pats)) continue;
    out += fmt(" %5d  %-4s  %-*s %-5s %s\n", c->id, "RT", 55, c->name.c_str(), "", c->ready ? "ready" : "initializing");
  }
  return out + "\n";
}

std::string show_pins(const Hal& hal, std::span<const std::string> pats, std::optional<Type> type) {
  std::string out = "Component Pins:\nOwner   Type  Dir                 Value  Name\n";
  for (const auto& [name, p] : hal.pins()) {
    if (!name_matches(name, pats) || (type && p->type != *type)) continue;
    const uint64_t raw = p->slot->load(std::memory_order_relaxed)->raw();
    out += fmt(" %5d  %s %-3s  %s  %s", p->owner, type_col(p->type).c_str(), dir_name(p->dir),
               format_value_cell(p->type, raw).c_str(), name.c_str());
    if (p->signal != nullptr) out += fmt(" %s %s", arrow_from_pin(p->dir), p->signal->name.c_str());
    out += "\n";
  }
  return out + "\n";
}

std::string show_params(const Hal& hal, std::span<const std::string> pats, std::optional<Type> type) {
  std::string out = "Parameters:\nOwner   Type  Dir                 Value  Name\n";
  for (const auto& [name, p] : hal.params()) {
    if (!name_matches(name, pats) || (type && p->type != *type)) continue;
    out += fmt(" %5d  %s %-3s  %s  %s\n", p->owner, type_col(p->type).c_str(), param_dir_name(p->dir),
               format_value_cell(p->type, p->value->raw()).c_str(), name.c_str());
  }
  return out + "\n";
}

std::string show_signals(const Hal& hal, std::span<const std::string> pats, std::optional<Type> type) {
  std::string out = "Signals:\nType                  Value  Name     (linked to)\n";
  for (const auto& [name, s] : hal.signals()) {
    if (!name_matches(name, pats) || (type && s->type != *type)) continue;
    out += fmt("%s  %s  %s\n", type_col(s->type).c_str(), format_value_cell(s->type, s->value.raw()).c_str(),
               name.c_str());
    for (const PinRecord* p : s->pins) out += fmt("%33s%s %s\n", "", arrow_from_sig(p->dir), p->name.c_str());
  }
  return out + "\n";
}

std::string show_functs(const Hal& hal, std::span<const std::string> pats) {
  std::string out = "Exported Functions:\nOwner   CodeAddr      Arg           FP   Users   Name\n";
  for (const auto& [name, f] : hal.functions()) {
    if (!name_matches(name, pats)) continue;
    const auto code = reinterpret_cast<uintptr_t>(f->fn);
    const auto arg = reinterpret_cast<uintptr_t>(f->arg);
    out += fmt(" %05d  %012" PRIxPTR "  %012" PRIxPTR "  YES  %5d   %s\n", f->owner, code, arg, f->users,
               name.c_str());
  }
  return out + "\n";
}

std::string show_threads(const Hal& hal, std::span<const std::string> pats) {
  std::string out = "Realtime Threads:\n     Period  FP     Name               (     Time, Max-Time )\n";
  const auto& threads = hal.threads();
  for (auto it = threads.rbegin(); it != threads.rend(); ++it) {  // slowest first, as LinuxCNC lists them
    const HalThread& t = **it;
    if (!name_matches(t.name(), pats)) continue;
    out += fmt("%11" PRId64 "  YES  %20s ( %8" PRId32 ", %8" PRId32 " )\n", t.period_ns(), t.name().c_str(),
               t.time.get(), t.tmax.get());
    int index = 1;
    for (const FunctionRecord* f : t.functions()) out += fmt("%17s%2d %s\n", "", index++, f->name.c_str());
  }
  return out + "\n";
}

}  // namespace

bool name_matches(std::string_view name, std::span<const std::string> patterns) {
  if (patterns.empty()) return true;
  const std::string n(name);
  for (const std::string& p : patterns) {
    if (n.starts_with(p) || fnmatch(p.c_str(), n.c_str(), 0) == 0) return true;
  }
  return false;
}

Result<std::string> show(const Hal& hal, std::string_view what, std::span<const std::string> pats,
                         std::optional<Type> type) {
  if (what == "comp") return show_comps(hal, pats);
  if (what == "pin") return show_pins(hal, pats, type);
  if (what == "param" || what == "parameter") return show_params(hal, pats, type);
  if (what == "sig" || what == "signal") return show_signals(hal, pats, type);
  if (what == "funct" || what == "function") return show_functs(hal, pats);
  if (what == "thread") return show_threads(hal, pats);
  if (what.empty() || what == "all") {
    if (type) return show_pins(hal, pats, type) + show_params(hal, pats, type) + show_signals(hal, pats, type);
    return show_comps(hal, pats) + show_pins(hal, pats, type) + show_params(hal, pats, type) +
           show_signals(hal, pats, type) + show_functs(hal, pats) + show_threads(hal, pats);
  }
  return Error{"show: unknown type '" + std::string(what) + "' (comp, pin, sig, param, funct, thread or all)"};
}

Result<std::string> list(const Hal& hal, std::string_view what, std::span<const std::string> pats) {
  std::string out;
  const auto add = [&](const std::string& name) {
    if (name_matches(name, pats)) out += name + " ";
  };
  if (what == "comp") {
    for (const auto& c : hal.components()) add(c->name);
  } else if (what == "pin") {
    for (const auto& kv : hal.pins()) add(kv.first);
  } else if (what == "sig" || what == "signal") {
    for (const auto& kv : hal.signals()) add(kv.first);
  } else if (what == "param" || what == "parameter") {
    for (const auto& kv : hal.params()) add(kv.first);
  } else if (what == "funct" || what == "function") {
    for (const auto& kv : hal.functions()) add(kv.first);
  } else if (what == "thread") {
    for (const auto& t : hal.threads()) add(t->name());
  } else {
    return Error{"list: unknown type '" + std::string(what) + "' (comp, pin, sig, param, funct or thread)"};
  }
  return out + "\n";
}

}  // namespace rtstep::hal

// show / list layouts (see show.hpp). The column layouts follow LinuxCNC 2.9's halcmd exactly (12-character
// value column, 47-character component names, newest component first), so tools and test files that
// compare them read rtstep's output the same.
#include "hal/show.hpp"

#include <fnmatch.h>

#include <algorithm>
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

std::string owner_name(const Hal& hal, int id) {
  const ComponentRecord* c = hal.component(id);
  return c != nullptr ? c->name : std::to_string(id);
}

bool keep(std::string_view name, Type t, const ShowOptions& o) {
  return name_matches(name, o.patterns) && (!o.type || t == *o.type);
}

std::string show_comps(const Hal& hal, const ShowOptions& o) {
  std::string out = o.script ? "" : "Loaded HAL Components:\n" + fmt("ID      Type  %-*s PID   State\n", 47, "Name");
  const auto& comps = hal.components();
  for (auto it = comps.rbegin(); it != comps.rend(); ++it) {  // newest first, as LinuxCNC lists them
    const ComponentRecord& c = **it;
    if (!name_matches(c.name, o.patterns)) continue;
    out += fmt(" %5d  %-4s  %-*s %-5s %s\n", c.id, "RT", 47, c.name.c_str(), "", c.ready ? "ready" : "initializing");
  }
  return out + "\n";
}

// One pin or parameter row: owner, type, direction, value, name.
std::string pin_row(const Hal& hal, int owner, Type type, const char* dir, uint64_t raw, const std::string& name,
                    const ShowOptions& o) {
  if (o.script) {
    return fmt("%s %s %s %s %s", owner_name(hal, owner).c_str(), type_col(type).c_str(), dir,
               format_value(type, raw).c_str(), name.c_str());
  }
  return fmt(" %5d  %s %-3s  %s  %s", owner, type_col(type).c_str(), dir, format_value_cell(type, raw).c_str(),
             name.c_str());
}

std::string show_pins(const Hal& hal, const ShowOptions& o) {
  std::string out = o.script ? "" : "Component Pins:\nOwner   Type  Dir         Value  Name\n";
  for (const auto& [name, p] : hal.pins()) {
    if (!keep(name, p->type, o)) continue;
    out += pin_row(hal, p->owner, p->type, dir_name(p->dir), p->slot->load(std::memory_order_relaxed)->raw(), name, o);
    if (p->signal != nullptr) out += fmt(" %s %s", arrow_from_pin(p->dir), p->signal->name.c_str());
    out += "\n";
  }
  return out + "\n";
}

std::string show_params(const Hal& hal, const ShowOptions& o) {
  std::string out = o.script ? "" : "Parameters:\nOwner   Type  Dir         Value  Name\n";
  for (const auto& [name, p] : hal.params()) {
    if (!keep(name, p->type, o)) continue;
    out += pin_row(hal, p->owner, p->type, param_dir_name(p->dir), p->value->raw(), name, o) + "\n";
  }
  return out + "\n";
}

// `title` is "Pin Aliases" or "Parameter Aliases"; a pattern may match the alias or the original name.
template <typename Records>
std::string show_aliases(const Records& records, const char* title, const ShowOptions& o) {
  constexpr int kNameWidth = 47;
  std::string out = o.script ? "" : fmt("%s:\n %-*s  %s\n", title, kNameWidth, "Alias", "Original Name");
  for (const auto& [name, r] : records) {
    if (r->original.empty() || (!name_matches(name, o.patterns) && !name_matches(r->original, o.patterns))) continue;
    out += o.script ? fmt(" %s  %s\n", name.c_str(), r->original.c_str())
                    : fmt(" %-*s  %s\n", kNameWidth, name.c_str(), r->original.c_str());
  }
  return out + "\n";
}

// A signal's pins in name order, as LinuxCNC lists them (it walks the sorted pin list).
std::vector<const PinRecord*> pins_by_name(const SignalRecord& s) {
  std::vector<const PinRecord*> pins(s.pins.begin(), s.pins.end());
  std::sort(pins.begin(), pins.end(), [](const PinRecord* a, const PinRecord* b) { return a->name < b->name; });
  return pins;
}

std::string show_signals(const Hal& hal, const ShowOptions& o) {
  std::string out = o.script ? "" : "Signals:\nType          Value  Name     (linked to)\n";
  for (const auto& [name, s] : hal.signals()) {
    if (!keep(name, s->type, o)) continue;
    const uint64_t raw = s->value.raw();
    if (o.script) {
      out += fmt("%s  %s  %s", type_col(s->type).c_str(), format_value(s->type, raw).c_str(), name.c_str());
      for (const PinRecord* p : pins_by_name(*s)) out += fmt(" %s %s", arrow_from_sig(p->dir), p->name.c_str());
      out += "\n";
      continue;
    }
    out += fmt("%s  %s  %s\n", type_col(s->type).c_str(), format_value_cell(s->type, raw).c_str(), name.c_str());
    for (const PinRecord* p : pins_by_name(*s)) out += fmt("%25s%s %s\n", "", arrow_from_sig(p->dir), p->name.c_str());
  }
  return out + "\n";
}

std::string show_functs(const Hal& hal, const ShowOptions& o) {
  std::string out = o.script ? "" : "Exported Functions:\nOwner   CodeAddr  Arg       FP   Users  Name\n";
  for (const auto& [name, f] : hal.functions()) {
    if (!name_matches(name, o.patterns)) continue;
    const auto code = reinterpret_cast<uintptr_t>(f->fn);
    const auto arg = reinterpret_cast<uintptr_t>(f->arg);
    if (o.script) {
      out += fmt("%s %012" PRIxPTR " %012" PRIxPTR " YES %3d %s\n", owner_name(hal, f->owner).c_str(), code, arg,
                 f->users, name.c_str());
    } else {
      out += fmt(" %05d  %012" PRIxPTR "  %012" PRIxPTR "  YES  %5d   %s\n", f->owner, code, arg, f->users,
                 name.c_str());
    }
  }
  return out + "\n";
}

std::string show_threads(const Hal& hal, const ShowOptions& o) {
  std::string out = o.script ? "" : "Realtime Threads:\n     Period  FP     Name               (     Time, Max-Time )\n";
  const auto& threads = hal.threads();
  for (auto it = threads.rbegin(); it != threads.rend(); ++it) {  // slowest first, as LinuxCNC lists them
    const HalThread& t = **it;
    if (!name_matches(t.name(), o.patterns)) continue;
    if (o.script) {  // one line: period, FP, name, time, tmax, then the functions in run order
      out += fmt("%" PRId64 " YES %s %" PRId32 " %" PRId32, t.period_ns(), t.name().c_str(), t.time.get(), t.tmax.get());
      for (const FunctionRecord* f : t.functions()) out += " " + f->name;
      out += "\n";
      continue;
    }
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

Result<std::string> show(const Hal& hal, std::string_view what, const ShowOptions& o) {
  if (what == "comp") return show_comps(hal, o);
  if (what == "pin") return show_pins(hal, o);
  if (what == "param" || what == "parameter") return show_params(hal, o);
  if (what == "sig" || what == "signal") return show_signals(hal, o);
  if (what == "funct" || what == "function") return show_functs(hal, o);
  if (what == "thread") return show_threads(hal, o);
  if (what == "alias") return show_aliases(hal.pins(), "Pin Aliases", o) + show_aliases(hal.params(), "Parameter Aliases", o);
  if (what.empty() || what == "all") {
    if (o.type) return show_pins(hal, o) + show_params(hal, o) + show_signals(hal, o);
    return show_comps(hal, o) + show_pins(hal, o) + show_aliases(hal.pins(), "Pin Aliases", o) + show_params(hal, o) +
           show_aliases(hal.params(), "Parameter Aliases", o) + show_signals(hal, o) + show_functs(hal, o) +
           show_threads(hal, o);
  }
  return Error{"Unknown 'show' type '" + std::string(what) + "'"};
}

Result<std::string> list(const Hal& hal, std::string_view what, std::span<const std::string> pats) {
  std::string out;
  const auto add = [&](const std::string& name) {
    if (name_matches(name, pats)) out += name + " ";
  };
  if (what == "comp") {
    const auto& comps = hal.components();
    for (auto it = comps.rbegin(); it != comps.rend(); ++it) add((*it)->name);  // newest first
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
    return Error{"Unknown 'list' type '" + std::string(what) + "'"};
  }
  return out + "\n";
}

}  // namespace rtstep::hal

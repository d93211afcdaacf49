// The HAL registry: components, pins, params, signals and the linking rules (see hal.hpp).
#include "hal/hal.hpp"

#include <algorithm>
#include <cctype>

#include "hal/thread.hpp"
#include "rt/periodic.hpp"

namespace rtstep::hal {

namespace {

bool is_reader(Dir d) { return d == Dir::kIn || d == Dir::kIo; }

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// setp's and sets' message for a value the pin's type does not take, as halcmd's (integer types in capitals),
// followed by the command's own failure line.
Error invalid_value(std::string_view cmd, Type type, std::string_view text) {
  std::string name = type_name(type);
  if (type != Type::kBit && type != Type::kFloat) {
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return Error{"value " + quoted(text) + " invalid for " + name + "\n" + std::string(cmd) + " failed"};
}

}  // namespace

Hal::Hal() : running_(std::make_unique<std::atomic<bool>>(false)) {}

Hal::~Hal() { shutdown(); }

Result<int> Hal::add_component(std::string name) {
  if (name.empty()) return Error{"component name is empty"};
  if (find_component(name) != nullptr) return Error{"duplicate component name " + quoted(name)};
  auto comp = std::make_unique<ComponentRecord>();
  comp->id = next_component_id_++;
  comp->name = std::move(name);
  components_.push_back(std::move(comp));
  return components_.back()->id;
}

void Hal::ready(int comp_id) {
  if (ComponentRecord* c = component_mut(comp_id)) c->ready = true;
}

void Hal::remove_component(int comp_id) {
  for (auto it = pins_.begin(); it != pins_.end();) {
    if (it->second->owner == comp_id) {
      if (it->second->signal != nullptr) do_unlink(*it->second);
      pin_aliases_.erase(it->second->original);
      it = pins_.erase(it);
    } else {
      ++it;
    }
  }
  if (!threads_started()) {
    // A thread's pseudo-component `__<thread>` (its pins point into the thread) goes with the thread.
    for (const auto& t : threads_) {
      if (t->owner() != comp_id) continue;
      if (const ComponentRecord* pseudo = find_component("__" + t->name())) remove_component(pseudo->id);
    }
    std::erase_if(threads_, [comp_id](const auto& t) { return t->owner() == comp_id; });
  }
  std::erase_if(params_, [this, comp_id](const auto& kv) {
    if (kv.second->owner != comp_id) return false;
    param_aliases_.erase(kv.second->original);
    return true;
  });
  std::erase_if(functions_, [comp_id](const auto& kv) { return kv.second->owner == comp_id; });
  std::erase_if(components_, [comp_id](const auto& c) { return c->id == comp_id; });
}

const ComponentRecord* Hal::component(int id) const {
  for (const auto& c : components_) {
    if (c->id == id) return c.get();
  }
  return nullptr;
}

ComponentRecord* Hal::component_mut(int id) { return const_cast<ComponentRecord*>(component(id)); }

const ComponentRecord* Hal::find_component(std::string_view name) const {
  for (const auto& c : components_) {
    if (c->name == name) return c.get();
  }
  return nullptr;
}

Status Hal::check_new_name(int comp_id, const std::string& name, bool is_param) const {
  const ComponentRecord* c = component(comp_id);
  if (c == nullptr) return Error{"component id " + std::to_string(comp_id) + " not found"};
  if (c->ready) return Error{"component " + quoted(c->name) + " is ready: cannot add " + quoted(name)};
  if (name.empty() || name.size() > 127) return Error{"invalid name " + quoted(name)};
  if (is_param ? find_param(name) != nullptr : find_pin(name) != nullptr) {
    return Error{std::string(is_param ? "duplicate parameter " : "duplicate pin ") + quoted(name)};
  }
  return Ok{};
}

Status Hal::add_pin_record(int comp_id, std::string name, Type type, Dir dir, std::atomic<Value*>& slot,
                           Value*& own, uint64_t initial) {
  if (auto st = check_new_name(comp_id, name, false); !st) return st;
  auto pin = std::make_unique<PinRecord>();
  pin->name = name;
  pin->type = type;
  pin->dir = dir;
  pin->owner = comp_id;
  pin->slot = &slot;
  pin->dummy.set_raw(initial);
  own = &pin->dummy;
  slot.store(&pin->dummy, std::memory_order_relaxed);
  pins_.emplace(std::move(name), std::move(pin));
  return Ok{};
}

Status Hal::add_param_record(int comp_id, std::string name, Type type, ParamDir dir, Value& value) {
  if (auto st = check_new_name(comp_id, name, true); !st) return st;
  auto param = std::make_unique<ParamRecord>();
  param->name = name;
  param->type = type;
  param->dir = dir;
  param->owner = comp_id;
  param->value = &value;
  params_.emplace(std::move(name), std::move(param));
  return Ok{};
}

Status Hal::add_function(int comp_id, std::string name, FunctionFn fn, void* arg) {
  const ComponentRecord* c = component(comp_id);
  if (c == nullptr) return Error{"component id " + std::to_string(comp_id) + " not found"};
  if (functions_.contains(name)) return Error{"duplicate function " + quoted(name)};
  if (fn == nullptr) return Error{"function " + quoted(name) + " has no code"};
  auto f = std::make_unique<FunctionRecord>();
  f->name = name;
  f->owner = comp_id;
  f->fn = fn;
  f->arg = arg;
  FunctionRecord& rec = *f;
  functions_.emplace(name, std::move(f));
  // LinuxCNC's per-function statistics: <funct>.time (pin), .tmax and .tmax-increased (params).
  Status st = add_pin(comp_id, name + ".time", Dir::kOut, rec.time, int32_t{0});
  if (st) st = add_param(comp_id, name + ".tmax", ParamDir::kRw, rec.tmax);
  if (st) st = add_param(comp_id, name + ".tmax-increased", ParamDir::kRo, rec.tmax_increased);
  if (!st) functions_.erase(name);
  return st;
}

Instance* Hal::own(int comp_id, std::unique_ptr<Instance> instance) {
  ComponentRecord* c = component_mut(comp_id);
  if (c == nullptr) return nullptr;
  c->instances.push_back(std::move(instance));
  return c->instances.back().get();
}

// --- Signals and links ---

Status Hal::new_signal(const std::string& name, Type type) {
  if (name.empty()) return Error{"signal name is empty"};
  if (signals_.contains(name)) return Error{"duplicate signal " + quoted(name)};
  auto sig = std::make_unique<SignalRecord>();
  sig->name = name;
  sig->type = type;
  signals_.emplace(name, std::move(sig));
  return Ok{};
}

Status Hal::delete_signal(const std::string& name) {
  auto it = signals_.find(name);
  if (it == signals_.end()) return Error{"signal " + quoted(name) + " not found"};
  while (!it->second->pins.empty()) do_unlink(*it->second->pins.back());
  // A running function may have loaded a pin's pointer to this value just before the unlink: free it only
  // after every such cycle has ended.
  std::unique_ptr<SignalRecord> sig = std::move(it->second);
  signals_.erase(it);
  if (!wait_grace()) retired_signals_.push_back(std::move(sig));
  return Ok{};
}

// hal_link's checks and messages, in its order (the pin on this signal already passes).
Status Hal::check_link(const PinRecord& pin, const SignalRecord& sig) const {
  if (pin.signal == &sig) return Ok{};
  if (pin.signal != nullptr) {
    return Error{"pin " + quoted(pin.name) + " is linked to " + quoted(pin.signal->name) + ", cannot link to " +
                 quoted(sig.name)};
  }
  if (pin.type != sig.type) return Error{"type mismatch " + quoted(pin.name) + " <- " + quoted(sig.name)};
  if (pin.dir == Dir::kOut && (sig.writers > 0 || sig.bidirs > 0)) {
    return Error{"signal " + quoted(sig.name) + " already has output or I/O pin(s)"};
  }
  if (pin.dir == Dir::kIo && sig.writers > 0) return Error{"signal " + quoted(sig.name) + " already has output pin"};
  return Ok{};
}

void Hal::do_link(PinRecord& pin, SignalRecord& sig) {
  // Hand-over: the first writer, or the first pin of a signal without writers, seeds the value; an IN
  // pin joining a signal that already has readers takes the signal's value.
  if (sig.writers == 0 && sig.bidirs == 0 && (pin.dir != Dir::kIn || sig.readers == 0)) {
    sig.value.set_raw(pin.dummy.raw());
  }
  pin.slot->store(&sig.value, std::memory_order_release);  // publishes the signal's value
  pin.signal = &sig;
  sig.pins.push_back(&pin);
  if (is_reader(pin.dir)) ++sig.readers;
  if (pin.dir == Dir::kOut) ++sig.writers;
  if (pin.dir == Dir::kIo) ++sig.bidirs;
}

void Hal::do_unlink(PinRecord& pin) {
  SignalRecord& sig = *pin.signal;
  pin.dummy.set_raw(sig.value.raw());  // the pin keeps the last value it saw
  pin.slot->store(&pin.dummy, std::memory_order_release);
  pin.signal = nullptr;
  std::erase(sig.pins, &pin);
  if (is_reader(pin.dir)) --sig.readers;
  if (pin.dir == Dir::kOut) --sig.writers;
  if (pin.dir == Dir::kIo) --sig.bidirs;
}

Status Hal::link(const std::string& pin_name, const std::string& signal_name) {
  PinRecord* pin = find_pin(pin_name);
  if (pin == nullptr) return Error{"pin " + quoted(pin_name) + " not found"};
  auto sit = signals_.find(signal_name);
  if (sit == signals_.end()) return Error{"signal " + quoted(signal_name) + " not found"};
  if (auto st = check_link(*pin, *sit->second); !st) return st;
  if (pin->signal == nullptr) do_link(*pin, *sit->second);
  return Ok{};
}

Status Hal::unlink(const std::string& pin_name) {
  PinRecord* pin = find_pin(pin_name);
  if (pin == nullptr) return Error{"pin " + quoted(pin_name) + " not found"};
  if (pin->signal != nullptr) do_unlink(*pin);
  return Ok{};
}

// --- Values ---

Status Hal::set_pin_or_param(const std::string& name, std::string_view text) {
  if (ParamRecord* found = find_param(name)) {
    ParamRecord& p = *found;
    if (p.dir == ParamDir::kRo) return Error{"param " + quoted(name) + " is not writable"};
    auto v = parse_value(p.type, text);
    if (!v) return invalid_value("setp", p.type, text);
    p.value->set_raw(*v);
    return Ok{};
  }
  PinRecord* found = find_pin(name);
  // LinuxCNC 2.9's texts for these common mistakes.
  if (found == nullptr) return Error{"parameter or pin " + quoted(name) + " not found"};
  PinRecord& pin = *found;
  if (pin.dir == Dir::kOut) return Error{"pin " + quoted(name) + " is not writable"};
  if (pin.signal != nullptr) return Error{"pin " + quoted(name) + " is connected to a signal"};
  auto v = parse_value(pin.type, text);
  if (!v) return invalid_value("setp", pin.type, text);
  pin.dummy.set_raw(*v);
  return Ok{};
}

Result<std::string> Hal::get_pin_or_param(const std::string& name) const {
  if (const ParamRecord* p = find_param(name)) return format_value(p->type, p->value->raw());
  const PinRecord* pin = find_pin(name);
  if (pin == nullptr) return Error{"pin or parameter " + quoted(name) + " not found"};
  return format_value(pin->type, pin->slot->load(std::memory_order_relaxed)->raw());
}

Status Hal::set_signal(const std::string& name, std::string_view text) {
  auto it = signals_.find(name);
  if (it == signals_.end()) return Error{"signal " + quoted(name) + " not found"};
  SignalRecord& sig = *it->second;
  if (sig.writers > 0) return Error{"signal " + quoted(name) + " already has writer(s)"};
  auto v = parse_value(sig.type, text);
  if (!v) return invalid_value("sets", sig.type, text);
  sig.value.set_raw(*v);
  return Ok{};
}

Result<std::string> Hal::get_signal(const std::string& name) const {
  auto it = signals_.find(name);
  if (it == signals_.end()) return Error{"signal " + quoted(name) + " not found"};
  return format_value(it->second->type, it->second->value.raw());
}

}  // namespace rtstep::hal

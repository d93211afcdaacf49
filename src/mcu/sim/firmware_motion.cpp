// SimFirmware (firmware.hpp): what moves — steppers (queue_step, move slots, directions, positions) and
// homing (endstop sampling, trsync triggers and timeouts).

#include "mcu/sim/firmware.hpp"

#include <algorithm>

namespace rtstep::mcu::sim {

// A move takes a slot until the clock it loads at; the firmware shuts down when none is free.
bool SimFirmware::take_move_slot(Object& o, uint64_t load_clock, std::vector<uint8_t>& out) {
  std::size_t used = 0;
  for (Object& x : objects_) {
    while (!x.loads.empty() && x.loads.front() <= now_) x.loads.pop_front();
    used += x.loads.size();
  }
  if (used >= options_.move_count) {
    shutdown("Move queue overflow", out);
    return false;
  }
  if (load_clock > now_) o.loads.push_back(load_clock);
  return true;
}

bool SimFirmware::dispatch_stepper(const Message& m, std::vector<uint8_t>& out) {
  if (m.name == "queue_step") {
    Object* s = object(m, Object::Kind::kStepper, out);
    if (s == nullptr || s->need_reset || !take_move_slot(*s, s->last_clock, out)) return true;
    uint64_t t = s->last_clock;
    int64_t interval = *m.integer("interval");
    const auto count = *m.integer("count");
    const int64_t add = *m.integer("add");
    if (count > 0 && t + static_cast<uint64_t>(interval) < now_) {
      shutdown("Timer too close", out);  // the first step is already in the past
      return true;
    }
    for (int64_t i = 0; i < count; ++i) {
      t += static_cast<uint64_t>(interval);
      s->pending.push_back({t, static_cast<uint8_t>(s - objects_.data()), s->next_dir, static_cast<uint32_t>(restarts_)});
      interval += add;
    }
    s->last_clock = t;
  } else if (m.name == "set_next_step_dir") {
    if (Object* s = object(m, Object::Kind::kStepper, out)) s->next_dir = static_cast<uint8_t>(*m.integer("dir") != 0);
  } else if (m.name == "reset_step_clock") {
    if (Object* s = object(m, Object::Kind::kStepper, out)) {
      s->last_clock = extend(static_cast<uint64_t>(*m.integer("clock")));
      s->need_reset = false;
    }
  } else if (m.name == "stepper_get_position") {
    if (Object* s = object(m, Object::Kind::kStepper, out)) {
      run_steps_until(now_);
      respond(out, "stepper_position", {*m.integer("oid"), s->position});
    }
  } else if (m.name == "stepper_stop_on_trigger") {
    Object* s = object(m, Object::Kind::kStepper, out);
    if (s != nullptr && object(m, Object::Kind::kTrsync, out, "trsync_oid") != nullptr) {
      s->stop_trsync = static_cast<int>(*m.integer("trsync_oid"));
    }
  } else {
    return false;
  }
  return true;
}

bool SimFirmware::dispatch_homing(const Message& m, std::vector<uint8_t>& out) {
  if (m.name == "endstop_home") {
    Object* e = object(m, Object::Kind::kEndstop, out);
    if (e == nullptr) return true;
    e->sample_count = static_cast<uint8_t>(*m.integer("sample_count"));
    e->homing = e->sample_count != 0;
    if (!e->homing) return true;
    if (object(m, Object::Kind::kTrsync, out, "trsync_oid") == nullptr) return true;
    e->next_begin = extend(static_cast<uint64_t>(*m.integer("clock")));
    e->sample_ticks = static_cast<uint32_t>(*m.integer("sample_ticks"));
    e->rest_ticks = static_cast<uint32_t>(*m.integer("rest_ticks"));
    e->target_value = static_cast<uint8_t>(*m.integer("pin_value"));
    e->trsync_oid = static_cast<uint8_t>(*m.integer("trsync_oid"));
    e->trigger_reason = static_cast<uint8_t>(*m.integer("trigger_reason"));
  } else if (m.name == "endstop_query_state") {
    if (Object* e = object(m, Object::Kind::kEndstop, out)) {
      run_steps_until(now_);
      respond(out, "endstop_state", {*m.integer("oid"), int64_t{e->homing}, static_cast<int64_t>(e->next_begin & 0xFFFFFFFF),
                                     int64_t{pin_value(e->pin)}});
    }
  } else if (m.name == "trsync_start") {
    if (Object* t = object(m, Object::Kind::kTrsync, out)) {
      t->can_trigger = true;
      t->reason = 0;
      t->expire_clock = 0;
      t->expire_reason = static_cast<uint8_t>(*m.integer("expire_reason"));
    }
  } else if (m.name == "trsync_set_timeout") {
    if (Object* t = object(m, Object::Kind::kTrsync, out)) t->expire_clock = extend(static_cast<uint64_t>(*m.integer("clock")));
  } else if (m.name == "trsync_trigger") {
    if (object(m, Object::Kind::kTrsync, out) != nullptr) {
      trigger(static_cast<std::size_t>(*m.integer("oid")), static_cast<uint8_t>(*m.integer("reason")), now_, out);
    }
  } else {
    return false;
  }
  return true;
}

// The trsync fires once: its steppers stop where they are, its endstops stop homing, the host is told.
void SimFirmware::trigger(std::size_t trsync_oid, uint8_t reason, uint64_t clock, std::vector<uint8_t>& out) {
  Object& t = objects_[trsync_oid];
  if (!t.can_trigger) return;
  t.can_trigger = false;
  t.reason = reason;
  t.trigger_clock = clock;
  run_steps_until(clock);
  for (Object& o : objects_) {
    if (o.kind == Object::Kind::kStepper && o.stop_trsync == static_cast<int>(trsync_oid)) {
      o.pending.clear();
      o.loads.clear();
      o.last_clock = clock;
      o.need_reset = true;
    }
    if (o.kind == Object::Kind::kEndstop && o.trsync_oid == trsync_oid) o.homing = false;
  }
  respond(out, "trsync_state", {static_cast<int64_t>(trsync_oid), int64_t{0}, int64_t{reason},
                                static_cast<int64_t>(clock & 0xFFFFFFFF)});
}

uint8_t SimFirmware::pin_value(const std::string& pin) const {
  const auto it = options_.endstops.find(pin);
  if (it == options_.endstops.end()) return 0;
  for (const Object& o : objects_) {
    if (o.kind == Object::Kind::kStepper && o.pin == it->second.first) return o.position <= it->second.second ? 1 : 0;
  }
  return 0;
}

void SimFirmware::run_steps_until(uint64_t clock) {
  for (Object& o : objects_) {
    while (!o.pending.empty() && o.pending.front().clock <= clock) {
      steps_.push_back(o.pending.front());
      o.position += o.pending.front().dir != 0 ? 1 : -1;
      ++o.steps_taken;
      o.pending.pop_front();
    }
  }
}

// Endstop samples and trsync timeouts in clock order, each seeing the steps taken up to it; `sample_count`
// matching samples `sample_ticks` apart trigger the endstop's trsync.
void SimFirmware::run_endstops_until(uint64_t clock, std::vector<uint8_t>& out) {
  for (;;) {
    Object* sample = nullptr;
    std::size_t expire = objects_.size();
    uint64_t at = clock + 1;
    for (std::size_t i = 0; i < objects_.size(); ++i) {
      Object& o = objects_[i];
      if (o.kind == Object::Kind::kEndstop && o.homing && o.next_begin < at) {
        sample = &o;
        expire = objects_.size();
        at = o.next_begin;
      } else if (o.kind == Object::Kind::kTrsync && o.can_trigger && o.expire_clock != 0 && o.expire_clock < at) {
        sample = nullptr;
        expire = i;
        at = o.expire_clock;
      }
    }
    if (expire < objects_.size()) {
      trigger(expire, objects_[expire].expire_reason, at, out);
      continue;
    }
    if (sample == nullptr) return;
    bool all = true;
    uint64_t last = sample->next_begin;
    for (uint8_t i = 0; i < sample->sample_count && all; ++i) {
      last = sample->next_begin + uint64_t{i} * sample->sample_ticks;
      run_steps_until(last);
      all = pin_value(sample->pin) == sample->target_value;
    }
    if (all) {
      trigger(sample->trsync_oid, sample->trigger_reason, last, out);
      sample->homing = false;
    } else {
      sample->next_begin += std::max<uint32_t>(sample->rest_ticks, 1);
    }
  }
}

}  // namespace rtstep::mcu::sim

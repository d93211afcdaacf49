// SimFirmware (firmware.hpp): the firmware's side of the protocol — its dictionary, transport, configuration,
// shutdown rules and the objects it executes.

#include "mcu/sim/firmware.hpp"

#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

namespace rtstep::mcu::sim {

namespace {

// Message formats as current Klipper firmware declares them (src/basecmd.c, stepper.c, gpiocmds.c,
// adccmds.c with the batched report, endstop.c, trsync.c); identify and identify_response keep the ids
// the protocol fixes.
const char* const kCommands[] = {
    "get_uptime",
    "get_clock",
    "get_config",
    "allocate_oids count=%c",
    "finalize_config crc=%u",
    "emergency_stop",
    "clear_shutdown",
    "reset",
    "config_stepper oid=%c step_pin=%c dir_pin=%c invert_step=%c step_pulse_ticks=%u",
    "queue_step oid=%c interval=%u count=%hu add=%hi",
    "set_next_step_dir oid=%c dir=%c",
    "reset_step_clock oid=%c clock=%u",
    "stepper_get_position oid=%c",
    "stepper_stop_on_trigger oid=%c trsync_oid=%c",
    "config_digital_out oid=%c pin=%u value=%c default_value=%c max_duration=%u",
    "set_digital_out_pwm_cycle oid=%c cycle_ticks=%u",
    "queue_digital_out oid=%c clock=%u on_ticks=%u",
    "update_digital_out oid=%c value=%c",
    "config_analog_in oid=%c pin=%u",
    "query_analog_in oid=%c clock=%u sample_ticks=%u sample_count=%c rest_ticks=%u bytes_per_report=%c "
    "min_value=%hu max_value=%hu range_check_count=%c",
    "config_endstop oid=%c pin=%c pull_up=%c",
    "endstop_home oid=%c clock=%u sample_ticks=%u sample_count=%c rest_ticks=%u pin_value=%c trsync_oid=%c "
    "trigger_reason=%c",
    "endstop_query_state oid=%c",
    "config_trsync oid=%c",
    "trsync_start oid=%c report_clock=%u report_ticks=%u expire_reason=%c",
    "trsync_set_timeout oid=%c clock=%u",
    "trsync_trigger oid=%c reason=%c",
};
const char* const kResponses[] = {
    "starting",
    "uptime high=%u clock=%u",
    "clock clock=%u",
    "config is_config=%c crc=%u is_shutdown=%c move_count=%hu",
    "shutdown clock=%u static_string_id=%hu",
    "is_shutdown static_string_id=%hu",
    "stepper_position oid=%c pos=%i",
    "analog_in_state oid=%c next_clock=%u values=%*s",
    "endstop_state oid=%c homing=%c next_clock=%u pin_value=%c",
    "trsync_state oid=%c can_trigger=%c trigger_reason=%c clock=%u",
};
const char* const kShutdownStrings[] = {
    "Timer too close",
    "Move queue overflow",
    "Missed scheduling of next digital out event",
    "Scheduled digital out event will exceed max_duration",
    "ADC out of range",
    "Command request",
    "Invalid command",
    "Invalid oid type",
    "oids already allocated",
    "Already finalized",
    "Shutdown cleared when not shutdown",
    "Invalid analog_in bytes_per_report",
};
// Commands the firmware still runs in shutdown (Klipper's HF_IN_SHUTDOWN).
const char* const kInShutdown[] = {"identify",       "get_uptime", "get_clock",           "get_config",
                                   "clear_shutdown", "reset",      "emergency_stop",      "stepper_get_position",
                                   "endstop_query_state", "trsync_trigger"};

constexpr uint16_t kAdcDefault = 2048;

}  // namespace

SimFirmware::SimFirmware(FirmwareOptions options) : options_(std::move(options)) {
  build_dictionary();
  outputs_.reserve(1024);
}

// The dictionary JSON: message ids shuffled by the seed (2.. for commands, after them for responses).
void SimFirmware::build_dictionary() {
  using json = nlohmann::json;
  std::vector<std::string> commands, responses;
  for (const char* c : kCommands) {
    std::string f = c;
    if (options_.legacy_adc && f.rfind("query_analog_in ", 0) == 0) {
      f = "query_analog_in oid=%c clock=%u sample_ticks=%u sample_count=%c rest_ticks=%u min_value=%hu max_value=%hu "
          "range_check_count=%c";
    }
    if (options_.omit.count(f.substr(0, f.find(' '))) == 0) commands.push_back(f);
  }
  for (const char* r : kResponses) {
    const std::string f = r;
    responses.push_back(options_.legacy_adc && f.rfind("analog_in_state ", 0) == 0 ? "analog_in_state oid=%c next_clock=%u value=%hu" : f);
  }
  std::vector<int> ids(commands.size() + responses.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>(i) + 2;
  if (options_.id_seed != 0) std::shuffle(ids.begin(), ids.end(), std::mt19937(options_.id_seed));
  json doc;
  doc["app"] = "Klipper";
  doc["version"] = "rtstep-mcu-sim";
  doc["build_versions"] = "rtstep-mcu-sim";
  doc["commands"]["identify offset=%u count=%c"] = 1;
  doc["responses"]["identify_response offset=%u data=%.*s"] = 0;
  std::size_t next = 0;
  for (const auto& c : commands) doc["commands"][c] = ids[next++];
  for (const auto& r : responses) doc["responses"][r] = ids[next++];
  doc["config"] = {{"CLOCK_FREQ", static_cast<int64_t>(options_.clock_hz)},
                   {"MCU", "rtstep-sim"},
                   {"ADC_MAX", 4095},
                   {"PWM_MAX", 255},
                   {"STEPPER_STEP_BOTH_EDGE", 1},
                   {"RECEIVE_WINDOW", 192},
                   {"STATS_SUMSQ_BASE", 256}};
  doc["enumerations"]["pin"] = {{"PA0", {0, 16}}, {"PB0", {16, 16}}, {"PC0", {32, 16}}};
  uint16_t sid = 1;
  for (const char* s : kShutdownStrings) {
    doc["enumerations"]["static_string_id"][s] = sid;
    static_strings_[s] = sid++;
  }
  json_ = doc.dump();
  dictionary_ = Dictionary::parse_json(json_).value();  // built here: well formed
  compressed_ = deflate_zlib(json_);
}

uint64_t SimFirmware::extend(uint64_t clock32) const noexcept {
  const auto diff = static_cast<int32_t>(static_cast<uint32_t>(clock32) - static_cast<uint32_t>(now_));
  if (diff < 0 && static_cast<uint64_t>(-static_cast<int64_t>(diff)) > now_) return 0;
  return static_cast<uint64_t>(static_cast<int64_t>(now_) + diff);
}

void SimFirmware::respond(std::vector<uint8_t>& out, std::string_view name, std::initializer_list<Value> values) const {
  const MessageFormat* f = dictionary_.find(name);
  std::vector<uint8_t> msg;
  append_vlq(msg, static_cast<uint32_t>(f->id));
  auto v = values.begin();
  for (const ParamFormat& p : f->params) {
    if (std::holds_alternative<int64_t>(*v)) {
      append_vlq(msg, static_cast<uint32_t>(std::get<int64_t>(*v)));
    } else {
      const std::string& s = std::get<std::string>(*v);
      msg.push_back(static_cast<uint8_t>(s.size()));
      msg.insert(msg.end(), s.begin(), s.end());
    }
    (void)p;
    ++v;
  }
  (void)append_block(out, expected_seq_, msg);
}

std::vector<uint8_t> SimFirmware::receive(std::span<const uint8_t> bytes, uint64_t now) {
  std::vector<uint8_t> out = advance(now);
  while (!bytes.empty()) {
    bytes = bytes.subspan(parser_.feed(bytes));
    while (auto block = parser_.next()) {
      if (block->sequence() != expected_seq_) {
        ++naks_;
        (void)append_block(out, expected_seq_, {});  // not advanced: a nak
        continue;
      }
      expected_seq_ = (expected_seq_ + 1) & kSeqMask;
      auto messages = dictionary_.decode_all(block->payload());
      if (!messages) {
        shutdown("Invalid command", out);
      } else {
        for (const Message& m : *messages) dispatch(m, out);
      }
      (void)append_block(out, expected_seq_, {});
    }
    if (parser_.errors() != parser_errors_) {
      parser_errors_ = parser_.errors();
      ++naks_;
      (void)append_block(out, expected_seq_, {});
    }
  }
  return out;
}

void SimFirmware::dispatch(const Message& m, std::vector<uint8_t>& out) {
  if (shutdown_reason_ && std::none_of(std::begin(kInShutdown), std::end(kInShutdown), [&](const char* c) { return m.name == c; })) {
    respond(out, "is_shutdown", {int64_t{static_strings_.at(*shutdown_reason_)}});
    return;
  }
  if (dispatch_base(m, out) || dispatch_config(m, out) || dispatch_stepper(m, out) || dispatch_output(m, out) ||
      dispatch_homing(m, out)) {
    return;
  }
  shutdown("Invalid command", out);
}

bool SimFirmware::dispatch_base(const Message& m, std::vector<uint8_t>& out) {
  if (m.name == "identify") {
    const auto offset = static_cast<std::size_t>(*m.integer("offset"));
    const std::size_t count = static_cast<std::size_t>(*m.integer("count"));
    const std::size_t n = offset < compressed_.size() ? std::min(count, compressed_.size() - offset) : 0;
    const std::string data(compressed_.begin() + static_cast<std::ptrdiff_t>(std::min(offset, compressed_.size())),
                           compressed_.begin() + static_cast<std::ptrdiff_t>(std::min(offset, compressed_.size()) + n));
    respond(out, "identify_response", {int64_t{static_cast<int64_t>(offset)}, data});
  } else if (m.name == "get_uptime") {
    respond(out, "uptime", {static_cast<int64_t>(now_ >> 32), static_cast<int64_t>(now_ & 0xFFFFFFFF)});
  } else if (m.name == "get_clock") {
    respond(out, "clock", {static_cast<int64_t>(now_ & 0xFFFFFFFF)});
  } else if (m.name == "get_config") {
    respond(out, "config", {int64_t{is_config_}, int64_t{config_crc_}, int64_t{shutdown_reason_.has_value()},
                            int64_t{options_.move_count}});
  } else if (m.name == "emergency_stop") {
    shutdown("Command request", out);
  } else if (m.name == "clear_shutdown") {
    if (!shutdown_reason_) {
      shutdown("Shutdown cleared when not shutdown", out);
    } else {
      shutdown_reason_.reset();
    }
  } else if (m.name == "reset") {
    reset_requested_ = true;
  } else {
    return false;
  }
  return true;
}

SimFirmware::Object* SimFirmware::object(const Message& m, Object::Kind kind, std::vector<uint8_t>& out,
                                         std::string_view field) {
  const auto oid = m.integer(field);
  if (!oid || *oid < 0 || static_cast<std::size_t>(*oid) >= objects_.size() ||
      (kind != Object::Kind::kNone && objects_[static_cast<std::size_t>(*oid)].kind != kind)) {
    shutdown("Invalid oid type", out);
    return nullptr;
  }
  return &objects_[static_cast<std::size_t>(*oid)];
}

bool SimFirmware::dispatch_config(const Message& m, std::vector<uint8_t>& out) {
  static const std::pair<const char*, Object::Kind> kConfigs[] = {
      {"config_stepper", Object::Kind::kStepper},   {"config_digital_out", Object::Kind::kDigitalOut},
      {"config_analog_in", Object::Kind::kAnalogIn}, {"config_endstop", Object::Kind::kEndstop},
      {"config_trsync", Object::Kind::kTrsync}};
  if (m.name == "allocate_oids") {
    if (oids_allocated_) {
      shutdown("oids already allocated", out);
    } else {
      objects_.assign(static_cast<std::size_t>(*m.integer("count")), Object{});
      oids_allocated_ = true;
    }
    return true;
  }
  if (m.name == "finalize_config") {
    if (is_config_) {
      shutdown("Already finalized", out);
    } else {
      is_config_ = true;
      config_crc_ = static_cast<uint32_t>(*m.integer("crc"));
    }
    return true;
  }
  for (const auto& [name, kind] : kConfigs) {
    if (m.name != name) continue;
    Object* o = object(m, Object::Kind::kNone, out);
    if (o == nullptr) return true;
    if (is_config_ || o->kind != Object::Kind::kNone) {
      shutdown("Already finalized", out);
      return true;
    }
    o->kind = kind;
    if (kind == Object::Kind::kStepper) {
      o->pin = *m.text("step_pin");
    } else if (kind != Object::Kind::kTrsync) {
      o->pin = *m.text("pin");
    }
    if (kind == Object::Kind::kDigitalOut) {
      o->value = static_cast<uint8_t>(*m.integer("value"));
      o->default_value = static_cast<uint8_t>(*m.integer("default_value"));
      o->max_duration = static_cast<uint32_t>(*m.integer("max_duration"));
    }
    return true;
  }
  return false;
}

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

bool SimFirmware::dispatch_output(const Message& m, std::vector<uint8_t>& out) {
  if (m.name == "set_digital_out_pwm_cycle") {
    if (Object* d = object(m, Object::Kind::kDigitalOut, out)) d->cycle_ticks = static_cast<uint32_t>(*m.integer("cycle_ticks"));
  } else if (m.name == "queue_digital_out") {
    Object* d = object(m, Object::Kind::kDigitalOut, out);
    const uint64_t clock = extend(static_cast<uint64_t>(*m.integer("clock")));
    if (d == nullptr || !take_move_slot(*d, clock, out)) return true;
    if (clock < now_) {
      shutdown("Timer too close", out);
      return true;
    }
    d->events.push_back({clock, static_cast<uint8_t>(d - objects_.data()), static_cast<uint32_t>(*m.integer("on_ticks"))});
  } else if (m.name == "update_digital_out") {
    if (Object* d = object(m, Object::Kind::kDigitalOut, out)) {
      d->value = static_cast<uint8_t>(*m.integer("value") != 0);
      outputs_.push_back({now_, static_cast<uint8_t>(d - objects_.data()), d->value});
    }
  } else if (m.name == "query_analog_in") {
    Object* a = object(m, Object::Kind::kAnalogIn, out);
    if (a == nullptr) return true;
    a->next_begin = extend(static_cast<uint64_t>(*m.integer("clock")));
    a->sample_ticks = static_cast<uint32_t>(*m.integer("sample_ticks"));
    a->sample_count = static_cast<uint8_t>(*m.integer("sample_count"));
    a->rest_ticks = static_cast<uint32_t>(*m.integer("rest_ticks"));
    a->bytes_per_report = static_cast<uint8_t>(m.integer("bytes_per_report").value_or(2));  // legacy: one value
    a->min_value = static_cast<uint16_t>(*m.integer("min_value"));
    a->max_value = static_cast<uint16_t>(*m.integer("max_value"));
    a->range_check_count = static_cast<uint8_t>(*m.integer("range_check_count"));
    a->invalid_count = 0;
    a->data.clear();
    if (a->bytes_per_report > 48) shutdown("Invalid analog_in bytes_per_report", out);
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

void SimFirmware::shutdown(const std::string& reason, std::vector<uint8_t>& out, uint64_t at) {
  if (shutdown_reason_) return;
  if (at == 0) at = now_;
  shutdown_reason_ = reason;
  shutdowns_.push_back(reason);
  run_steps_until(at);
  for (Object& o : objects_) {
    o.pending.clear();
    o.loads.clear();
    o.events.clear();
    o.homing = false;
    o.end_time = 0;
    if (o.kind == Object::Kind::kDigitalOut && o.value != o.default_value) {
      o.value = o.default_value;
      outputs_.push_back({at, static_cast<uint8_t>(&o - objects_.data()), o.value});
    }
  }
  respond(out, "shutdown", {static_cast<int64_t>(at & 0xFFFFFFFF), int64_t{static_strings_.at(reason)}});
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

void SimFirmware::run_outputs_until(uint64_t clock, std::vector<uint8_t>& out) {
  for (Object& d : objects_) {
    if (d.kind != Object::Kind::kDigitalOut) continue;
    for (;;) {
      const bool due = !d.events.empty() && d.events.front().clock <= clock;
      if (due && (d.end_time == 0 || d.events.front().clock <= d.end_time)) {
        const OutputRecord e = d.events.front();
        d.events.pop_front();
        outputs_.push_back(e);
        d.value = e.on_ticks != 0;
        const bool steady = e.on_ticks == 0 || e.on_ticks >= d.cycle_ticks;
        const bool guarded = d.max_duration != 0 && (!steady || d.value != d.default_value);
        d.end_time = guarded ? e.clock + d.max_duration : 0;
      } else if (d.end_time != 0 && d.end_time <= clock) {
        shutdown(d.events.empty() ? "Missed scheduling of next digital out event"
                                  : "Scheduled digital out event will exceed max_duration",
                 out, d.end_time);
        return;
      } else {
        break;
      }
    }
  }
}

void SimFirmware::run_adcs_until(uint64_t clock, std::vector<uint8_t>& out) {
  for (Object& a : objects_) {
    if (a.kind != Object::Kind::kAnalogIn || a.sample_count == 0) continue;
    while (a.next_begin + uint64_t{a.sample_ticks} * (a.sample_count - 1u) <= clock && !shutdown_reason_) {
      const auto raw = options_.adc_raw.find(a.pin);
      const uint32_t value = uint32_t{a.sample_count} * (raw == options_.adc_raw.end() ? kAdcDefault : raw->second);
      const auto sum = static_cast<uint16_t>(std::min<uint32_t>(value, 0xFFFF));
      if (sum >= a.min_value && sum <= a.max_value) {
        a.invalid_count = 0;
      } else if (++a.invalid_count >= a.range_check_count) {
        shutdown("ADC out of range", out);
        return;
      }
      a.data.push_back(static_cast<char>(sum & 0xFF));
      a.data.push_back(static_cast<char>(sum >> 8));
      a.next_begin += a.rest_ticks;
      if (a.data.size() + 2 > a.bytes_per_report) {
        const int64_t oid = &a - objects_.data(), next = static_cast<int64_t>(a.next_begin & 0xFFFFFFFF);
        if (options_.legacy_adc) {
          respond(out, "analog_in_state", {oid, next, int64_t{sum}});
        } else {
          respond(out, "analog_in_state", {oid, next, a.data});
        }
        a.data.clear();
      }
      if (a.rest_ticks == 0) break;
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

std::vector<uint8_t> SimFirmware::advance(uint64_t now) {
  now_ = std::max(now_, now);
  std::vector<uint8_t> out;
  run_endstops_until(now_, out);
  run_steps_until(now_);
  run_outputs_until(now_, out);
  run_adcs_until(now_, out);
  return out;
}

uint64_t SimFirmware::next_event() const {
  uint64_t at = UINT64_MAX;
  for (const Object& o : objects_) {
    if (!o.events.empty()) at = std::min(at, o.events.front().clock);
    if (o.end_time != 0) at = std::min(at, o.end_time);
    if (o.kind == Object::Kind::kAnalogIn && o.sample_count != 0) {
      at = std::min(at, o.next_begin + uint64_t{o.sample_ticks} * (o.sample_count - 1u));
    }
    if (o.homing) at = std::min(at, o.next_begin);
    if (o.can_trigger && o.expire_clock != 0) at = std::min(at, o.expire_clock);
  }
  return at;
}

std::vector<uint8_t> SimFirmware::restart() {
  objects_.clear();
  oids_allocated_ = is_config_ = false;
  config_crc_ = 0;
  shutdown_reason_.reset();
  reset_requested_ = false;
  parser_ = BlockParser{};
  parser_errors_ = 0;
  expected_seq_ = 0;
  now_ = 0;
  ++restarts_;
  std::vector<uint8_t> out;
  respond(out, "starting", {});
  return out;
}

std::vector<SimFirmware::StepperSummary> SimFirmware::steppers() const {
  std::vector<StepperSummary> out;
  for (std::size_t i = 0; i < objects_.size(); ++i) {
    const Object& o = objects_[i];
    if (o.kind == Object::Kind::kStepper) out.push_back({static_cast<uint8_t>(i), o.pin, o.steps_taken, o.position});
  }
  return out;
}

}  // namespace rtstep::mcu::sim

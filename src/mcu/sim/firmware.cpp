// SimFirmware (firmware.hpp): the firmware's core — transport (blocks, acks, naks), dispatch, shutdown rules,
// the clock, restarts. Its dictionary is in firmware_dictionary.cpp, configuration in firmware_config.cpp, the
// objects it executes in firmware_motion.cpp (steppers, endstops, trsync) and firmware_io.cpp (digital
// outputs, analog inputs).

#include "mcu/sim/firmware.hpp"

#include <algorithm>

namespace rtstep::mcu::sim {

namespace {

// Commands the firmware still runs in shutdown (Klipper's HF_IN_SHUTDOWN).
const char* const kInShutdown[] = {"identify",       "get_uptime", "get_clock",           "get_config",
                                   "clear_shutdown", "reset",      "emergency_stop",      "stepper_get_position",
                                   "endstop_query_state", "trsync_trigger"};

}  // namespace

SimFirmware::SimFirmware(FirmwareOptions options) : options_(std::move(options)) {
  build_dictionary();
  const thermal::ThermistorParams* epcos = thermal::builtin_thermistor("EPCOS 100K B57560G104F");
  for (const FirmwareOptions::HeaterModel& h : options_.heaters) {
    plants_.emplace_back(h.plant);
    plant_sensors_.emplace_back(thermal::Thermistor(*epcos, 4700, 0));
  }
  outputs_.reserve(1024);
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
    if (o.kind == Object::Kind::kDigitalOut && (o.value != o.default_value || o.duty != o.default_value)) {
      o.value = o.default_value;
      o.duty = o.default_value;
      outputs_.push_back({at, static_cast<uint8_t>(&o - objects_.data()), o.value});
    }
  }
  respond(out, "shutdown", {static_cast<int64_t>(at & 0xFFFFFFFF), int64_t{static_strings_.at(reason)}});
}

std::vector<uint8_t> SimFirmware::advance(uint64_t now) {
  now_ = std::max(now_, now);
  std::vector<uint8_t> out;
  run_endstops_until(now_, out);
  run_steps_until(now_);
  run_outputs_until(now_, out);
  run_heaters_until(now_);
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
  plant_clock_ = 0;
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

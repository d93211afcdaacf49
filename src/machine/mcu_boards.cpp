// McuBoards (see mcu_boards.hpp): which steppers run on which board, and the links that drive them.
#include "machine/mcu_boards.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "machine/executor_endstops.hpp"
#include "mcu/link.hpp"
#include "util/clock.hpp"

namespace rtstep::machine {

namespace {

constexpr auto kPoll = std::chrono::milliseconds(10);
constexpr int64_t kReadyPollNs = 100'000'000;
constexpr int64_t kPositionTimeoutNs = 5'000'000'000;  // a ready board answers stepper_get_position at once
// After the last step's time: the board's own clock estimate and the last acknowledgement.
constexpr int64_t kSettleNs = 100'000'000;
// How long finish() waits beyond the last step's time for the steps still held back (move slots).
constexpr int64_t kDrainTimeoutNs = 10'000'000'000;
// A serial device missing for this long is reported as missing (a USB board takes a moment to appear).
constexpr int64_t kMissingPortNs = 3'000'000'000;
// How long the end of a session waits for the outputs' last updates to leave (each output's updates leave one
// at a time, once the one before has taken effect: a heater's next is at most ~0.4 s ahead).
constexpr int64_t kOutputsOffTimeoutNs = 2'000'000'000;
// After the last update left: its acknowledgement, before the link stops.
constexpr auto kOutputsAckWait = std::chrono::milliseconds(100);

bool moving_phase(mcu::LinkPhase phase) { return phase == mcu::LinkPhase::kReady; }

}  // namespace

struct McuBoards::Board {
  config::McuConfig config;
  mcu::McuObjects objects;
  std::unique_ptr<mcu::Link> link;
  std::vector<int64_t> start_positions;  // per board stepper, as start() found them
  std::vector<int> enable_of;            // per board stepper: its enable output, -1: none on this board
  std::vector<std::size_t> adc_sensor;   // per board ADC: its thermal sensor index

  // "MCU 'mcu' (printer.cfg:86, serial /dev/ttyACM0)": names the board in messages.
  std::string who() const { return fmt::format("MCU '{}' ({}, serial {})", config.name, config.where, config.serial); }
};

McuBoards::McuBoards(const config::MachineConfig& machine, McuBoardOptions options)
    : options_(options),
      stepper_count_(machine.steppers.size()),
      routes_(machine.steppers.size()),
      net_(machine.steppers.size(), 0),
      steps_(machine.steppers.size(), 0) {}

McuBoards::~McuBoards() {
  for (auto& b : boards_) {
    if (b->link) b->link->stop();
  }
}

Result<std::unique_ptr<McuBoards>> McuBoards::plan(const config::MachineConfig& machine, McuBoardOptions options,
                                                   const BoardThermalPins& thermal) {
  std::unique_ptr<McuBoards> boards(new McuBoards(machine, options));
  std::vector<int> board_of_mcu(machine.mcus.size(), -1);
  // The board of [mcu] section `mcu`, made on first use. Errors: the section has no serial port.
  const auto board_for = [&](std::size_t mcu) -> Result<int> {
    const config::McuConfig& config = machine.mcus[mcu];
    if (config.serial.empty()) {
      return Error{fmt::format("{}: [{}] has no serial: rtstep reaches a board through its serial port "
                               "(CAN is not supported)", config.where, config.name == "mcu" ? "mcu" : "mcu " + config.name)};
    }
    int& index = board_of_mcu[mcu];
    if (index < 0) {
      index = static_cast<int>(boards->boards_.size());
      auto board = std::make_unique<Board>();
      board->config = config;
      boards->boards_.push_back(std::move(board));
    }
    return index;
  };
  for (std::size_t i = 0; i < machine.steppers.size(); ++i) {
    const config::StepperConfig& s = machine.steppers[i];
    const auto step = config::board_pin(machine.mcus, s.step_pin);
    const auto dir = config::board_pin(machine.mcus, s.dir_pin);
    if (!step && !dir) continue;
    if (!step || !dir || step->mcu != dir->mcu) {
      const auto name = [&](const std::optional<config::BoardPin>& p) {
        return p ? "MCU '" + machine.mcus[p->mcu].name + "'" : std::string("this computer");
      };
      return Error{fmt::format("{}: [{}] dir_pin: {} is on {}, its step_pin {} on {}: both must be on one board",
                               machine.path, s.name, s.dir_pin.name, name(dir), s.step_pin.name, name(step))};
    }
    const auto made = board_for(step->mcu);
    if (!made) return made.error();
    const int index = *made;
    Board& board = *boards->boards_[static_cast<std::size_t>(index)];
    if (board.objects.steppers.size() >= 255) return Error{board.who() + ": too many steppers"};
    boards->routes_[i] = {index, static_cast<uint8_t>(board.objects.steppers.size())};
    board.objects.steppers.push_back({s.name, step->pin, dir->pin, s.step_pin.inverted, s.dir_pin.inverted,
                                      std::llround(s.step_pulse_duration * 1e9)});
    // Its enable pin, when it is on this board; steppers sharing one share the output.
    board.enable_of.push_back(-1);
    const auto enable = config::board_pin(machine.mcus, s.enable_pin);
    if (!enable || enable->mcu != step->mcu) continue;
    auto& outs = board.objects.digital_outs;
    const auto same = std::find_if(outs.begin(), outs.end(), [&](const mcu::DigitalOutSpec& o) { return o.pin == enable->pin; });
    board.enable_of.back() = static_cast<int>(same - outs.begin());
    if (same == outs.end()) outs.push_back({s.name + ".enable", enable->pin, s.enable_pin.inverted, 0, 0, 0, 0});
  }
  // The heaters', fans' and sensors' pins on boards.
  const auto where = [&](const std::string& object, const config::PinConfig& pin) -> Result<config::BoardPin> {
    const auto on = config::board_pin(machine.mcus, pin);
    if (!on) return Error{fmt::format("{}: [{}] pin {} is not on an [mcu] board", machine.path, object, pin.name)};
    return *on;
  };
  for (const BoardThermalPins::Output& o : thermal.outputs) {
    const auto pin = where(o.spec.name, o.pin);
    if (!pin) return pin.error();
    const auto index = board_for(pin->mcu);
    if (!index) return index.error();
    Board& board = *boards->boards_[static_cast<std::size_t>(*index)];
    if (board.objects.digital_outs.size() >= 255) return Error{board.who() + ": too many outputs"};
    boards->thermal_outputs_[o.output] = {*index, static_cast<uint8_t>(board.objects.digital_outs.size())};
    mcu::DigitalOutSpec spec = o.spec;
    spec.pin = pin->pin;
    spec.invert = o.pin.inverted;
    board.objects.digital_outs.push_back(std::move(spec));
  }
  for (const BoardThermalPins::Sensor& t : thermal.sensors) {
    const auto pin = where(t.spec.name, t.pin);
    if (!pin) return pin.error();
    const auto index = board_for(pin->mcu);
    if (!index) return index.error();
    Board& board = *boards->boards_[static_cast<std::size_t>(*index)];
    mcu::AdcSpec spec = t.spec;
    spec.pin = pin->pin;
    board.objects.adcs.push_back(std::move(spec));
    board.adc_sensor.push_back(t.sensor);
  }
  if (boards->boards_.empty()) return std::unique_ptr<McuBoards>();
  // The endstop inputs on a board with steppers: homing moves of its steppers arm them there.
  const EndstopPlan endstops = plan_endstops(machine);
  boards->inputs_.resize(endstops.inputs.size());
  for (std::size_t k = 0; k < endstops.inputs.size(); ++k) {
    const gpio::InputSpec& input = endstops.inputs[k];
    const auto pin = config::board_pin(machine.mcus, config::PinConfig{input.name, false, false, false});
    if (!pin || board_of_mcu[pin->mcu] < 0) continue;
    Board& board = *boards->boards_[static_cast<std::size_t>(board_of_mcu[pin->mcu])];
    if (board.objects.steppers.empty()) continue;  // a board with only heaters: the endstop stays the executor's
    boards->inputs_[k] = {board_of_mcu[pin->mcu], static_cast<uint8_t>(board.objects.endstops.size())};
    board.objects.endstops.push_back({input.name, pin->pin, input.pull == gpio::Pull::kUp, input.inverted});
  }
  return boards;
}

Status McuBoards::start() {
  for (auto& b : boards_) {
    mcu::LinkOptions o;
    o.name = b->config.name;
    o.serial = b->config.serial;
    o.baud = b->config.baud;
    o.restart_by_command = b->config.restart_method == "command";
    o.flush_lead_ns = options_.flush_lead_ns;
    b->link = std::make_unique<mcu::Link>(o, b->objects);
    b->link->start();
  }
  for (auto& b : boards_) {
    // A serial device that is not there is not waited for long: it is the wrong name, or an unplugged board.
    const int64_t began = monotonic_ns();
    while (!b->link->wait_ready(kReadyPollNs) && monotonic_ns() - began < options_.ready_timeout_ns) {
      std::error_code ec;
      if (monotonic_ns() - began > kMissingPortNs && !std::filesystem::exists(b->config.serial, ec)) {
        return Error{fmt::format("{}: {} does not exist (is the board plugged in? `ls /dev/serial/by-id/`)", b->who(),
                                 b->config.serial)};
      }
      if (const mcu::LinkPhase p = b->link->status().phase; p == mcu::LinkPhase::kFailed || p == mcu::LinkPhase::kShutdown) break;
    }
    if (b->link->status().phase != mcu::LinkPhase::kReady) {
      const mcu::LinkStatus s = b->link->status();
      return Error{fmt::format("{} is not ready ({}): {}", b->who(), mcu::phase_name(s.phase), s.message)};
    }
    if (auto found = wait_positions(*b, b->start_positions); !found) return found;
  }
  return Ok{};
}

Status McuBoards::wait_positions(Board& board, std::vector<int64_t>& out) {
  board.link->query_positions();
  const int64_t give_up = monotonic_ns() + kPositionTimeoutNs;
  for (;;) {
    if (auto positions = board.link->take_positions()) {
      out = std::move(*positions);
      return Ok{};
    }
    const mcu::LinkStatus s = board.link->status();
    if (!moving_phase(s.phase)) return Error{s.message};
    if (monotonic_ns() > give_up) return Error{board.who() + ": no answer to stepper_get_position"};
    std::this_thread::sleep_for(kPoll);
  }
}

std::string McuBoards::board_of(std::size_t stepper) const {
  if (stepper >= routes_.size() || routes_[stepper].board < 0) return {};
  return boards_[static_cast<std::size_t>(routes_[stepper].board)]->config.name;
}

std::vector<std::string> McuBoards::board_names() const {
  std::vector<std::string> names;
  for (const auto& b : boards_) names.push_back(b->config.name);
  return names;
}

Result<bool> McuBoards::divert(const ipc::Record& record) {
  if (record.kind == ipc::RecordKind::kPin) return divert_pin(record.pin);
  if (record.kind != ipc::RecordKind::kSegment || record.segment.stepper >= routes_.size()) return false;
  const Route& route = routes_[record.segment.stepper];
  if (route.board < 0) return false;
  Board& board = *boards_[static_cast<std::size_t>(route.board)];
  if (const mcu::LinkStatus s = board.link->status(); !moving_phase(s.phase)) return Error{s.message};
  ipc::StepSegment segment = record.segment;
  segment.stepper = route.index;
  board.link->push_segments({&segment, 1});
  last_step_ns_ = std::max(last_step_ns_, segment.last_time());
  // A homing move's steps count once the board says where it stopped (take_homing_report).
  if (!homing_) {
    net_[record.segment.stepper] += segment.dir == 1 ? int64_t{segment.count} : -int64_t{segment.count};
    steps_[record.segment.stepper] += segment.count;
  }
  return true;
}

// Enable records switch the stepper's enable output; endstop records frame a homing move.
Result<bool> McuBoards::divert_pin(const ipc::PinCommand& pin) {
  if (pin.stepper >= routes_.size() || routes_[pin.stepper].board < 0) return false;
  const Route& route = routes_[pin.stepper];
  Board& board = *boards_[static_cast<std::size_t>(route.board)];
  if (pin.role == ipc::PinRole::kEnable) {
    if (const int out = board.enable_of[route.index]; out >= 0) {
      board.link->set_output(static_cast<std::size_t>(out), pin.time_ns, pin.level != 0 ? 1.0 : 0.0);
    }
    return true;
  }
  if (pin.role != ipc::PinRole::kEndstop) return false;
  if (pin.level > 0) {
    const int input = pin.level - 1;
    const bool here = input < static_cast<int>(inputs_.size()) && inputs_[static_cast<std::size_t>(input)].board == route.board;
    if (!here) {
      return Error{fmt::format("{}: a stepper on this board homes on an endstop that is not on it: rtstep homes a "
                               "board's steppers on that board's endstop_pin only", board.who())};
    }
    if (homing_ && homing_->armed) return Error{board.who() + ": a homing move began before the last one ended"};
    if (!homing_) homing_ = Homing{route.board, {}, pin.time_ns, last_step_ns_, input, false};
    if (homing_->board != route.board || homing_->input != input) {
      return Error{"a homing move's steppers are on different boards or endstops: rtstep homes them on one board"};
    }
    homing_->steppers.push_back(pin.stepper);
    return true;
  }
  // The disarm: the move is all sent and ends here; the board watches its switch until then.
  if (!homing_ || homing_->armed) return true;
  mcu::HomingRequest request;
  request.endstop = inputs_[static_cast<std::size_t>(homing_->input)].index;
  for (const std::size_t i : homing_->steppers) request.steppers.push_back(routes_[i].index);
  request.start_ns = homing_->start_ns;
  request.timeout_ns = pin.time_ns;
  board.link->home(std::move(request));
  homing_->armed = true;
  return true;
}

Result<std::optional<ipc::HomingReport>> McuBoards::take_homing_report() {
  if (!homing_ || !homing_->armed) return std::optional<ipc::HomingReport>();
  Board& board = *boards_[static_cast<std::size_t>(homing_->board)];
  auto result = board.link->take_homing_result();
  if (!result) {
    if (const mcu::LinkStatus s = board.link->status(); !moving_phase(s.phase)) return Error{s.message};
    return std::optional<ipc::HomingReport>();
  }
  const Homing homing = *std::exchange(homing_, std::nullopt);
  if (result->positions.size() != homing.steppers.size()) return Error{result->message};
  ipc::HomingReport report;
  report.tripped = result->triggered ? 1 : 0;
  report.count = static_cast<uint8_t>(homing.steppers.size());
  report.input = static_cast<uint8_t>(homing.input);
  report.trip_time_ns = result->trigger_ns;
  for (std::size_t k = 0; k < homing.steppers.size(); ++k) {
    const std::size_t i = homing.steppers[k];
    const int64_t moved = result->positions[k] - board.start_positions[routes_[i].index];
    steps_[i] += static_cast<uint64_t>(std::llabs(moved - net_[i]));
    net_[i] = moved;
    report.stepper[k] = static_cast<uint8_t>(i);
    report.position[k] = moved;
  }
  // The move's steps past the trip never run: the job's last step is the one before it, or the trip.
  last_step_ns_ = std::max(homing.last_step_before_ns, result->trigger_ns);
  return std::optional<ipc::HomingReport>(report);
}

std::string McuBoards::fault() const {
  for (const auto& b : boards_) {
    if (!b->link) continue;
    const mcu::LinkStatus s = b->link->status();
    if (s.phase == mcu::LinkPhase::kShutdown || s.phase == mcu::LinkPhase::kFailed) return s.message;
    // A board that restarted lost what it had queued: the job cannot go on, even once it is back.
    if (s.generation > 1 || (s.restarts > 0 && !moving_phase(s.phase))) {
      return fmt::format("MCU '{}' restarted during the job: {}", b->config.name, s.message);
    }
  }
  return {};
}

void McuBoards::emergency_stop() {
  for (auto& b : boards_) {
    if (b->link) b->link->emergency_stop();
  }
}

Result<std::vector<std::optional<McuStepperCount>>> McuBoards::finish() {
  for (auto& b : boards_) b->link->flush();
  const int64_t give_up = std::max(monotonic_ns(), last_step_ns_) + kDrainTimeoutNs;
  for (;;) {
    if (std::string why = fault(); !why.empty()) return Error{why};
    bool drained = monotonic_ns() > last_step_ns_ + kSettleNs;
    for (auto& b : boards_) drained = drained && b->link->status().steps_waiting == 0;
    if (drained) break;
    if (monotonic_ns() > give_up) return Error{"the boards did not take every step in time"};
    std::this_thread::sleep_for(kPoll);
  }
  std::vector<std::optional<McuStepperCount>> counts(stepper_count_);
  for (std::size_t b = 0; b < boards_.size(); ++b) {
    Board& board = *boards_[b];
    std::vector<int64_t> positions;
    if (auto found = wait_positions(board, positions); !found) return found.error();
    for (std::size_t i = 0; i < routes_.size(); ++i) {
      if (routes_[i].board != static_cast<int>(b)) continue;
      const std::size_t k = routes_[i].index;
      counts[i] = McuStepperCount{board.config.name, steps_[i], positions[k] - board.start_positions[k]};
    }
  }
  outputs_to_shutdown_values();
  return counts;
}

void McuBoards::outputs_to_shutdown_values() {
  const int64_t now = monotonic_ns();
  std::vector<uint64_t> expected(boards_.size(), 0);
  for (std::size_t b = 0; b < boards_.size(); ++b) {
    Board& board = *boards_[b];
    const mcu::LinkStatus s = board.link->status();
    if (!moving_phase(s.phase)) continue;
    expected[b] = s.output_commands + board.objects.digital_outs.size();
    for (std::size_t k = 0; k < board.objects.digital_outs.size(); ++k) {
      board.link->set_output(k, now, board.objects.digital_outs[k].shutdown_value);
    }
  }
  // The updates leave a little ahead of their time (LinkOptions::min_output_lead_ns), each after its output's
  // update before: let them go before the links stop.
  for (const int64_t give_up = now + kOutputsOffTimeoutNs; monotonic_ns() < give_up;) {
    bool sent = true;
    for (std::size_t b = 0; b < boards_.size(); ++b) {
      const mcu::LinkStatus s = boards_[b]->link->status();
      sent = sent && (!moving_phase(s.phase) || (s.output_commands >= expected[b] && s.outputs_waiting == 0));
    }
    if (sent) break;
    std::this_thread::sleep_for(kPoll);
  }
  std::this_thread::sleep_for(kOutputsAckWait);
}

std::vector<McuBoardSummary> McuBoards::summaries() const {
  std::vector<McuBoardSummary> out;
  for (const auto& b : boards_) {
    const mcu::LinkStatus s = b->link->status();
    out.push_back({b->config.name, s.steps_sent, s.queue_step_commands, s.queue_step_bytes, s.transmit.bytes_sent,
                   s.output_commands, s.output_bytes, s.adc_reports, s.transmit.retransmits, s.nominal_hz, s.fitted_hz});
  }
  return out;
}

void McuBoards::end() {
  if (fault().empty() && finish()) return;
  outputs_to_shutdown_values();
  for (auto& b : boards_) {
    const mcu::LinkStatus before = b->link->status();
    if (before.phase != mcu::LinkPhase::kShutdown) continue;
    b->link->firmware_restart();
    // The reset must leave before the link stops.
    const int64_t give_up = monotonic_ns() + kPositionTimeoutNs;
    while (b->link->status().restarts == before.restarts && monotonic_ns() < give_up) std::this_thread::sleep_for(kPoll);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void McuBoards::set_thermal_output(std::size_t output, int64_t time_ns, double value) {
  const auto route = thermal_outputs_.find(output);
  if (route == thermal_outputs_.end()) return;
  Board& board = *boards_[static_cast<std::size_t>(route->second.board)];
  if (board.link) board.link->set_output(route->second.index, time_ns, value);
}

void McuBoards::take_thermal_readings(std::vector<thermal::Reading>& out) {
  for (auto& b : boards_) {
    if (!b->link) continue;
    for (const mcu::AdcReading& r : b->link->take_adc_readings()) {
      if (r.adc < b->adc_sensor.size()) out.push_back({static_cast<uint32_t>(b->adc_sensor[r.adc]), r.time_ns, r.value});
    }
  }
}

std::optional<BoardSensorFault> McuBoards::sensor_fault() const {
  for (const auto& b : boards_) {
    if (!b->link) continue;
    const mcu::LinkStatus s = b->link->status();
    if (s.phase != mcu::LinkPhase::kShutdown || !s.adc_out_of_range || *s.adc_out_of_range >= b->adc_sensor.size()) continue;
    return BoardSensorFault{b->adc_sensor[*s.adc_out_of_range], s.message};
  }
  return std::nullopt;
}

}  // namespace rtstep::machine

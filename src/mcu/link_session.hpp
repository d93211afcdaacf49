#pragma once
// Link::Session, internal to the link (link.cpp, link_session.cpp, link_homing.cpp): one connection to the
// board, from identify until the board restarts or goes away. It runs on the link's thread only.

#include <optional>
#include <string>
#include <vector>

#include "mcu/connection.hpp"
#include "mcu/link.hpp"
#include "mcu/move_queue.hpp"
#include "mcu/serial_port.hpp"

namespace rtstep::mcu {

inline constexpr int64_t kLinkMaxPollNs = 10'000'000;      // the loop wakes at least this often
inline constexpr int64_t kLinkResetSettleNs = 100'000'000;  // after `reset`, before connecting again

class Link::Session {
 public:
  enum class End : uint8_t { kStop, kReconnect, kRefused };

  Session(Link& link, SerialPort& port);

  End run();

 private:
  // Where the connection is: clock sync (Connection), get_config asked, configuration sent, configured.
  enum class Step : uint8_t { kSynchronising, kQueryConfig, kConfigSent, kReady };

  bool pump_io();                                  // port <-> Connection; false when the port failed
  void handle(const Message& m, int64_t now);       // one message the Connection passed on
  void on_synchronised();
  void on_config(const Message& m, int64_t now);
  void go_ready(const Message& config, bool configured_here, int64_t now);
  void on_adc(const Message& m);
  void on_shutdown(const Message& m);
  std::optional<std::size_t> adc_out_of_range() const;
  void start_homing(const HomingRequest& request, int64_t now);
  void set_homing_timeout(const HomingRequest& request, int64_t now);
  void on_trsync(const Message& m);
  void on_position(const Message& m);
  void on_queried_position(const Message& m);
  void start_position_query();
  void finish_homing(HomingResult result);
  void apply(Posted& posted, int64_t now);          // work posted by other threads
  void queue_output(const Posted::Output& o, int64_t now);
  void flush_due(int64_t now, bool all);
  void release(int64_t now);
  void send_text(const std::string& text, uint64_t req_clock = 0);
  void fail(LinkPhase phase, const std::string& message);
  int64_t next_wake(int64_t now) const;
  std::string who() const { return "MCU '" + link_.options_.name + "'"; }

  Link& link_;
  SerialPort& port_;
  Connection conn_;
  Step step_ = Step::kSynchronising;
  std::optional<End> end_;
  std::optional<ConfigPlan> plan_;
  std::optional<PrintClock> print_clock_;
  int clock_samples_ = 0;
  std::vector<StepperChannel> steppers_;
  MoveQueue moves_;
  std::vector<uint8_t> out_;  // bytes the port has not taken yet
  bool shut_down_ = false;
  int64_t reset_sent_ns_ = 0;
  uint64_t steps_waiting_ = 0;
  // The homing in progress: its request, the result being built, positions still awaited.
  std::optional<HomingRequest> homing_;
  HomingResult homing_result_;
  std::vector<std::optional<int64_t>> homing_positions_;
  uint64_t homing_timeout_clock_ = 0;  // the trsync's timeout as last sent (64-bit clock)
  // A query_positions() in progress: the answers so far (empty: none asked).
  std::vector<std::optional<int64_t>> queried_positions_;
  std::vector<double> last_adc_;          // per ADC: its last reading (0..1), NaN before the first
  std::vector<uint64_t> output_clock_;    // per digital output: the clock of its last update sent
};

}  // namespace rtstep::mcu

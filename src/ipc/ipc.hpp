#pragma once
// ipc: the lock-free single-producer/single-consumer ring that carries work from the host to the
// executor through a named POSIX shared-memory object (DESIGN.md §1-3).
//
// Layout (ABI, shared by two binaries): a 64-byte-aligned header (magic, ABI version, capacity, record
// size), then the producer's cache line (write index), the consumer's (read index), the host's control
// line (heartbeat, horizon, stop request), the executor's (heartbeat, result ready), the result block,
// then `capacity` Records. Capacity is a power of two and indices are
// free-running uint64_t: slot = index & (capacity - 1), full when write - read == capacity.
// The cache-line size is fixed at 64 as part of the ABI (not hardware_destructive_interference_size,
// which differs between compilers and targets).
//
// Threading: exactly one producer and one consumer, in the same or different processes. try_push is
// producer-only, try_pop consumer-only; both are real-time safe (atomics only, no system call).
// create/attach/destruction are init-only (they call shm_open, mmap, munmap, shm_unlink).

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "ipc/step_segment.hpp"
#include "util/result.hpp"

namespace rtstep::ipc {

enum class RecordKind : uint32_t {
  kSegment = 1,      // payload.segment
  kPin = 2,          // payload.pin: set a non-step pin (enable, ...) at a time
  kEndOfStream = 3,  // no more records: the executor finishes the pending edges and stops
  kPwm = 4,          // payload.pwm: a soft-PWM output's duty from a time on
};

// A timed level change of a stepper's auxiliary pin, or (kEndstop) the bounds of a homing move: level 1 + i
// arms the stepper on endstop input i from time_ns on (the executor samples it before each step and stops
// every stepper armed on it when it reads triggered), level 0 disarms it at the move's end.
enum class PinRole : uint8_t { kEnable = 1, kEndstop = 2 };
struct PinCommand {
  int64_t time_ns = 0;  // CLOCK_MONOTONIC ns at which to apply
  uint8_t stepper = 0;  // < kMaxSteppers
  PinRole role = PinRole::kEnable;
  uint8_t level = 0;    // logical level: 1 = active (enabled)
  uint8_t reserved[5] = {};
};
static_assert(std::is_trivially_copyable_v<PinCommand>);

// The duty of one soft-PWM output (a heater or a fan; executor::PwmOutput) from time_ns on: high for on_ns of
// every cycle_ns. 0 is off, cycle_ns is on all the time. cycle_ns must be the output's configured cycle: the
// host states the cycle it computed the duty for, and a mismatch (host and executor read different configs)
// is a bad record rather than a wrong heater power. The executor keeps the duty until the next command, until
// the output's max_duration has passed since this command's time (it then turns the output off by itself),
// or until it stops (every output off).
struct PwmCommand {
  int64_t time_ns = 0;   // CLOCK_MONOTONIC ns from which the duty applies
  int64_t on_ns = 0;     // high time per cycle, in [0, cycle_ns]
  int64_t cycle_ns = 0;  // the output's cycle (pwm_cycle_time / cycle_time)
  uint8_t output = 0;    // index into the executor's PWM outputs, < kMaxPwmOutputs
  uint8_t reserved[7] = {};
};
static_assert(std::is_trivially_copyable_v<PwmCommand> && sizeof(PwmCommand) == 32);

inline constexpr uint32_t kMaxPwmOutputs = 16;
// Shortest PWM cycle an output may have: 100 us (10 kHz), far above what a loop sharing its CPU with steps
// should toggle, and below any heater or fan cycle (Klipper's defaults: 100 ms and 10 ms).
inline constexpr int64_t kMinPwmCycleNs = 100'000;
inline constexpr int64_t kMaxPwmCycleNs = 10'000'000'000;  // 10 s

// A PWM command for a duty fraction `value` (clamped to [0, 1]) of an output whose cycle is `cycle_ns`:
// on_ns is value * cycle_ns rounded to the nearest ns. An output's commands reach the executor in time order,
// so a caller whose wanted time lies before the last command it pushed sends it at that time (`not_before_ns`).
// Real-time safe.
constexpr PwmCommand pwm_command(uint8_t output, double value, int64_t cycle_ns, int64_t time_ns,
                                 int64_t not_before_ns = 0) noexcept {
  const double duty = value > 1.0 ? 1.0 : value > 0.0 ? value : 0.0;  // NaN -> 0 (off)
  PwmCommand p;
  p.time_ns = time_ns > not_before_ns ? time_ns : not_before_ns;
  p.cycle_ns = cycle_ns;
  p.on_ns = static_cast<int64_t>(duty * static_cast<double>(cycle_ns) + 0.5);
  p.output = output;
  return p;
}

struct Record {
  RecordKind kind = RecordKind::kSegment;
  uint32_t line = 0;  // G-code line the record came from (of a segment: its first step's move); 0 = none
  union {
    StepSegment segment;
    PinCommand pin;
    PwmCommand pwm;
  };
  Record() : segment{} {}
  static Record of(const StepSegment& s) noexcept { Record r; r.kind = RecordKind::kSegment; r.segment = s; return r; }
  static Record of(const PinCommand& p) noexcept { Record r; r.kind = RecordKind::kPin; r.pin = p; return r; }
  static Record of(const PwmCommand& p) noexcept { Record r; r.kind = RecordKind::kPwm; r.pwm = p; return r; }
  static Record end_of_stream() noexcept { Record r; r.kind = RecordKind::kEndOfStream; return r; }
  // Time the record takes effect at (for ordering): first step, pin or PWM time; 0 for end of stream.
  int64_t time_ns() const noexcept {
    switch (kind) {
      case RecordKind::kSegment: return segment.first_time_ns;
      case RecordKind::kPin: return pin.time_ns;
      case RecordKind::kPwm: return pwm.time_ns;
      case RecordKind::kEndOfStream: break;
    }
    return 0;
  }
};
static_assert(std::is_trivially_copyable_v<Record>);
static_assert(sizeof(Record) == 40);

inline constexpr uint64_t kRingMagic = 0x31474e5250545352ULL;  // "RSTPRNG1" little-endian
// 2: control lines (heartbeats, horizon, stop) and the result block; 3: the creator's identity in the
// header, the host's claim in its line, and the homing report after the result block; 4: the executor's
// started flag; 5: the G-code line in every record, per-stepper timing and the fault's line in the result;
// 6: kPwm records (soft-PWM heater and fan outputs with max_duration) and the count of outputs the executor
// turned off for want of renewal in the result (an executor of version 5 would stop on the first kPwm record
// as an unknown kind).
inline constexpr uint32_t kRingAbiVersion = 7;
inline constexpr uint32_t kCacheLine = 64;

// Why the host asks the executor to stop (SegmentRing::request_stop). Values are ABI.
enum class StopCause : uint32_t {
  kNone = 0,
  kEmergency = 1,  // M112 or SIGINT: stop now, queued motion is dropped
  kHostError = 2,  // the host failed and will not send the rest of the job
};

// The executor's final report as it crosses the process boundary (split mode): written once by the
// consumer at the end of a job, read by the host. Plain data, trivially copyable; values are ABI.
struct ExecutorResult {
  uint32_t status = 0;          // executor::ExecutorStatus value
  int32_t fault_stepper = -1;   // stepper of an underrun / lateness fault, -1 if none
  int64_t fault_time_ns = 0;    // deadline concerned (CLOCK_MONOTONIC ns)
  int64_t fault_late_ns = 0;    // how late it was when the fault was detected
  uint64_t steps = 0;           // rising step edges written
  uint64_t writes = 0;          // backend writes
  uint64_t late_edges = 0;      // edges later than the late threshold
  uint64_t stalls = 0;          // stall episodes
  int64_t longest_stall_ns = 0;
  int64_t lateness_p50_ns = 0, lateness_p99_ns = 0, lateness_p999_ns = 0, lateness_max_ns = 0;
  uint64_t lateness_count = 0;
  int64_t cpu_time_ns = 0;      // executor thread CPU time
  int64_t slack_ns = 0;         // the (learned) slack at the end
  uint64_t ring_high_water = 0; // most records seen queued by the consumer
  uint32_t stepper_count = 0;   // entries used in the arrays below
  uint32_t realtime = 0;        // 1: SCHED_FIFO was obtained
  uint64_t stepper_steps[kMaxSteppers] = {};     // rising edges counted on each step pin (sim backend)
  int64_t stepper_position[kMaxSteppers] = {};   // steps integrated with the dir pin (sim backend)
  // Timing each stepper saw (executor::ExecutorReport): the shortest time between two of its rising edges as
  // written, the planned time between those two steps, and the most steps a late catch-up had due at once.
  int64_t stepper_shortest_interval_ns[kMaxSteppers] = {};
  int64_t stepper_planned_interval_ns[kMaxSteppers] = {};
  uint32_t stepper_max_backlog[kMaxSteppers] = {};
  uint32_t fault_line = 0;      // G-code line of the fault's segment (0 = none)
  uint32_t pwm_expired = 0;     // PWM outputs turned off because the host did not renew them (max_duration)
  char message[256] = {};       // the executor's one-line account, NUL-terminated
};
static_assert(std::is_trivially_copyable_v<ExecutorResult>);

// The executor's account of one homing move (kEndstop arm ... disarm), published once the move is over
// for it: tripped (its steppers stopped at the trip) or ended without a trip. Plain data; values are ABI.
inline constexpr std::size_t kMaxHomingSteppers = 4;  // steppers one homing move may drive (X on corexy: 2)
struct HomingReport {
  uint8_t tripped = 0;  // 1: every armed stepper stopped at its own input (the axis' switch or its own)
  uint8_t count = 0;    // entries used in stepper[] and position[]
  uint8_t stepper[kMaxHomingSteppers] = {};
  uint8_t input = 0;    // the endstop input of stepper[0]
  uint8_t reserved = 0;
  int64_t trip_time_ns = 0;  // the latest trip: deadline of the first step not written, CLOCK_MONOTONIC ns
  int64_t position[kMaxHomingSteppers] = {};  // each stepper's count: signed steps written since the job began
};
static_assert(std::is_trivially_copyable_v<HomingReport> && sizeof(HomingReport) == 48);

class SegmentRing {
 public:
  // Creates the shared-memory object `name` ("/rtstep-..." ; O_CREAT|O_EXCL, mode 0600) holding an
  // empty ring of `capacity` records (a power of two, 2..2^24), recording the creator (pid, start time,
  // boot id) in the header. The creator unlinks the name when destroyed. When the name already exists it
  // is replaced only if it is a ring of this version, owned by this user with mode 0600, whose creator is
  // no longer running (left over by a crash; replaced() then says so); anything else is refused and left
  // alone. Errors name the object and the failing call with errno text. Init only.
  static Result<SegmentRing> create(const std::string& name, uint32_t capacity);
  // Maps an existing ring. Refuses an object owned by another user or with a mode other than 0600, a
  // header whose magic, ABI version, record size, capacity or object size do not match (saying which
  // field differs), and a stale ring whose creator is no longer running. Init only.
  static Result<SegmentRing> attach(const std::string& name);
  // As attach(), but while the object does not exist yet or is still being created (its size or magic not
  // yet written), tries again every few ms for up to `wait_ns`: a host started together with `rtstep rt`,
  // or between two of its jobs, attaches once the ring is ready. Every other refusal returns at once; when
  // the wait runs out, the last refusal. Init only.
  static Result<SegmentRing> attach_when_ready(const std::string& name, int64_t wait_ns);

  SegmentRing(SegmentRing&& other) noexcept;
  SegmentRing& operator=(SegmentRing&& other) noexcept;
  SegmentRing(const SegmentRing&) = delete;
  SegmentRing& operator=(const SegmentRing&) = delete;
  ~SegmentRing();

  // Producer only. Real-time safe. False when the ring is full (the caller waits: never drop).
  [[nodiscard]] bool try_push(const Record& record) noexcept;
  // Consumer only. Real-time safe. False when empty, or when the shared indices are inconsistent
  // (write - read > capacity: a corrupted producer); the latter also sets corrupted(). The consumer keeps
  // its own copies of its index and of the last write index it accepted, so nothing the other side
  // scribbles into the mapping can make it touch memory outside the ring.
  [[nodiscard]] bool try_pop(Record& out) noexcept;

  // Records in the ring as the caller sees them now (approximate from the other side). Real-time safe.
  uint64_t size() const noexcept;
  uint32_t capacity() const noexcept { return capacity_; }
  bool corrupted() const noexcept { return corrupted_; }
  // Consumer side: the most records it has seen queued at once. Real-time safe.
  uint64_t high_water() const noexcept { return high_water_; }
  const std::string& name() const noexcept { return name_; }
  // create(): what it replaced ("replaced a stale ring left by pid 123, ..."), empty when nothing.
  const std::string& replaced() const noexcept { return replaced_; }
  // The pid that created the ring (as its header says). Real-time safe.
  int32_t creator_pid() const noexcept;

  // --- Control lines (DESIGN.md §3). Each side writes only its own line; all real-time safe. ---
  // Producer: one heartbeat (the host's liveness counter goes up by one).
  void beat_host() noexcept;
  // Producer: promises that every record with time_ns() <= t has been pushed, so the executor may serve
  // edges up to t without waiting for more records (an idle host is not an underrun). Nondecreasing.
  void set_horizon(int64_t t_ns) noexcept;
  // Producer: ask the executor to stop at once (first cause wins).
  void request_stop(StopCause cause) noexcept;
  // Host: claims the ring as its one host. Returns `pid` when the claim succeeded, otherwise the pid of
  // the host that holds it (a second host is refused; the claim is never released: a ring serves one job).
  [[nodiscard]] int32_t try_claim_host(int32_t pid) noexcept;
  // Producer: the host has read the result and detached (split mode: the executor may start anew).
  void mark_host_done() noexcept;
  // Consumer: one heartbeat (the executor's liveness counter goes up by one).
  void beat_executor() noexcept;
  // Consumer: the executor runs (placed, memory locked, pins open) and serves records from now on. A
  // host chooses its print-time origin only after this, so a slow start cannot make the first edge late.
  // `virtual_clock`: it keeps the virtual clock (edges at their times without waiting), which the host
  // cannot otherwise see in split mode.
  void mark_executor_started(bool virtual_clock = false) noexcept;
  // Consumer: publishes the final report (once, at the end of the job).
  void publish_result(const ExecutorResult& result) noexcept;
  // Consumer: publishes the report of a homing move and bumps homing_sequence(). The host sends the next
  // homing move only after reading this one, so a report is never overwritten while it is read.
  void publish_homing(const HomingReport& report) noexcept;
  // Either side: homing reports published so far (0: none), and the latest one (count clamped).
  uint32_t homing_sequence() const noexcept;
  HomingReport homing_report() const noexcept;

  // Readers, either side.
  uint64_t host_beats() const noexcept;
  uint64_t executor_beats() const noexcept;
  int64_t horizon() const noexcept;  // INT64_MIN until the host sets one
  StopCause stop_requested() const noexcept;
  bool host_done() const noexcept;
  int32_t host_pid() const noexcept;  // 0 until a host claimed the ring
  bool executor_started() const noexcept;
  bool executor_virtual_clock() const noexcept;  // once started: it keeps the virtual clock
  // True once the executor published its result; copies it (message NUL-terminated, counts clamped).
  [[nodiscard]] bool try_result(ExecutorResult& out) const noexcept;

 private:
  SegmentRing(std::string name, void* base, std::size_t bytes, uint32_t capacity, bool owner) noexcept;
  // attach(); `not_ready` says whether a refusal may pass once the creator has finished creating.
  static Result<SegmentRing> attach_or_refuse(const std::string& name, bool& not_ready);
  void release() noexcept;  // munmap, and shm_unlink when owner
  std::string name_;
  void* base_ = nullptr;  // the mapping: header, index and control lines, result, records (segment_ring.cpp)
  std::size_t bytes_ = 0;
  uint32_t capacity_ = 0;
  bool owner_ = false;
  bool corrupted_ = false;
  // Private to this process: each side's own index and its cached copy of the other side's.
  uint64_t write_ = 0, cached_read_ = 0;  // producer
  uint64_t read_ = 0, cached_write_ = 0;  // consumer
  uint64_t high_water_ = 0;               // consumer
  std::string replaced_;                  // create(): the stale ring it replaced
};

// Removes every ring in /dev/shm whose name starts with `prefix` (without the '/') that create() would
// replace: this user's, mode 0600, this ABI, creator no longer running. Returns one note per removal
// ("/rtstep-run-123: replaced a stale ring left by pid 123, ..."). Init only.
std::vector<std::string> remove_stale_rings(const std::string& prefix);

// The POSIX name of a ring given on a command line: "rtstep" and "/rtstep" name the same ring
// (`rtstep systemd-unit` writes the former); a name that already starts with '/' is returned as given.
// create() and attach() check the result. Non-real-time.
std::string ring_object_name(const std::string& given);

// Byte offset of the first record in the mapping (header, four lines, result block). ABI.
extern const std::size_t kRingRecordsOffset;

}  // namespace rtstep::ipc

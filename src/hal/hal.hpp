#pragma once
// The HAL registry: components, pins, parameters, signals, functions and threads of one HAL graph, as
// LinuxCNC's HAL describes a machine. One Hal object owns everything (no globals); a test makes its own.
//
// Configuration (everything here unless marked otherwise) is non-real-time and single-threaded: the
// command interpreter calls it. The real-time side never calls the Hal: components' functions touch only
// their Pin/Param handles (pin.hpp), and threads run fixed function arrays (thread.hpp).
//
// Linking rules (LinuxCNC's): a pin and a signal must have the same type; a signal has at most one OUT
// pin, and never an OUT pin together with I/O pins; a pin is on at most one signal; the first writer
// (or the first pin) seeds the signal's value; unlinking leaves the pin holding the last value it saw.

#include <map>
#include <mutex>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hal/pin.hpp"
#include "hal/value.hpp"
#include "util/result.hpp"

namespace rtstep::rt {
class PeriodicThread;
struct PeriodicStats;
}
namespace rtstep::gpio {
class Backend;
enum class BackendKind : uint8_t;
}

namespace rtstep::hal {

class HalThread;
class MotionJob;  // motion_job.hpp

// What threads without SCHED_FIFO serialize their cycles with (HalThread::set_serialized).
struct SerialLock {
  std::mutex mutex;
  std::atomic<int> waiting{0};  // threads waiting for `mutex`: a thread that leaves yields to them
};
struct SignalRecord;

// A component instance's state (a stepgen channel set, an and2 gate). Owned by the Hal, never moved.
class Instance {
 public:
  virtual ~Instance() = default;
};

struct ComponentRecord {
  int id = 0;
  std::string name;
  bool ready = false;
  std::vector<std::unique_ptr<Instance>> instances;
};

struct PinRecord {
  std::string name;      // the alias while it has one (`alias pin`), else the name the component gave
  std::string original;  // the component's name while aliased, else empty
  Type type = Type::kBit;
  Dir dir = Dir::kIn;
  int owner = 0;
  std::atomic<Value*>* slot = nullptr;  // the component's Pin<T>
  Value dummy;                          // the private value while unlinked
  SignalRecord* signal = nullptr;
};

struct ParamRecord {
  std::string name;      // as PinRecord's
  std::string original;
  Type type = Type::kBit;
  ParamDir dir = ParamDir::kRw;
  int owner = 0;
  Value* value = nullptr;  // the component's Param<T>
};

struct SignalRecord {
  std::string name;
  Type type = Type::kBit;
  Value value;
  int readers = 0;  // IN and I/O pins
  int writers = 0;  // OUT pins
  int bidirs = 0;   // I/O pins
  std::vector<PinRecord*> pins;  // in link order
};

struct FunctionRecord {
  std::string name;
  int owner = 0;
  FunctionFn fn = nullptr;
  void* arg = nullptr;
  int users = 0;  // threads it is in (0 or 1: functions are not reentrant)
  Pin<int32_t> time;                   // <funct>.time: ns of the last run
  Param<int32_t> tmax;                 // <funct>.tmax: the maximum, writable to reset
  Param<bool> tmax_increased;          // <funct>.tmax-increased
};

enum class AliasKind : uint8_t { kPin, kParam };

class Hal {
 public:
  Hal();
  ~Hal();  // stops the threads first
  Hal(const Hal&) = delete;
  Hal& operator=(const Hal&) = delete;

  // --- Components (used by component loaders) ---
  Result<int> add_component(std::string name);  // returns the id; "initializing" until ready()
  // LinuxCNC's id numbering: each `loadrt` first takes two ids for its helper processes (rtapi_app's client
  // and halcmd's loader), so the first component is 4 and `show` owner ids match LinuxCNC's.
  void reserve_component_ids(int n) noexcept { next_component_id_ += n; }
  void ready(int comp_id);
  // Removes a component and everything it owns (a loader that failed half-way). Its functions must not
  // be in a thread.
  void remove_component(int comp_id);
  template <typename T>
  Status add_pin(int comp_id, std::string name, Dir dir, Pin<T>& pin, T initial = T{}) {
    return add_pin_record(comp_id, std::move(name), type_of<T>(), dir, pin.slot(), pin.own(), Value::encode(initial));
  }
  // A pin whose type is chosen at run time (sampler, streamer): the component moves raw 8-byte values.
  Status add_raw_pin(int comp_id, std::string name, Type type, Dir dir, Pin<uint64_t>& pin) {
    return add_pin_record(comp_id, std::move(name), type, dir, pin.slot(), pin.own(), 0);
  }
  template <typename T>
  Status add_param(int comp_id, std::string name, ParamDir dir, Param<T>& param) {
    return add_param_record(comp_id, std::move(name), type_of<T>(), dir, param.value());
  }
  Status add_function(int comp_id, std::string name, FunctionFn fn, void* arg);
  Instance* own(int comp_id, std::unique_ptr<Instance> instance);

  // --- Signals and links ---
  // Errors carry the messages of LinuxCNC's HAL library (halcmd prints them as "HAL: ERROR: message"):
  // "duplicate signal 'x'", "signal 'x' not found", "pin 'x' not found", "type mismatch 'p' <- 's'", ...
  Status new_signal(const std::string& name, Type type);
  // delsig: unlinks the signal's pins, then frees it after a grace period (wait_grace), so a function of a
  // running thread that loaded a pin's pointer just before never reads freed memory.
  Status delete_signal(const std::string& name);
  // A pin already on `signal` is fine (nothing changes).
  Status link(const std::string& pin, const std::string& signal);
  Status unlink(const std::string& pin);

  // --- Aliases (`alias pin|param NAME ALIAS`, `unalias pin|param NAME`), as LinuxCNC's: the alias becomes
  // the name `show` and `list` print, and both the alias and the original name find the pin or parameter.
  // NAME may be either. Aliasing again replaces the alias; unaliasing an unaliased name does nothing.
  Status alias(AliasKind kind, const std::string& name, const std::string& alias);
  Status unalias(AliasKind kind, const std::string& name);
  // A pin or parameter by its name, alias or original name; null when there is none.
  PinRecord* find_pin(std::string_view name) const;
  ParamRecord* find_param(std::string_view name) const;

  // --- Values (setp/getp/sets/gets) ---
  // These are halcmd's commands in LinuxCNC, so their errors are halcmd's lines: "parameter or pin 'x' not
  // found", "pin 'x' is not writable", ..., and for a value the type does not take two lines,
  // "value 'v' invalid for S32\nsetp failed" (sets likewise).
  Status set_pin_or_param(const std::string& name, std::string_view text);
  Result<std::string> get_pin_or_param(const std::string& name) const;
  Status set_signal(const std::string& name, std::string_view text);
  Result<std::string> get_signal(const std::string& name) const;

  // --- Threads (thread.cpp) ---
  Status set_exact_periods();  // setexact_for_test_suite_only: before the first thread
  // Creates a thread; the first fixes the base period, later ones are rounded to multiples of it and must
  // not be faster than the slowest so far. Priorities step down from the first.
  Status create_thread(const std::string& name, int64_t period_ns, int owner_comp);
  // addf and delf with the HAL library's checks, order and messages ("bad position: 0", "function 'f' not
  // found", "function 'f' may only be added to one thread", "thread 't' doesn't use f", ...). An empty
  // `thread` in delf means whichever thread has the function.
  Status add_function_to_thread(const std::string& funct, const std::string& thread, int position);
  Status remove_function_from_thread(const std::string& funct, const std::string& thread = "");
  // initf: `funct` runs once, in the first cycle of `thread` after start (that cycle runs only the init
  // functions). Before start only.
  Status add_init_function_to_thread(const std::string& funct, const std::string& thread, int position);
  // unloadrt: the component's functions leave every thread (live, as delf), then its pins (unlinked),
  // params, functions and instances go. A component that created threads (threads, motmod) stops the
  // periodic threads first and takes its threads with it; `start` creates the others again.
  Status unload_component(const std::string& name);
  // start: creates and starts the periodic threads at the first call, then sets the run flag; stop
  // clears it (the threads keep ticking without running functions, as LinuxCNC's). Live addf/delf is
  // allowed either way. Without threads it only sets the flag (threads created later start at the next
  // start).
  Status start();
  void stop() noexcept;
  bool running() const noexcept;
  bool threads_started() const noexcept { return !periodic_.empty(); }
  void shutdown();  // stops and joins the periodic threads
  // Waits until every cycle of the running threads that began before the call has ended (one cycle that
  // begins after it has ended): memory that the pins pointed to before may then be freed. True at once
  // when the threads are not started; false when a thread stopped ticking (keep the memory then).
  bool wait_grace();
  // Runs `base_cycles` periods of every thread synchronously on the calling thread, fastest first, as if
  // started: deterministic, for tests and simulation. Cycle numbers continue across calls, so a slower
  // thread runs every k-th base period however the calls are split. Not while the periodic threads run.
  Status run_virtual(int64_t base_cycles);
  // Placement of the periodic threads (set before start), from the [rt] hierarchy (rt/hierarchy.hpp):
  // below the step executor, the first (fastest) thread at base_priority, the second at servo_priority,
  // each later one a step lower (rate-monotonic, as LinuxCNC's 98, 97, ... but under the executor).
  struct ThreadOptions {
    bool realtime = true;            // SCHED_FIFO; else SCHED_OTHER
    int base_priority = 75;          // [rt] base_priority (rt::Hierarchy's default)
    int servo_priority = 70;         // [rt] servo_priority
    std::vector<int> cpus;           // [rt] host_cpus; empty = the inherited affinity
    bool lock_memory = true;
    bool allow_non_realtime = true;  // a refused policy runs SCHED_OTHER with a warning
  };
  // The SCHED_FIFO priority of the index-th thread (0 = fastest) under `options`; at least 1.
  static int thread_priority(const ThreadOptions& options, std::size_t index) noexcept;
  void set_thread_options(ThreadOptions options) { thread_options_ = options; }
  // The rt thread table (rt/thread_table.hpp) of the started threads: period, execution and wake-up
  // times, utilisation and overruns. Non-real-time.
  std::string thread_report() const;
  // Why a started thread runs without what it asked for (SCHED_FIFO refused, ...), one per such thread.
  std::vector<std::string> placement_warnings() const;
  // The statistics of the started threads, fastest first (empty before start). Non-real-time.
  std::vector<rt::PeriodicStats> thread_stats() const;
  std::vector<std::string> take_overrun_reports();

  // The G-code job `loadrt motmod` plays (`rtstep hal --gcode`); null: motmod's joints hold still. The job
  // must outlive the Hal's threads. Init only.
  void set_motion_job(MotionJob* job) noexcept { motion_job_ = job; }
  MotionJob* motion_job() const noexcept { return motion_job_; }
  // What `loadrt hal_gpio` drives: a backend the caller owns (tests: a SimBackend to inspect), else one
  // hal_gpio opens of this kind (`rtstep hal --backend`, default sim). Init only.
  void set_gpio_backend(gpio::Backend* backend) noexcept { gpio_backend_ = backend; }
  gpio::Backend* gpio_backend() const noexcept { return gpio_backend_; }
  void set_gpio_backend_kind(gpio::BackendKind kind) noexcept { gpio_kind_ = kind; }
  gpio::BackendKind gpio_backend_kind() const noexcept { return gpio_kind_; }

  // --- Queries (show/list) ---
  const std::map<std::string, std::unique_ptr<PinRecord>, std::less<>>& pins() const { return pins_; }
  const std::map<std::string, std::unique_ptr<ParamRecord>, std::less<>>& params() const { return params_; }
  const std::map<std::string, std::unique_ptr<SignalRecord>, std::less<>>& signals() const { return signals_; }
  const std::map<std::string, std::unique_ptr<FunctionRecord>, std::less<>>& functions() const { return functions_; }
  const std::vector<std::unique_ptr<ComponentRecord>>& components() const { return components_; }
  const std::vector<std::unique_ptr<HalThread>>& threads() const { return threads_; }  // fastest first
  const ComponentRecord* component(int id) const;
  const ComponentRecord* find_component(std::string_view name) const;
  HalThread* find_thread(std::string_view name) const;
  int64_t base_period_ns() const;  // 0 before the first thread

 private:
  Status add_pin_record(int comp_id, std::string name, Type type, Dir dir, std::atomic<Value*>& slot, Value*& own,
                        uint64_t initial);
  Status add_param_record(int comp_id, std::string name, Type type, ParamDir dir, Value& value);
  Status check_new_name(int comp_id, const std::string& name, bool is_param) const;
  Status check_link(const PinRecord& pin, const SignalRecord& sig) const;
  void do_link(PinRecord& pin, SignalRecord& sig);
  void do_unlink(PinRecord& pin);
  ComponentRecord* component_mut(int id);

  std::vector<std::unique_ptr<ComponentRecord>> components_;
  std::map<std::string, std::unique_ptr<PinRecord>, std::less<>> pins_;
  std::map<std::string, std::unique_ptr<ParamRecord>, std::less<>> params_;
  // Original name -> alias, for the pins and parameters that have one.
  std::map<std::string, std::string, std::less<>> pin_aliases_;
  std::map<std::string, std::string, std::less<>> param_aliases_;
  std::map<std::string, std::unique_ptr<SignalRecord>, std::less<>> signals_;
  std::map<std::string, std::unique_ptr<FunctionRecord>, std::less<>> functions_;
  std::vector<std::unique_ptr<HalThread>> threads_;
  std::vector<std::unique_ptr<rt::PeriodicThread>> periodic_;  // created by start()
  // Deleted signals whose grace period did not complete (a thread stopped ticking): freed at shutdown.
  std::vector<std::unique_ptr<SignalRecord>> retired_signals_;
  int next_component_id_ = 2;  // LinuxCNC's halcmd itself holds id 1
  int64_t virtual_cycle_ = 0;  // base periods run by run_virtual so far (its cadence continues across calls)
  bool exact_periods_ = false;
  ThreadOptions thread_options_;
  MotionJob* motion_job_ = nullptr;
  gpio::Backend* gpio_backend_ = nullptr;
  gpio::BackendKind gpio_kind_{};  // kSim (0)
  std::unique_ptr<std::atomic<bool>> running_;  // read by the threads' trampolines
  SerialLock serial_cycles_;  // one cycle at a time when a thread runs without SCHED_FIFO
};

}  // namespace rtstep::hal

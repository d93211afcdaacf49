#pragma once
// A HAL thread: a name, a period and an ordered list of HAL functions, run by one rt::PeriodicThread
// through a single trampoline function (run_cycle). The list lives in two fixed arrays: addf/delf write
// the spare one and publish it with one atomic pointer store, then wait until the real-time side has left
// the old one (it announces the list it uses, hazard-pointer style), so functions can be added and
// removed while the thread runs without a lock on the real-time path.
//
// Per cycle (LinuxCNC's thread_task): one clock read at the start, one after each function; the function's
// .time pin gets its share and .tmax/.tmax-increased follow; then the thread's .time, .tmax and
// .threadbeat.

#include <array>
#include <atomic>
#include <mutex>
#include <cstdint>
#include <string>
#include <vector>

#include "hal/hal.hpp"

namespace rtstep::hal {

inline constexpr std::size_t kMaxFunctionsPerThread = 64;

class HalThread {
 public:
  HalThread(std::string name, int64_t period_ns, int priority, int owner, const std::atomic<bool>& running);
  HalThread(const HalThread&) = delete;
  HalThread& operator=(const HalThread&) = delete;

  const std::string& name() const noexcept { return name_; }
  int64_t period_ns() const noexcept { return period_ns_; }
  int priority() const noexcept { return priority_; }
  int owner() const noexcept { return owner_; }  // the component that created it
  const std::vector<FunctionRecord*>& functions() const noexcept { return order_; }  // non-real-time

  // addf's positions: +k = k-th from the start, -k = k-th from the end; 0 is an error. Non-real-time.
  Status insert(FunctionRecord& funct, int position);
  bool remove(FunctionRecord& funct);  // non-real-time
  // initf: functions run once, in the first cycle the thread runs (that cycle runs only them, as
  // LinuxCNC's). Before the periodic threads start only. Non-real-time.
  Status insert_init(FunctionRecord& funct, int position);
  bool remove_init(FunctionRecord& funct, bool threads_started);  // non-real-time
  const std::vector<FunctionRecord*>& init_functions() const noexcept { return init_order_; }

  // The trampoline for rt::PeriodicThread (arg = this). Runs the functions when the Hal's run flag is set.
  // Real-time safe, except in the non-real-time fallback (set_serialized): then it takes that mutex.
  static void run_cycle(void* arg, int64_t period_ns) noexcept;
  // Threads without SCHED_FIFO run their cycles one at a time under `lock` (null: not), as LinuxCNC's POSIX
  // non-real-time mode serializes them: the kernel may then interrupt a cycle for another thread's, and a
  // fast thread's functions must still see a slow thread's cycle whole. Before the Hal's run flag is set.
  void set_serialized(SerialLock* lock) noexcept { serial_.store(lock, std::memory_order_release); }
  void run_functions(int64_t period_ns) noexcept;  // one cycle, regardless of the run flag

  // The grace period of a change that frees memory a function may read (delsig frees a signal's value):
  // after the caller has repointed every pin away from it, waits until every cycle that may still hold the
  // old pointer has ended: the cycle that begins after this call has ended (at most two periods). False
  // when that did not happen within `timeout_ns` (the thread has stopped ticking): keep the memory.
  // Non-real-time.
  bool wait_grace(int64_t timeout_ns);

  // Exported as <thread>.time, .tmax, .threadbeat; owned here, registered by the Hal.
  Pin<int32_t> time;
  Param<int32_t> tmax;
  Pin<int64_t> threadbeat;

 private:
  struct Entry {
    FunctionFn fn;
    void* arg;
    FunctionRecord* funct;
  };
  struct List {
    std::size_t count = 0;
    std::array<Entry, kMaxFunctionsPerThread> entries{};
  };
  void publish();  // non-real-time: copies order_ into the spare list and swaps

  std::string name_;
  int64_t period_ns_;
  int priority_;
  int owner_;
  const std::atomic<bool>& running_;
  std::atomic<SerialLock*> serial_{nullptr};  // set_serialized
  std::vector<FunctionRecord*> order_;  // the configuration side's copy
  std::vector<FunctionRecord*> init_order_;  // initf, configuration side
  List init_list_{};       // initf, fixed before the periodic threads start
  bool init_done_ = false;  // real-time side only: the init cycle has run
  std::array<List, 2> lists_{};
  std::atomic<const List*> active_{&lists_[0]};   // written by publish, read by the cycle
  std::atomic<const List*> in_use_{nullptr};      // written by the cycle: the list it is running
  // Grace periods (wait_grace): the configuration side bumps `epoch_` (release) after repointing pins; a
  // cycle reads it (acquire) before its functions, so it sees the new pointers, and stores the value it
  // read in `epoch_done_` (release) after them, so the waiter sees that every access of older cycles is
  // over. Every tick does this, running or not, so `stop` does not hold a waiter up.
  std::atomic<uint64_t> epoch_{0};       // written by wait_grace
  std::atomic<uint64_t> epoch_done_{0};  // written by the cycle
};

}  // namespace rtstep::hal

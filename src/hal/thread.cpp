// HAL threads: the function lists, addf position rules, the trampoline, and the Hal's thread commands
// (see thread.hpp and hal.hpp).
#include "hal/thread.hpp"

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "rt/periodic.hpp"
#include "rt/thread_table.hpp"
#include "util/clock.hpp"

namespace rtstep::hal {

namespace {

int32_t clamp_ns(int64_t ns) noexcept {
  return static_cast<int32_t>(std::min<int64_t>(ns, INT32_MAX));
}

// addf/initf position rules on a list of `size`: +k = k-th from the start, -k = k-th from the end.
Result<std::size_t> insert_index(std::size_t size, int position) {
  const int n = static_cast<int>(size);
  if (position == 0) return Error{"bad position: 0"};
  if (size >= kMaxFunctionsPerThread) return Error{"thread is full (" + std::to_string(kMaxFunctionsPerThread) + " functions)"};
  if (position > n + 1) return Error{"position '" + std::to_string(position) + "' is too high"};
  if (position < -(n + 1)) return Error{"position '" + std::to_string(position) + "' is too low"};
  return static_cast<std::size_t>(position > 0 ? position - 1 : n + 1 + position);
}

}  // namespace

HalThread::HalThread(std::string name, int64_t period_ns, int priority, int owner, const std::atomic<bool>& running)
    : name_(std::move(name)), period_ns_(period_ns), priority_(priority), owner_(owner), running_(running) {}

Status HalThread::insert(FunctionRecord& funct, int position) {
  auto index = insert_index(order_.size(), position);
  if (!index) return index.error();
  order_.insert(order_.begin() + static_cast<std::ptrdiff_t>(*index), &funct);
  publish();
  return Ok{};
}

Status HalThread::insert_init(FunctionRecord& funct, int position) {
  if (std::find(init_order_.begin(), init_order_.end(), &funct) != init_order_.end()) {
    return Error{"function '" + funct.name + "' is already an init function of thread '" + name_ + "'"};
  }
  auto index = insert_index(init_order_.size(), position);
  if (!index) return index.error();
  init_order_.insert(init_order_.begin() + static_cast<std::ptrdiff_t>(*index), &funct);
  init_list_.count = init_order_.size();
  for (std::size_t i = 0; i < init_order_.size(); ++i) {
    init_list_.entries[i] = {init_order_[i]->fn, init_order_[i]->arg, init_order_[i]};
  }
  return Ok{};
}

bool HalThread::remove_init(FunctionRecord& funct, bool threads_started) {
  auto it = std::find(init_order_.begin(), init_order_.end(), &funct);
  if (it == init_order_.end()) return false;
  init_order_.erase(it);
  // Once the threads run, the init cycle is over (or about to read the list): leave the array alone; the
  // real-time side never reads it again after its first cycle.
  if (!threads_started) {
    init_list_.count = init_order_.size();
    for (std::size_t i = 0; i < init_order_.size(); ++i) {
      init_list_.entries[i] = {init_order_[i]->fn, init_order_[i]->arg, init_order_[i]};
    }
  }
  return true;
}

bool HalThread::remove(FunctionRecord& funct) {
  auto it = std::find(order_.begin(), order_.end(), &funct);
  if (it == order_.end()) return false;
  order_.erase(it);
  publish();
  return true;
}

void HalThread::publish() {
  const List* old = active_.load(std::memory_order_seq_cst);
  List& spare = old == &lists_[0] ? lists_[1] : lists_[0];
  // The spare list is not in use: the previous publish waited until the cycle had left it.
  spare.count = order_.size();
  for (std::size_t i = 0; i < order_.size(); ++i) spare.entries[i] = {order_[i]->fn, order_[i]->arg, order_[i]};
  active_.store(&spare, std::memory_order_seq_cst);
  // Wait until no cycle runs the old list (a cycle that starts now takes the new one).
  while (in_use_.load(std::memory_order_seq_cst) == old) std::this_thread::sleep_for(std::chrono::microseconds(20));
}

void HalThread::run_cycle(void* arg, int64_t period_ns) noexcept {
  auto* self = static_cast<HalThread*>(arg);
  const uint64_t epoch = self->epoch_.load(std::memory_order_acquire);
  if (self->running_.load(std::memory_order_acquire)) {
    if (SerialLock* serial = self->serial_.load(std::memory_order_acquire); serial != nullptr) {
      // The non-real-time fallback only (set_serialized). A thread catching up on late periods would
      // otherwise take the lock again at once, cycle after cycle, and starve the others.
      serial->waiting.fetch_add(1, std::memory_order_relaxed);
      {
        std::lock_guard lock(serial->mutex);
        serial->waiting.fetch_sub(1, std::memory_order_relaxed);
        self->run_functions(period_ns);
      }
      if (serial->waiting.load(std::memory_order_relaxed) > 0) sched_yield();
    } else {
      self->run_functions(period_ns);
    }
  }
  self->epoch_done_.store(epoch, std::memory_order_release);
}

bool HalThread::wait_grace(int64_t timeout_ns) {
  const uint64_t target = epoch_.fetch_add(1, std::memory_order_acq_rel) + 1;
  const int64_t give_up = monotonic_ns() + timeout_ns;
  while (epoch_done_.load(std::memory_order_acquire) < target) {
    if (monotonic_ns() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return true;
}

void HalThread::run_functions(int64_t period_ns) noexcept {
  if (!init_done_) {
    init_done_ = true;
    if (init_list_.count > 0) {  // the init cycle: the initf functions, once, instead of the cyclic list
      for (std::size_t i = 0; i < init_list_.count; ++i) init_list_.entries[i].fn(init_list_.entries[i].arg, period_ns);
      return;
    }
  }
  // Announce the list, then check it is still the active one (otherwise publish may have missed us).
  const List* list = active_.load(std::memory_order_seq_cst);
  in_use_.store(list, std::memory_order_seq_cst);
  while (active_.load(std::memory_order_seq_cst) != list) {
    list = active_.load(std::memory_order_seq_cst);
    in_use_.store(list, std::memory_order_seq_cst);
  }
  const int64_t start = monotonic_ns();
  int64_t before = start;
  for (std::size_t i = 0; i < list->count; ++i) {
    const Entry& e = list->entries[i];
    e.fn(e.arg, period_ns);
    const int64_t after = monotonic_ns();
    const int32_t t = clamp_ns(after - before);
    e.funct->time.set(t);
    const bool increased = t > e.funct->tmax.get();
    if (increased) e.funct->tmax.set(t);
    e.funct->tmax_increased.set(increased);
    before = after;
  }
  in_use_.store(nullptr, std::memory_order_release);
  const int32_t total = clamp_ns(before - start);
  time.set(total);
  if (total > tmax.get()) tmax.set(total);
  threadbeat.set(threadbeat.get() + 1);
}

// --- The Hal's thread commands ---

Status Hal::set_exact_periods() {
  if (!threads_.empty()) return Error{"HAL_LIB: Cannot run 'setexact' after a thread has been created"};
  exact_periods_ = true;
  return Ok{};
}

int64_t Hal::base_period_ns() const { return threads_.empty() ? 0 : threads_.front()->period_ns(); }

HalThread* Hal::find_thread(std::string_view name) const {
  for (const auto& t : threads_) {
    if (t->name() == name) return t.get();
  }
  return nullptr;
}

Status Hal::create_thread(const std::string& name, int64_t period_ns, int owner_comp) {
  if (find_thread(name) != nullptr) return Error{"duplicate thread name '" + name + "'"};
  if (threads_started()) return Error{"thread '" + name + "': threads must be created before 'start'"};
  if (period_ns <= 0) return Error{"thread '" + name + "': period must be > 0 ns"};
  int64_t period = period_ns;
  if (!threads_.empty()) {
    const int64_t base = base_period_ns();
    if (period < base) {
      return Error{"thread '" + name + "': period " + std::to_string(period) + " ns is shorter than the base period " +
                   std::to_string(base) + " ns (create threads fastest first)"};
    }
    period = (period + base / 2) / base * base;  // nearest whole multiple
    if (period < threads_.back()->period_ns()) {
      return Error{"thread '" + name + "': period " + std::to_string(period) + " ns is shorter than thread '" +
                   threads_.back()->name() + "' (create threads fastest first)"};
    }
  }
  if (threads_.size() >= 10) return Error{"too many threads (at most 10)"};
  // Rate-monotonic, placed at start (thread_priority); kept here for `show thread` and the ordering check.
  const int priority = thread_priority(thread_options_, threads_.size());
  // As LinuxCNC's, a pseudo-component `__<thread>` owns the thread's pins and parameters.
  auto pseudo = add_component("__" + name);
  if (!pseudo) return pseudo.error();
  auto thread = std::make_unique<HalThread>(name, period, priority, owner_comp, *running_);
  HalThread& t = *thread;
  threads_.push_back(std::move(thread));
  Status st = add_pin(*pseudo, name + ".time", Dir::kOut, t.time, int32_t{0});
  if (st) st = add_param(*pseudo, name + ".tmax", ParamDir::kRw, t.tmax);
  if (st) st = add_pin(*pseudo, name + ".threadbeat", Dir::kOut, t.threadbeat, int64_t{0});
  if (!st) {
    remove_component(*pseudo);
    threads_.pop_back();
    return st;
  }
  ready(*pseudo);
  return Ok{};
}

// LinuxCNC's order of checks, so the same mistake gets the same message.
Status Hal::add_function_to_thread(const std::string& funct, const std::string& thread, int position) {
  if (position == 0) return Error{"bad position: 0"};
  auto fit = functions_.find(funct);
  if (fit == functions_.end()) return Error{"function '" + funct + "' not found"};
  FunctionRecord& f = *fit->second;
  if (f.users > 0) return Error{"function '" + funct + "' may only be added to one thread"};
  HalThread* t = find_thread(thread);
  if (t == nullptr) return Error{"thread '" + thread + "' not found"};
  if (auto st = t->insert(f, position); !st) return st;
  ++f.users;
  return Ok{};
}

Status Hal::add_init_function_to_thread(const std::string& funct, const std::string& thread, int position) {
  auto fit = functions_.find(funct);
  if (fit == functions_.end()) return Error{"function '" + funct + "' not found"};
  HalThread* t = find_thread(thread);
  if (t == nullptr) return Error{"thread '" + thread + "' not found"};
  if (threads_started()) return Error{"initf " + funct + " " + thread + ": the threads have started; initf comes before 'start'"};
  if (auto st = t->insert_init(*fit->second, position); !st) {
    return Error{"initf " + funct + " " + thread + ": " + st.error().message};
  }
  return Ok{};
}

Status Hal::unload_component(const std::string& name) {
  const ComponentRecord* comp = find_component(name);
  if (comp == nullptr) return Error{"component '" + name + "' is not loaded"};
  if (name.starts_with("__") && find_thread(name.substr(2)) != nullptr) {
    return Error{"component '" + name + "' belongs to thread '" + name.substr(2) + "' and goes with it"};
  }
  const int id = comp->id;
  // Threads it created go away with it: the periodic threads stop first (start creates them again).
  const bool owns_threads = std::any_of(threads_.begin(), threads_.end(), [id](const auto& t) { return t->owner() == id; });
  if (owns_threads) {
    shutdown();
    for (const auto& t : threads_) {
      if (t->owner() != id) continue;
      for (FunctionRecord* f : t->functions()) --f->users;
    }
  }
  // Its functions leave every thread (published live, as delf) before their code and data go.
  for (const auto& [fname, f] : functions_) {
    if (f->owner != id) continue;
    for (const auto& t : threads_) {
      if (t->owner() == id) continue;  // goes away whole
      if (t->remove(*f)) --f->users;
      t->remove_init(*f, threads_started());
    }
  }
  remove_component(id);
  return Ok{};
}

// LinuxCNC's checks and messages, in its order.
Status Hal::remove_function_from_thread(const std::string& funct, const std::string& thread) {
  auto fit = functions_.find(funct);
  if (fit == functions_.end()) return Error{"function '" + funct + "' not found"};
  if (fit->second->users == 0) return Error{"function '" + funct + "' is not in use"};
  if (!thread.empty() && find_thread(thread) == nullptr) return Error{"thread '" + thread + "' not found"};
  for (const auto& t : threads_) {
    if (!thread.empty() && t->name() != thread) continue;
    if (t->remove(*fit->second)) {
      --fit->second->users;
      return Ok{};
    }
  }
  return Error{"thread '" + thread + "' doesn't use " + funct};
}

int Hal::thread_priority(const ThreadOptions& options, std::size_t index) noexcept {
  if (index == 0) return std::max(options.base_priority, 1);
  return std::max(options.servo_priority - static_cast<int>(index - 1), 1);
}

bool Hal::running() const noexcept { return running_->load(std::memory_order_relaxed); }

void Hal::stop() noexcept { running_->store(false, std::memory_order_relaxed); }

Status Hal::start() {
  if (threads_.empty()) {  // as LinuxCNC's: nothing to run yet, but the HAL counts as started
    running_->store(true, std::memory_order_relaxed);
    return Ok{};
  }
  if (!threads_started()) {
    std::vector<rt::PeriodicThread*> raw;
    for (std::size_t i = 0; i < threads_.size(); ++i) {
      HalThread& t = *threads_[i];
      rt::PeriodicSpec spec;
      spec.thread.name = "rtstep-hal" + std::to_string(i);
      spec.thread.policy = thread_options_.realtime ? rt::Policy::kFifo : rt::Policy::kOther;
      spec.thread.priority = thread_options_.realtime ? thread_priority(thread_options_, i) : 0;
      spec.thread.cpus = thread_options_.cpus;
      spec.thread.lock_memory = thread_options_.lock_memory;
      spec.thread.prefault_stack_bytes = 64 * 1024;
      spec.thread.allow_non_realtime = thread_options_.allow_non_realtime;
      spec.label = t.name();
      spec.period_ns = t.period_ns();
      spec.functions.push_back({t.name(), &HalThread::run_cycle, &t});
      periodic_.push_back(std::make_unique<rt::PeriodicThread>(std::move(spec)));
      raw.push_back(periodic_.back().get());
    }
    if (auto st = rt::start_periodic_set(raw); !st) {
      periodic_.clear();
      return st;
    }
    // Without SCHED_FIFO the kernel interleaves the threads' cycles: serialize them, as LinuxCNC does.
    bool all_realtime = true;
    for (const auto& p : periodic_) all_realtime = all_realtime && p->placement().realtime;
    for (const auto& t : threads_) t->set_serialized(all_realtime ? nullptr : &serial_cycles_);
  }
  running_->store(true, std::memory_order_release);
  return Ok{};
}

void Hal::shutdown() {
  stop();
  for (auto& p : periodic_) p->request_stop();
  for (auto& p : periodic_) p->join();
  periodic_.clear();
  retired_signals_.clear();  // nothing runs any more
}

bool Hal::wait_grace() {
  if (!threads_started()) return true;  // no cycle runs concurrently (run_virtual runs on this thread)
  bool all = true;
  for (const auto& t : threads_) {
    // Two periods, plus a generous margin for a loaded machine; a thread that stopped ticking fails.
    all = t->wait_grace(2 * t->period_ns() + 2'000'000'000) && all;
  }
  return all;
}

Status Hal::run_virtual(int64_t base_cycles) {
  if (threads_started()) return Error{"run_virtual: the periodic threads are running"};
  if (threads_.empty()) return Error{"run_virtual: no threads"};
  const int64_t base = base_period_ns();
  for (int64_t n = 0; n < base_cycles; ++n, ++virtual_cycle_) {
    for (const auto& t : threads_) {
      if (virtual_cycle_ % (t->period_ns() / base) == 0) t->run_functions(t->period_ns());
    }
  }
  return Ok{};
}

std::string Hal::thread_report() const {
  std::vector<rt::ThreadRow> rows;
  for (const auto& p : periodic_) {
    rows.push_back(rt::thread_row(p->stats()));
    if (!p->placement().warning.empty()) rows.back().note = p->placement().warning;
  }
  return rt::format_thread_table(rows);
}

std::vector<std::string> Hal::placement_warnings() const {
  std::vector<std::string> warnings;
  for (const auto& p : periodic_) {
    if (!p->placement().warning.empty()) warnings.push_back(p->label() + ": " + p->placement().warning);
  }
  return warnings;
}

std::vector<rt::PeriodicStats> Hal::thread_stats() const {
  std::vector<rt::PeriodicStats> stats;
  for (const auto& p : periodic_) stats.push_back(p->stats());
  return stats;
}

std::vector<std::string> Hal::take_overrun_reports() {
  std::vector<std::string> reports;
  for (auto& p : periodic_) {
    if (auto r = p->take_overrun_report()) reports.push_back(std::move(*r));
    if (auto f = p->take_fault_report()) reports.push_back(std::move(*f));
  }
  return reports;
}

}  // namespace rtstep::hal

#pragma once
// What a component holds: typed pin and parameter handles. A pin is a pointer-to-pointer, as in
// LinuxCNC's hal.h: the component owns a Pin<T> whose pointer the Hal sets at configuration time, to the
// pin's private value while it is unlinked and to the signal's value while it is linked. The real-time
// path reads and writes through that pointer, never through a lookup or a lock; a link or unlink takes
// effect at the next access. The pointer is stored with release and loaded with acquire, so a function
// that sees a new signal's address also sees the signal's initialised value (a plain load on x86, ldar
// on ARM).

#include <atomic>
#include <cstdint>

#include "hal/value.hpp"

namespace rtstep::hal {

using FunctionFn = void (*)(void* arg, int64_t period_ns) noexcept;  // as rt::PeriodicFn

template <typename T>
class Pin {
 public:
  Pin() = default;
  Pin(const Pin&) = delete;
  Pin& operator=(const Pin&) = delete;

  // Real-time safe. Only valid after the pin was added to a Hal (before, the pointer is null).
  T get() const noexcept { return ptr_.load(std::memory_order_acquire)->template get<T>(); }
  void set(T v) noexcept { ptr_.load(std::memory_order_acquire)->template set<T>(v); }
  bool attached() const noexcept { return ptr_.load(std::memory_order_relaxed) != nullptr; }
  // Linked to a signal (else the pin points at its private value). Real-time safe.
  bool linked() const noexcept { return ptr_.load(std::memory_order_relaxed) != own_; }

  std::atomic<Value*>& slot() noexcept { return ptr_; }  // for the Hal: init only
  Value*& own() noexcept { return own_; }                // for the Hal: init only

 private:
  std::atomic<Value*> ptr_{nullptr};
  Value* own_ = nullptr;  // the pin's private value (set by the Hal)
};

template <typename T>
class Param {
 public:
  explicit Param(T initial = T{}) noexcept { value_.set(initial); }
  Param(const Param&) = delete;
  Param& operator=(const Param&) = delete;
  T get() const noexcept { return value_.template get<T>(); }  // real-time safe
  void set(T v) noexcept { value_.template set<T>(v); }         // real-time safe
  Value& value() noexcept { return value_; }                     // for the Hal: init only

 private:
  Value value_;
};

}  // namespace rtstep::hal

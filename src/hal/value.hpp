#pragma once
// HAL values: the six scalar types, pin and parameter directions, the 8-byte value slot every pin,
// parameter and signal stores its value in, and halcmd's rules for parsing and printing values.
//
// A Value is one relaxed 64-bit atomic word, so a real-time thread writing a pin and `show` reading it
// from another thread never tear a value; on x86-64 and AArch64 the relaxed load and store are plain
// moves. Each type has a fixed encoding in the word (bit: 0/1, float: the IEEE-754 bits, 32-bit
// integers in the low half).

#include <atomic>
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "util/result.hpp"

namespace rtstep::hal {

// LinuxCNC's numbering (hal.h), kept so that messages and tables read the same.
enum class Type : unsigned char { kBit = 1, kFloat = 2, kS32 = 3, kU32 = 4, kS64 = 6, kU64 = 7 };
enum class Dir : unsigned char { kIn = 0x10, kOut = 0x20, kIo = 0x30 };
enum class ParamDir : unsigned char { kRo = 0x40, kRw = 0xC0 };

// The C++ type that carries each HAL type.
template <typename T>
constexpr Type type_of() noexcept {
  if constexpr (std::is_same_v<T, bool>) return Type::kBit;
  else if constexpr (std::is_same_v<T, double>) return Type::kFloat;
  else if constexpr (std::is_same_v<T, int32_t>) return Type::kS32;
  else if constexpr (std::is_same_v<T, uint32_t>) return Type::kU32;
  else if constexpr (std::is_same_v<T, int64_t>) return Type::kS64;
  else {
    static_assert(std::is_same_v<T, uint64_t>, "HAL values are bool, double, int32/uint32/int64/uint64");
    return Type::kU64;
  }
}

// One value slot. Real-time safe (relaxed atomics only).
class Value {
 public:
  Value() noexcept = default;
  template <typename T>
  T get() const noexcept {
    return decode<T>(bits_.load(std::memory_order_relaxed));
  }
  template <typename T>
  void set(T v) noexcept {
    bits_.store(encode<T>(v), std::memory_order_relaxed);
  }
  uint64_t raw() const noexcept { return bits_.load(std::memory_order_relaxed); }
  void set_raw(uint64_t bits) noexcept { bits_.store(bits, std::memory_order_relaxed); }

  template <typename T>
  static constexpr uint64_t encode(T v) noexcept {
    if constexpr (std::is_same_v<T, bool>) return v ? 1U : 0U;
    else if constexpr (std::is_same_v<T, double>) return std::bit_cast<uint64_t>(v);
    else if constexpr (std::is_same_v<T, int32_t>) return std::bit_cast<uint32_t>(v);
    else if constexpr (std::is_same_v<T, int64_t>) return std::bit_cast<uint64_t>(v);
    else return static_cast<uint64_t>(v);  // uint32_t, uint64_t
  }
  template <typename T>
  static constexpr T decode(uint64_t bits) noexcept {
    if constexpr (std::is_same_v<T, bool>) return bits != 0;
    else if constexpr (std::is_same_v<T, double>) return std::bit_cast<double>(bits);
    else if constexpr (std::is_same_v<T, int32_t>) return std::bit_cast<int32_t>(static_cast<uint32_t>(bits));
    else if constexpr (std::is_same_v<T, int64_t>) return std::bit_cast<int64_t>(bits);
    else return static_cast<T>(bits);
  }

 private:
  std::atomic<uint64_t> bits_{0};
};
static_assert(sizeof(Value) == 8 && std::atomic<uint64_t>::is_always_lock_free);

// "bit", "float", "s32", "u32", "s64", "u64". Non-real-time (as all below).
const char* type_name(Type type) noexcept;
Result<Type> parse_type(std::string_view text);          // the names above
const char* dir_name(Dir dir) noexcept;                  // "IN", "OUT", "I/O"
const char* param_dir_name(ParamDir dir) noexcept;       // "RO", "RW"

// halcmd's setp/sets parsing: bit TRUE/FALSE/1/0/ON/OFF/YES/NO in any case; integers as strtoll/strtoull
// base 0 (0x hex, leading-0 octal) with range checks; floats in the C locale. Trailing junk is an error:
// "value 'x' invalid for float".
Result<uint64_t> parse_value(Type type, std::string_view text);

// getp/gets: TRUE/FALSE, %.7g, decimal integers.
std::string format_value(Type type, uint64_t raw);
// The 20-character cell of `show`: right-justified; u32 as 0x%08X and u64 as 0x%016X.
std::string format_value_cell(Type type, uint64_t raw);

}  // namespace rtstep::hal

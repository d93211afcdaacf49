#pragma once
// ipc: the lock-free single-producer/single-consumer ring that carries work from the host to the
// executor through a named POSIX shared-memory object (DESIGN.md §1-3).
//
// Layout (ABI, shared by two binaries): a 64-byte-aligned header (magic, ABI version, capacity, record
// size), then the producer's cache line (write index, cached read index), then the consumer's cache line
// (read index, cached write index), then `capacity` Records. Capacity is a power of two and indices are
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

#include "ipc/step_segment.hpp"
#include "util/result.hpp"

namespace rtstep::ipc {

enum class RecordKind : uint32_t {
  kSegment = 1,      // payload.segment
  kPin = 2,          // payload.pin: set a non-step pin (enable, ...) at a time
  kEndOfStream = 3,  // no more records: the executor finishes the pending edges and stops
};

// A timed level change of a stepper's auxiliary pin.
enum class PinRole : uint8_t { kEnable = 1 };
struct PinCommand {
  int64_t time_ns = 0;  // CLOCK_MONOTONIC ns at which to apply
  uint8_t stepper = 0;  // < kMaxSteppers
  PinRole role = PinRole::kEnable;
  uint8_t level = 0;    // logical level: 1 = active (enabled)
  uint8_t reserved[5] = {};
};
static_assert(std::is_trivially_copyable_v<PinCommand>);

struct Record {
  RecordKind kind = RecordKind::kSegment;
  uint32_t reserved = 0;
  union {
    StepSegment segment;
    PinCommand pin;
  };
  Record() : segment{} {}
  static Record of(const StepSegment& s) noexcept { Record r; r.kind = RecordKind::kSegment; r.segment = s; return r; }
  static Record of(const PinCommand& p) noexcept { Record r; r.kind = RecordKind::kPin; r.pin = p; return r; }
  static Record end_of_stream() noexcept { Record r; r.kind = RecordKind::kEndOfStream; return r; }
  // Time the record takes effect at (for ordering): first step or pin time; 0 for end of stream.
  int64_t time_ns() const noexcept {
    return kind == RecordKind::kSegment ? segment.first_time_ns : kind == RecordKind::kPin ? pin.time_ns : 0;
  }
};
static_assert(std::is_trivially_copyable_v<Record>);
static_assert(sizeof(Record) == 40);

inline constexpr uint64_t kRingMagic = 0x31474e5250545352ULL;  // "RSTPRNG1" little-endian
inline constexpr uint32_t kRingAbiVersion = 1;
inline constexpr uint32_t kCacheLine = 64;

class SegmentRing {
 public:
  // Creates the shared-memory object `name` ("/rtstep-..." ; O_CREAT|O_EXCL, mode 0600) holding an
  // empty ring of `capacity` records (a power of two, 2..2^24). The creator unlinks the name when
  // destroyed. Errors name the object and the failing call with errno text. Init only.
  static Result<SegmentRing> create(const std::string& name, uint32_t capacity);
  // Maps an existing ring, validating magic, ABI version, record size, capacity and the object's size;
  // any mismatch is refused with a message saying which field differs. Init only.
  static Result<SegmentRing> attach(const std::string& name);

  SegmentRing(SegmentRing&& other) noexcept;
  SegmentRing& operator=(SegmentRing&& other) noexcept;
  SegmentRing(const SegmentRing&) = delete;
  SegmentRing& operator=(const SegmentRing&) = delete;
  ~SegmentRing();

  // Producer only. Real-time safe. False when the ring is full (the caller waits: never drop).
  [[nodiscard]] bool try_push(const Record& record) noexcept;
  // Consumer only. Real-time safe. False when empty, or when the shared indices are inconsistent
  // (write - read > capacity: a corrupted producer); the latter also sets corrupted().
  [[nodiscard]] bool try_pop(Record& out) noexcept;

  // Records in the ring as the caller sees them now (approximate from the other side). Real-time safe.
  uint64_t size() const noexcept;
  uint32_t capacity() const noexcept { return capacity_; }
  bool corrupted() const noexcept { return corrupted_; }
  const std::string& name() const noexcept { return name_; }

 private:
  SegmentRing(std::string name, void* base, std::size_t bytes, uint32_t capacity, bool owner) noexcept;
  void release() noexcept;  // munmap, and shm_unlink when owner
  std::string name_;
  void* base_ = nullptr;  // the mapping: header, producer line, consumer line, records (segment_ring.cpp)
  std::size_t bytes_ = 0;
  uint32_t capacity_ = 0;
  bool owner_ = false;
  bool corrupted_ = false;
};

}  // namespace rtstep::ipc

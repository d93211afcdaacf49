// Fuzz target: the executor's side of ipc::SegmentRing (src/ipc) against a hostile producer.
//
// Each run creates a real ring (SegmentRing::create), then lets the fuzzer choose its object size, header
// fields (the creator's identity included), indices, result block and records, then attaches to it as the executor does and runs a fuzzer-chosen sequence of pops,
// index scribbles, pushes from a second (producer) attachment and result reads.
// Invariants:
// - attach accepts exactly the objects whose header is valid (magic, ABI version, record size, header
//   size, power-of-two capacity in [2, 2^24]), whose size matches the capacity and whose creator is
//   running; a refusal names the object;
// - the consumer never reads outside the ring: every record is filled with a marker naming its slot, so a
//   pop must return the marker of slot (read index & (capacity - 1)) — a read of the header, the result
//   block, the padding or memory past the mapping cannot produce it (and past the mapping faults);
// - try_pop follows its contract exactly (a model of ~10 lines runs beside it): it refreshes the write
//   index only when its cache says empty, refuses write - read > capacity as corruption, and publishes
//   its read index;
// - size() never exceeds the capacity; try_result always returns a NUL-terminated message and at most
//   kMaxSteppers steppers, whatever the other side wrote.

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_util.hpp"
#include "ipc/ipc.hpp"

namespace {

namespace ipc = rtstep::ipc;

// Offsets of the ABI (ipc.hpp, segment_ring.cpp): header fields, the two index lines, the result block.
constexpr std::size_t kMagicAt = 0, kAbiAt = 8, kCapacityAt = 12, kRecordSizeAt = 16, kHeaderSizeAt = 20;
constexpr std::size_t kIdentityAt = 24, kIdentityEnd = 56;  // creator pid, reserved, start ticks, boot id
constexpr std::size_t kWriteIndexAt = 64, kReadIndexAt = 128, kResultReadyAt = 264, kResultAt = 320;
constexpr uint32_t kMaxCapacity = 1U << 24;
constexpr std::size_t kMaxObjectBytes = 1U << 16;  // keeps a run cheap (a few pages to fill)
constexpr unsigned kMaxCapacityLog2 = 10;       // rings up to 1024 records (40 KiB) are built

const std::string& object_name() {
  static const std::string name = "/rtstep-fuzz-ring-" + std::to_string(getpid());
  static const bool registered = (std::atexit([] { shm_unlink(object_name().c_str()); }), true);
  (void)registered;
  return name;
}

std::size_t object_bytes(uint32_t capacity) { return ipc::kRingRecordsOffset + std::size_t{capacity} * sizeof(ipc::Record); }

// The record a slot holds until a push replaces it: a marker no other byte pattern of the mapping has.
ipc::Record marker(uint64_t slot) {
  ipc::StepSegment s;
  s.first_time_ns = 0x5EED'0000'0000'0000LL + static_cast<int64_t>(slot);
  s.interval_ns = static_cast<int64_t>(~slot);
  s.count = 0xC0FFEE;
  ipc::Record r = ipc::Record::of(s);
  r.line = 0xA11CE;
  return r;
}

bool same_record(const ipc::Record& a, const ipc::Record& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

template <typename T>
void store(unsigned char* base, std::size_t at, T value) {
  std::memcpy(base + at, &value, sizeof value);
}

struct Header {
  uint64_t magic = ipc::kRingMagic;
  uint32_t abi = ipc::kRingAbiVersion;
  uint32_t capacity = 0;
  uint32_t record_size = sizeof(ipc::Record);
  uint32_t header_size = static_cast<uint32_t>(ipc::kRingRecordsOffset);
  bool valid_for(std::size_t bytes) const {
    const bool power = capacity != 0 && (capacity & (capacity - 1)) == 0;
    return magic == ipc::kRingMagic && abi == ipc::kRingAbiVersion && record_size == sizeof(ipc::Record) &&
           header_size == ipc::kRingRecordsOffset && power && capacity >= 2 && capacity <= kMaxCapacity &&
           bytes == object_bytes(capacity);
  }
};

// Mostly-valid fields, each of which the fuzzer may replace, so that both acceptance and every refusal
// are reached.
Header choose_header(FuzzedDataProvider& in) {
  Header h;
  h.capacity = 1U << in.ConsumeIntegralInRange<unsigned>(0, kMaxCapacityLog2);
  if (in.ConsumeBool()) h.magic = in.ConsumeIntegral<uint64_t>();
  if (in.ConsumeBool()) h.abi = in.ConsumeIntegral<uint32_t>();
  if (in.ConsumeBool()) h.capacity = in.ConsumeIntegral<uint32_t>();
  if (in.ConsumeBool()) h.record_size = in.ConsumeIntegral<uint32_t>();
  if (in.ConsumeBool()) h.header_size = in.ConsumeIntegral<uint32_t>();
  return h;
}

// The consumer as ipc.hpp specifies it, to run beside the real one.
struct ConsumerModel {
  uint64_t read = 0, cached_write = 0;
  uint32_t capacity = 0;
  bool corrupted = false;
  // Returns the slot to be read, or -1 when the pop must fail.
  int64_t pop(uint64_t shared_write) {
    if (cached_write == read) {
      const uint64_t queued = shared_write - read;
      if (queued > capacity) {
        corrupted = true;
        return -1;
      }
      if (queued == 0) return -1;
      cached_write = shared_write;
    }
    return static_cast<int64_t>(read++ & (capacity - 1));
  }
};

// Builds the object as the fuzzer says: SegmentRing::create makes a real ring (0600, this process as its
// creator), then the fuzzer's size, header fields, indices and result block overwrite it. `identity_kept`
// says whether the creator fields still name this (live) process. The returned owner unlinks the object.
ipc::SegmentRing build_object(FuzzedDataProvider& in, Header& h, std::size_t& bytes, bool& identity_kept,
                              uint64_t& read_index) {
  h = choose_header(in);
  const uint32_t created_capacity = 1U << in.ConsumeIntegralInRange<unsigned>(1, kMaxCapacityLog2);
  auto owner = ipc::SegmentRing::create(object_name(), created_capacity);
  FUZZ_CHECK(owner.ok(), "create failed: " + owner.error().message);
  bytes = object_bytes(h.capacity <= (1U << kMaxCapacityLog2) ? h.capacity : created_capacity);
  if (in.ConsumeBool()) bytes = in.ConsumeIntegralInRange<std::size_t>(0, kMaxObjectBytes);
  const uint64_t write_index = in.ConsumeIntegral<uint64_t>();
  read_index = in.ConsumeBool() ? write_index - in.ConsumeIntegralInRange<uint64_t>(0, 3 * uint64_t{h.capacity})
                                : in.ConsumeIntegral<uint64_t>();
  identity_kept = !in.ConsumeBool();

  const int fd = shm_open(object_name().c_str(), O_RDWR, 0);
  FUZZ_CHECK(fd >= 0, "shm_open of the fuzz object failed");
  FUZZ_CHECK(ftruncate(fd, static_cast<off_t>(bytes)) == 0, "ftruncate failed");
  if (bytes >= ipc::kRingRecordsOffset) {
    void* map = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    FUZZ_CHECK(map != MAP_FAILED, "mmap of the fuzz object failed");
    auto* base = static_cast<unsigned char*>(map);
    store(base, kMagicAt, h.magic);
    store(base, kAbiAt, h.abi);
    store(base, kCapacityAt, h.capacity);
    store(base, kRecordSizeAt, h.record_size);
    store(base, kHeaderSizeAt, h.header_size);
    if (!identity_kept) {  // pid, start time and boot id of someone else, or of no one
      const std::vector<uint8_t> who = in.ConsumeBytes<uint8_t>(kIdentityEnd - kIdentityAt);
      std::memset(base + kIdentityAt, 0, kIdentityEnd - kIdentityAt);
      if (!who.empty()) std::memcpy(base + kIdentityAt, who.data(), who.size());
    }
    store(base, kWriteIndexAt, write_index);
    store(base, kReadIndexAt, read_index);
    // The result block as a hostile executor would leave it, for the producer's try_result.
    const std::vector<uint8_t> result = in.ConsumeBytes<uint8_t>(sizeof(ipc::ExecutorResult));
    if (!result.empty()) std::memcpy(base + kResultAt, result.data(), result.size());
    store(base, kResultReadyAt, uint32_t{in.ConsumeBool() ? 1U : 0U});
    const std::size_t slots = (bytes - ipc::kRingRecordsOffset) / sizeof(ipc::Record);
    for (std::size_t i = 0; i < slots; ++i) {
      const ipc::Record m = marker(i);
      std::memcpy(base + ipc::kRingRecordsOffset + i * sizeof(ipc::Record), &m, sizeof m);
    }
    munmap(map, bytes);
  }
  close(fd);
  return std::move(owner.value());
}

void check_result(const ipc::SegmentRing& ring) {
  ipc::ExecutorResult result;
  if (!ring.try_result(result)) return;
  FUZZ_CHECK(std::memchr(result.message, '\0', sizeof result.message) != nullptr, "result message not terminated");
  FUZZ_CHECK(result.stepper_count <= ipc::kMaxSteppers, "result stepper count not clamped");
}

// The operations on an attached ring, until the input runs out.
void exercise(FuzzedDataProvider& in, ipc::SegmentRing& consumer, uint64_t read_index) {
  const uint32_t capacity = consumer.capacity();
  auto producer = ipc::SegmentRing::attach(object_name());
  FUZZ_CHECK(producer.ok(), "a second attach of an accepted ring failed");
  // The shared write index, as the mapping holds it (a hostile producer scribbles it; pushes advance it).
  void* map = nullptr;
  {
    const int fd = shm_open(object_name().c_str(), O_RDWR, 0);
    map = mmap(nullptr, object_bytes(capacity), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    FUZZ_CHECK(map != MAP_FAILED, "mmap for scribbling failed");
  }
  auto* base = static_cast<unsigned char*>(map);
  auto shared_write = [&] {
    uint64_t w;
    std::memcpy(&w, base + kWriteIndexAt, sizeof w);
    return w;
  };
  std::vector<ipc::Record> expected(capacity);
  for (uint32_t i = 0; i < capacity; ++i) expected[i] = marker(i);
  ConsumerModel model{read_index, read_index, capacity, false};

  for (int op = 0; op < 64 && in.remaining_bytes() > 0; ++op) {
    switch (in.ConsumeIntegralInRange<int>(0, 5)) {
      case 0:
      case 1: {  // the executor pops
        ipc::Record got;
        const int64_t slot = model.pop(shared_write());
        const bool popped = consumer.try_pop(got);
        FUZZ_CHECK(popped == (slot >= 0), "try_pop returned " + std::to_string(popped) + ", the contract says " +
                                              std::to_string(slot >= 0));
        FUZZ_CHECK(consumer.corrupted() == model.corrupted, "corrupted() differs from the contract");
        if (popped) {
          FUZZ_CHECK(same_record(got, expected[static_cast<std::size_t>(slot)]),
                     "popped a record that is not slot " + std::to_string(slot) + "'s: read outside the ring?");
          uint64_t published;
          std::memcpy(&published, base + kReadIndexAt, sizeof published);
          FUZZ_CHECK(published == model.read, "the consumer did not publish its read index");
        }
        break;
      }
      case 2:  // a hostile producer writes any write index
        store(base, kWriteIndexAt, in.ConsumeIntegral<uint64_t>());
        break;
      case 3:  // or one near the read index
        store(base, kWriteIndexAt, model.read + in.ConsumeIntegralInRange<uint64_t>(0, 2 * uint64_t{capacity}));
        break;
      case 4: {  // an honest push through the producer's own attachment
        ipc::StepSegment s;
        s.first_time_ns = in.ConsumeIntegral<int64_t>();
        s.count = in.ConsumeIntegral<uint32_t>();
        const ipc::Record r = ipc::Record::of(s);
        if (producer.value().try_push(r)) {
          // It wrote at its own index (taken at attach, then counted) and published that index + 1.
          expected[(shared_write() - 1) & (capacity - 1)] = r;
        }
        break;
      }
      case 5:
        check_result(producer.value());
        check_result(consumer);
        break;
    }
    FUZZ_CHECK(consumer.size() <= capacity && producer.value().size() <= capacity, "size() above capacity");
  }
  munmap(map, object_bytes(capacity));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  Header header;
  std::size_t bytes = 0;
  bool identity_kept = true;
  uint64_t read_index = 0;
  const ipc::SegmentRing owner = build_object(in, header, bytes, identity_kept, read_index);

  auto ring = ipc::SegmentRing::attach(object_name());
  const std::string outcome = ring.ok() ? "accepted" : "refused (" + ring.error().message + ")";
  const std::string what = " an object of " + std::to_string(bytes) + " bytes, capacity " +
                           std::to_string(header.capacity) + (identity_kept ? "" : ", creator rewritten");
  // A creator rewritten may still name a live process by chance (this one): then either outcome is right.
  if (identity_kept || !header.valid_for(bytes)) {
    FUZZ_CHECK(ring.ok() == header.valid_for(bytes), "attach " + outcome + what);
  } else if (!ring.ok()) {
    FUZZ_CHECK(ring.error().message.find("stale") != std::string::npos, "attach " + outcome + what);
  }
  if (!ring.ok()) {
    FUZZ_CHECK(ring.error().message.find(object_name()) != std::string::npos, ring.error().message);
    return 0;
  }
  FUZZ_CHECK(ring.value().capacity() == header.capacity, "capacity differs from the header");
  exercise(in, ring.value(), read_index);
  return 0;
}

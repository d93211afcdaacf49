// SegmentRing: the SPSC ring of Records in a named POSIX shared-memory object (see ipc.hpp).
//
// The mapping is one block: Header | ProducerLine | ConsumerLine | HostLine | ExecutorLine |
// ExecutorResult | Record[capacity], the first five on their own 64-byte lines so the producer and the
// consumer never write the same cache line. Each side keeps its own index and a cached copy of the other
// side's index in process-private memory and re-reads the shared one only when that copy says full
// (producer) or empty (consumer), so in streaming both sides mostly touch only their own line. Indices run free (never wrap in practice: 2^64 records) and slot = index & mask.
//
// Trust: the consumer (the executor) trusts nothing it reads from the mapping except through its own,
// validated capacity: every slot index is masked with it, and an index pair with write - read > capacity
// is reported as corruption instead of being used.

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ipc/ipc.hpp"
#include "ipc/process_identity.hpp"
#include "util/clock.hpp"

namespace rtstep::ipc {

struct alignas(kCacheLine) RingHeader {
  uint64_t magic;        // kRingMagic, written last (release) by the creator
  uint32_t abi_version;  // kRingAbiVersion
  uint32_t capacity;     // records, power of two
  uint32_t record_size;  // sizeof(Record)
  uint32_t header_size;  // offset of the first record
  // The creator, so that a ring left over by a crashed process is told apart from a live one.
  int32_t creator_pid;
  uint32_t reserved;
  uint64_t creator_start_ticks;      // /proc/<pid>/stat start time
  uint8_t creator_boot_id[16];       // /proc/sys/kernel/random/boot_id
};

// Written by the producer only. (Each side's cached copy of the other's index is private to its process.)
struct alignas(kCacheLine) ProducerLine {
  std::atomic<uint64_t> write;  // next index to fill; release-stored after the slot is written
};

// Written by the consumer only.
struct alignas(kCacheLine) ConsumerLine {
  std::atomic<uint64_t> read;  // next index to take; release-stored after the slot is copied out
};

// Written by the host (the producer) only.
struct alignas(kCacheLine) HostLine {
  std::atomic<uint64_t> beats;    // heartbeat counter
  std::atomic<int64_t> horizon;   // every record with time <= horizon has been pushed
  std::atomic<uint32_t> stop;     // StopCause
  std::atomic<uint32_t> done;     // 1: the host read the result and detached
  std::atomic<int32_t> host_pid;  // the host that claimed the ring (0: none); set once, by compare-exchange
};

// Written by the executor (the consumer) only.
struct alignas(kCacheLine) ExecutorLine {
  std::atomic<uint64_t> beats;         // heartbeat counter
  std::atomic<uint32_t> result_ready;  // 1: `result` is complete (release)
  std::atomic<uint32_t> started;       // 1: the executor serves records on the real clock, 2: on the virtual one
};

struct RingLayout {
  RingHeader header;
  ProducerLine producer;
  ConsumerLine consumer;
  HostLine host;
  ExecutorLine executor;
  alignas(kCacheLine) ExecutorResult result;
  // Written by the executor only: the latest homing report, then its sequence number (release).
  struct {
    std::atomic<uint32_t> sequence;
    uint32_t reserved;
    HomingReport report;
  } homing;
  // Record records[capacity] follows at kRecordsOffset.
};

namespace {

static_assert(std::atomic<uint64_t>::is_always_lock_free, "the ring's indices must be address-free atomics");
static_assert(sizeof(RingHeader) == kCacheLine);
static_assert(sizeof(ProducerLine) == kCacheLine && sizeof(ConsumerLine) == kCacheLine);
static_assert(offsetof(RingLayout, producer) == 64);
static_assert(offsetof(RingLayout, consumer) == 128);
static_assert(offsetof(RingLayout, host) == 192 && offsetof(RingLayout, executor) == 256);
static_assert(offsetof(RingLayout, result) == 320 && sizeof(ExecutorResult) == 976);
static_assert(std::atomic<int64_t>::is_always_lock_free && std::atomic<uint32_t>::is_always_lock_free);
static_assert(offsetof(RingLayout, homing) == 1296, "the homing report follows the result");
constexpr std::size_t kRecordsOffset = 1408;
static_assert(sizeof(RingLayout) == kRecordsOffset);
static_assert(kRecordsOffset % alignof(Record) == 0);

constexpr uint32_t kMinCapacity = 2;
constexpr uint32_t kMaxCapacity = 1U << 24;

constexpr bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

std::size_t object_bytes(uint32_t capacity) { return kRecordsOffset + std::size_t{capacity} * sizeof(Record); }

Error sys_error(const std::string& name, const char* call, int err) {
  return Error{"shared memory " + name + ": " + call + " failed: " + std::strerror(err)};
}

Error field_error(const std::string& name, const char* field, uint64_t found, uint64_t expected) {
  return Error{"shared memory " + name + ": " + field + " is " + std::to_string(found) + ", expected " +
               std::to_string(expected) + " (not an rtstep ring of this version?)"};
}

// POSIX leaves names with inner slashes implementation-defined; insist on the portable form.
Status check_name(const std::string& name) {
  if (name.size() < 2 || name[0] != '/' || name.find('/', 1) != std::string::npos || name.size() > 255) {
    return Error{"shared memory name '" + name + "' must be '/' followed by 1-254 characters without '/'"};
  }
  return Ok{};
}

RingLayout& layout(void* base) noexcept { return *static_cast<RingLayout*>(base); }
const RingLayout& layout(const void* base) noexcept { return *static_cast<const RingLayout*>(base); }

Record* records_of(void* base) noexcept {
  return reinterpret_cast<Record*>(static_cast<unsigned char*>(base) + kRecordsOffset);
}


// The object must belong to this user and be private to it: a ring another user can write could feed the
// executor motion, and one owned by another user is not ours to use or to replace.
Status check_owner_and_mode(const std::string& name, int fd) {
  struct stat info {};
  if (fstat(fd, &info) != 0) return sys_error(name, "fstat", errno);
  if (info.st_uid != geteuid()) {
    return Error{"shared memory " + name + ": owned by uid " + std::to_string(info.st_uid) +
                 ", not by this user (uid " + std::to_string(geteuid()) + "): refusing to use it"};
  }
  if ((info.st_mode & 07777) != 0600) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return Error{"shared memory " + name + ": mode " + mode +
                 " is not 0600 (other users could read or write it): refusing to use it"};
  }
  return Ok{};
}

ProcessIdentity creator_of(const RingHeader& h) {
  ProcessIdentity who;
  who.pid = h.creator_pid;
  who.start_ticks = h.creator_start_ticks;
  std::memcpy(who.boot_id.data(), h.creator_boot_id, sizeof h.creator_boot_id);
  return who;
}

std::string remove_hint(const std::string& name) { return "; if no rtstep uses it, remove /dev/shm" + name; }

// `name` exists although we are about to create it. Removes it when it is an rtstep ring of this version,
// ours, 0600, whose creator is no longer running (a crash left it); anything else is refused untouched.
// On success `note` says what was replaced.
Status remove_stale(const std::string& name, std::string& note) {
  const int fd = shm_open(name.c_str(), O_RDONLY, 0);
  if (fd < 0) {
    if (errno == ENOENT) return Ok{};  // gone meanwhile
    return sys_error(name, "shm_open (existing object)", errno);
  }
  const auto refuse = [&](const std::string& why) {
    close(fd);
    return Error{"shared memory " + name + ": already exists and " + why};
  };
  if (auto st = check_owner_and_mode(name, fd); !st) {
    close(fd);
    return Error{st.error().message + " (it already exists; not replaced)"};
  }
  struct stat info {};
  if (fstat(fd, &info) != 0 || static_cast<std::size_t>(info.st_size) < sizeof(RingHeader)) {
    return refuse("is not an rtstep ring (" + std::to_string(info.st_size) + " bytes)" + remove_hint(name));
  }
  void* base = mmap(nullptr, sizeof(RingHeader), PROT_READ, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) return refuse(std::string("cannot be mapped: ") + std::strerror(errno));
  RingHeader h{};
  std::memcpy(&h, base, sizeof h);
  munmap(base, sizeof(RingHeader));
  if (h.magic != kRingMagic) return refuse("is not an rtstep ring (wrong magic)" + remove_hint(name));
  if (h.abi_version != kRingAbiVersion) {
    return refuse("is a ring of another rtstep version (ABI " + std::to_string(h.abi_version) + ")" +
                  remove_hint(name));
  }
  switch (liveness(creator_of(h))) {
    case Liveness::kAlive:
      return refuse("is in use by rtstep pid " + std::to_string(h.creator_pid) + " (" + std::strerror(EEXIST) +
                    "): stop that process first or choose another name");
    case Liveness::kUnknown:
      return refuse("its creator, pid " + std::to_string(h.creator_pid) + ", may still be running" + remove_hint(name));
    case Liveness::kGone:
      break;
  }
  close(fd);
  if (shm_unlink(name.c_str()) != 0 && errno != ENOENT) return sys_error(name, "shm_unlink (stale ring)", errno);
  note = "replaced a stale ring left by pid " + std::to_string(h.creator_pid) + ", which is no longer running";
  return Ok{};
}

}  // namespace

const std::size_t kRingRecordsOffset = kRecordsOffset;

std::string ring_object_name(const std::string& given) {
  return !given.empty() && given.front() == '/' ? given : "/" + given;
}

std::vector<std::string> remove_stale_rings(const std::string& prefix) {
  std::vector<std::string> notes;
  DIR* dir = opendir("/dev/shm");
  if (dir == nullptr) return notes;
  std::vector<std::string> names;
  while (const dirent* entry = readdir(dir)) {
    const std::string file = entry->d_name;
    if (file.rfind(prefix, 0) == 0) names.push_back("/" + file);
  }
  closedir(dir);
  for (const std::string& name : names) {
    std::string note;
    // Live rings, other users' objects and anything that is not a ring of this version stay.
    if (remove_stale(name, note).ok() && !note.empty()) notes.push_back(name + ": " + note);
  }
  return notes;
}

Result<SegmentRing> SegmentRing::create(const std::string& name, uint32_t capacity) {
  if (auto st = check_name(name); !st) return st.error();
  if (!is_power_of_two(capacity) || capacity < kMinCapacity || capacity > kMaxCapacity) {
    return Error{"shared memory " + name + ": capacity " + std::to_string(capacity) +
                 " must be a power of two in [2, 2^24]"};
  }
  std::string note;
  int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  if (fd < 0 && errno == EEXIST) {
    // Left over by a crash, or in use: remove_stale tells which and only removes the former.
    if (auto st = remove_stale(name, note); !st) return st.error();
    fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  }
  if (fd < 0) return sys_error(name, "shm_open(O_CREAT|O_EXCL)", errno);
  // From here on, a failure must both close and unlink what we created.
  auto fail = [&](const char* call, int err) {
    close(fd);
    shm_unlink(name.c_str());
    return sys_error(name, call, err);
  };
  // The umask may have removed bits but never adds any; make the mode exactly 0600 regardless.
  if (fchmod(fd, 0600) != 0) return fail("fchmod", errno);
  const std::size_t bytes = object_bytes(capacity);
  if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) return fail("ftruncate", errno);
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) return fail("mmap", errno);
  close(fd);  // the mapping keeps the object alive

  auto* shared = new (base) RingLayout{};
  shared->header.abi_version = kRingAbiVersion;
  shared->header.capacity = capacity;
  shared->header.record_size = sizeof(Record);
  shared->header.header_size = kRecordsOffset;
  const ProcessIdentity me = current_process();
  shared->header.creator_pid = me.pid;
  shared->header.creator_start_ticks = me.start_ticks;
  std::memcpy(shared->header.creator_boot_id, me.boot_id.data(), sizeof shared->header.creator_boot_id);
  shared->host.horizon.store(INT64_MIN, std::memory_order_relaxed);
  // Magic last: an attacher that sees it also sees the fields above.
  std::atomic_ref<uint64_t>(shared->header.magic).store(kRingMagic, std::memory_order_release);
  SegmentRing ring(name, base, bytes, capacity, /*owner=*/true);
  ring.replaced_ = std::move(note);
  return ring;
}

Result<SegmentRing> SegmentRing::attach(const std::string& name) {
  bool not_ready = false;
  return attach_or_refuse(name, not_ready);
}

Result<SegmentRing> SegmentRing::attach_when_ready(const std::string& name, int64_t wait_ns) {
  constexpr auto kRetryPeriod = std::chrono::milliseconds(5);
  const int64_t give_up_ns = monotonic_ns() + std::max<int64_t>(wait_ns, 0);
  for (;;) {
    bool not_ready = false;
    auto ring = attach_or_refuse(name, not_ready);
    if (ring || !not_ready || monotonic_ns() >= give_up_ns) return ring;
    std::this_thread::sleep_for(kRetryPeriod);
  }
}

Result<SegmentRing> SegmentRing::attach_or_refuse(const std::string& name, bool& not_ready) {
  if (auto st = check_name(name); !st) return st.error();
  const int fd = shm_open(name.c_str(), O_RDWR, 0);
  if (fd < 0) {
    not_ready = errno == ENOENT;
    return sys_error(name, "shm_open", errno);
  }
  if (auto st = check_owner_and_mode(name, fd); !st) {
    close(fd);
    return st.error();
  }
  struct stat info {};
  if (fstat(fd, &info) != 0) {
    const int err = errno;
    close(fd);
    return sys_error(name, "fstat", err);
  }
  const auto bytes = static_cast<std::size_t>(info.st_size);
  if (bytes < kRecordsOffset) {
    close(fd);
    not_ready = bytes == 0;  // create() sizes the object right after making it
    return field_error(name, "object size", bytes, kRecordsOffset);
  }
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int mmap_errno = errno;
  close(fd);
  if (base == MAP_FAILED) return sys_error(name, "mmap", mmap_errno);

  // The SegmentRing owns the mapping from here, so every refusal below unmaps it.
  SegmentRing ring(name, base, bytes, 0, /*owner=*/false);
  const RingHeader& h = static_cast<RingLayout*>(base)->header;
  const uint64_t magic = std::atomic_ref<const uint64_t>(h.magic).load(std::memory_order_acquire);
  if (magic != kRingMagic) {
    not_ready = magic == 0;  // create() writes the magic last
    return field_error(name, "magic", magic, kRingMagic);
  }
  if (h.abi_version != kRingAbiVersion) return field_error(name, "ABI version", h.abi_version, kRingAbiVersion);
  if (h.record_size != sizeof(Record)) return field_error(name, "record size", h.record_size, sizeof(Record));
  if (h.header_size != kRecordsOffset) return field_error(name, "header size", h.header_size, kRecordsOffset);
  if (!is_power_of_two(h.capacity) || h.capacity < kMinCapacity || h.capacity > kMaxCapacity) {
    return Error{"shared memory " + name + ": capacity is " + std::to_string(h.capacity) +
                 ", expected a power of two in [2, 2^24]"};
  }
  if (bytes != object_bytes(h.capacity)) return field_error(name, "object size", bytes, object_bytes(h.capacity));
  if (const Liveness alive = liveness(creator_of(h)); alive != Liveness::kAlive) {
    return Error{"shared memory " + name + ": stale: its creator, pid " + std::to_string(h.creator_pid) +
                 (alive == Liveness::kGone ? ", is no longer running (left over from a crashed run)"
                                           : ", cannot be confirmed to be running") +
                 "; not attaching"};
  }
  ring.capacity_ = h.capacity;
  // Either side may attach; start from the indices as they are (a fresh ring: 0 and 0).
  ring.write_ = layout(base).producer.write.load(std::memory_order_acquire);
  ring.read_ = ring.cached_read_ = layout(base).consumer.read.load(std::memory_order_acquire);
  ring.cached_write_ = ring.read_;  // "empty": the first pop refreshes and checks the write index
  return ring;
}

SegmentRing::SegmentRing(std::string name, void* base, std::size_t bytes, uint32_t capacity, bool owner) noexcept
    : name_(std::move(name)), base_(base), bytes_(bytes), capacity_(capacity), owner_(owner) {}

SegmentRing::SegmentRing(SegmentRing&& other) noexcept
    : name_(std::move(other.name_)),
      base_(std::exchange(other.base_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      owner_(std::exchange(other.owner_, false)),
      corrupted_(std::exchange(other.corrupted_, false)),
      write_(other.write_), cached_read_(other.cached_read_), read_(other.read_), cached_write_(other.cached_write_),
      high_water_(other.high_water_),
      replaced_(std::move(other.replaced_)) {}

SegmentRing& SegmentRing::operator=(SegmentRing&& other) noexcept {
  if (this != &other) {
    release();
    name_ = std::move(other.name_);
    base_ = std::exchange(other.base_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    owner_ = std::exchange(other.owner_, false);
    corrupted_ = std::exchange(other.corrupted_, false);
    write_ = other.write_;
    cached_read_ = other.cached_read_;
    read_ = other.read_;
    cached_write_ = other.cached_write_;
    high_water_ = other.high_water_;
    replaced_ = std::move(other.replaced_);
  }
  return *this;
}

SegmentRing::~SegmentRing() { release(); }

void SegmentRing::release() noexcept {
  if (base_ != nullptr) munmap(base_, bytes_);
  if (owner_) shm_unlink(name_.c_str());
  base_ = nullptr;
  owner_ = false;
}

bool SegmentRing::try_push(const Record& record) noexcept {
  if (write_ - cached_read_ >= capacity_) {
    // Looks full by the cache: refresh it from the consumer's line.
    cached_read_ = layout(base_).consumer.read.load(std::memory_order_acquire);
    const uint64_t used = write_ - cached_read_;
    if (used > capacity_) {
      corrupted_ = true;
      return false;
    }
    if (used == capacity_) return false;
  }
  records_of(base_)[write_ & (capacity_ - 1)] = record;
  layout(base_).producer.write.store(++write_, std::memory_order_release);
  return true;
}

bool SegmentRing::try_pop(Record& out) noexcept {
  if (cached_write_ == read_) {
    // Looks empty by the cache: refresh it from the producer's line, and refuse an impossible value
    // before keeping it (a hostile producer cannot make us read slots that were never written).
    const uint64_t write = layout(base_).producer.write.load(std::memory_order_acquire);
    const uint64_t queued = write - read_;
    if (queued > capacity_) {
      corrupted_ = true;
      return false;
    }
    if (queued == 0) return false;
    cached_write_ = write;
    if (queued > high_water_) high_water_ = queued;
  }
  out = records_of(base_)[read_ & (capacity_ - 1)];
  layout(base_).consumer.read.store(++read_, std::memory_order_release);
  return true;
}

uint64_t SegmentRing::size() const noexcept {
  const RingLayout* shared = &layout(static_cast<const void*>(base_));
  const uint64_t read = shared->consumer.read.load(std::memory_order_acquire);
  const uint64_t write = shared->producer.write.load(std::memory_order_acquire);
  const uint64_t used = write - read;
  // Seen from the producer, read may have advanced after we loaded it (used "negative"): clamp.
  return used > capacity_ ? (write < read ? 0 : capacity_) : used;
}

void SegmentRing::beat_host() noexcept {
  auto& beats = layout(base_).host.beats;
  beats.store(beats.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void SegmentRing::set_horizon(int64_t t_ns) noexcept {
  auto& horizon = layout(base_).host.horizon;
  if (t_ns > horizon.load(std::memory_order_relaxed)) horizon.store(t_ns, std::memory_order_release);
}

void SegmentRing::request_stop(StopCause cause) noexcept {
  uint32_t none = 0;
  layout(base_).host.stop.compare_exchange_strong(none, static_cast<uint32_t>(cause), std::memory_order_release);
}

int32_t SegmentRing::try_claim_host(int32_t pid) noexcept {
  int32_t none = 0;
  if (layout(base_).host.host_pid.compare_exchange_strong(none, pid, std::memory_order_acq_rel)) return pid;
  return none;  // the pid that claimed it first
}

int32_t SegmentRing::host_pid() const noexcept { return layout(base_).host.host_pid.load(std::memory_order_acquire); }

int32_t SegmentRing::creator_pid() const noexcept { return layout(base_).header.creator_pid; }

void SegmentRing::mark_host_done() noexcept { layout(base_).host.done.store(1, std::memory_order_release); }

void SegmentRing::beat_executor() noexcept {
  auto& beats = layout(base_).executor.beats;
  beats.store(beats.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void SegmentRing::mark_executor_started(bool virtual_clock) noexcept {
  layout(base_).executor.started.store(virtual_clock ? 2 : 1, std::memory_order_release);
}

bool SegmentRing::executor_virtual_clock() const noexcept {
  return layout(base_).executor.started.load(std::memory_order_acquire) == 2;
}

bool SegmentRing::executor_started() const noexcept {
  return layout(base_).executor.started.load(std::memory_order_acquire) != 0;
}

void SegmentRing::publish_result(const ExecutorResult& result) noexcept {
  layout(base_).result = result;
  layout(base_).executor.result_ready.store(1, std::memory_order_release);
}

uint64_t SegmentRing::host_beats() const noexcept { return layout(base_).host.beats.load(std::memory_order_acquire); }

uint64_t SegmentRing::executor_beats() const noexcept {
  return layout(base_).executor.beats.load(std::memory_order_acquire);
}

int64_t SegmentRing::horizon() const noexcept { return layout(base_).host.horizon.load(std::memory_order_acquire); }

StopCause SegmentRing::stop_requested() const noexcept {
  return static_cast<StopCause>(layout(base_).host.stop.load(std::memory_order_acquire));
}

bool SegmentRing::host_done() const noexcept { return layout(base_).host.done.load(std::memory_order_acquire) != 0; }

void SegmentRing::publish_homing(const HomingReport& report) noexcept {
  auto& homing = layout(base_).homing;
  homing.report = report;
  homing.sequence.store(homing.sequence.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

uint32_t SegmentRing::homing_sequence() const noexcept {
  return layout(base_).homing.sequence.load(std::memory_order_acquire);
}

HomingReport SegmentRing::homing_report() const noexcept {
  HomingReport out = layout(base_).homing.report;
  // The other process wrote it: never trust its count.
  if (out.count > kMaxHomingSteppers) out.count = kMaxHomingSteppers;
  return out;
}

bool SegmentRing::try_result(ExecutorResult& out) const noexcept {
  if (layout(base_).executor.result_ready.load(std::memory_order_acquire) == 0) return false;
  out = layout(base_).result;
  // The other process wrote it: never trust its counts or its terminator.
  out.message[sizeof out.message - 1] = '\0';
  if (out.stepper_count > kMaxSteppers) out.stepper_count = kMaxSteppers;
  return true;
}

}  // namespace rtstep::ipc

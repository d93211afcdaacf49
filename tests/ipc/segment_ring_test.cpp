// SegmentRing: order, capacity, wrap-around, header validation, corruption detection, permissions,
// and streaming between two threads and two processes.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "ipc/ipc.hpp"

namespace rtstep::ipc {
namespace {

std::string unique_name() {
  static std::atomic<int> counter{0};
  return "/rtstep-test-" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

bool shm_exists(const std::string& name) {
  struct stat st {};
  return stat(("/dev/shm" + name).c_str(), &st) == 0;
}

Record segment_record(int64_t t, uint32_t count = 1) {
  StepSegment s;
  s.first_time_ns = t;
  s.interval_ns = 10'000;
  s.count = count;
  return Record::of(s);
}

// A second, raw mapping of a ring's object, to corrupt what the ring API never would.
class RawMapping {
 public:
  explicit RawMapping(const std::string& name) {
    const int fd = shm_open(name.c_str(), O_RDWR, 0);
    EXPECT_GE(fd, 0);
    struct stat st {};
    fstat(fd, &st);
    bytes_ = static_cast<std::size_t>(st.st_size);
    base_ = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    EXPECT_NE(base_, MAP_FAILED);
  }
  ~RawMapping() { munmap(base_, bytes_); }
  template <typename T>
  T get(std::size_t offset) const {
    T v;
    std::memcpy(&v, static_cast<const char*>(base_) + offset, sizeof v);
    return v;
  }
  template <typename T>
  void set(std::size_t offset, T v) {
    std::memcpy(static_cast<char*>(base_) + offset, &v, sizeof v);
  }

 private:
  void* base_ = nullptr;
  std::size_t bytes_ = 0;
};

// Offsets fixed by the ABI (segment_ring.cpp static_asserts them).
constexpr std::size_t kMagicAt = 0, kAbiAt = 8, kCapacityAt = 12, kRecordSizeAt = 16;
constexpr std::size_t kWriteAt = 64, kReadAt = 128;

TEST(SegmentRing, PushPopKeepsOrder) {
  auto ring = SegmentRing::create(unique_name(), 8);
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(ring->try_push(segment_record(i * 100, static_cast<uint32_t>(i + 1))));
  EXPECT_EQ(ring->size(), 5U);
  for (int i = 0; i < 5; ++i) {
    Record r;
    ASSERT_TRUE(ring->try_pop(r));
    EXPECT_EQ(r.kind, RecordKind::kSegment);
    EXPECT_EQ(r.segment.first_time_ns, i * 100);
    EXPECT_EQ(r.segment.count, static_cast<uint32_t>(i + 1));
  }
  EXPECT_EQ(ring->size(), 0U);
}

TEST(SegmentRing, FullAndEmpty) {
  auto ring = SegmentRing::create(unique_name(), 4);
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  Record r;
  EXPECT_FALSE(ring->try_pop(r));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(ring->try_push(segment_record(i)));
  EXPECT_FALSE(ring->try_push(segment_record(99))) << "a full ring must refuse, never overwrite";
  EXPECT_EQ(ring->size(), 4U);
  ASSERT_TRUE(ring->try_pop(r));
  EXPECT_EQ(r.segment.first_time_ns, 0);
  EXPECT_TRUE(ring->try_push(segment_record(4)));
  for (int i = 1; i <= 4; ++i) {
    ASSERT_TRUE(ring->try_pop(r));
    EXPECT_EQ(r.segment.first_time_ns, i);
  }
  EXPECT_FALSE(ring->try_pop(r));
  EXPECT_FALSE(ring->corrupted());
}

TEST(SegmentRing, WrapsAroundManyTimes) {
  auto ring = SegmentRing::create(unique_name(), 8);
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  int64_t next_in = 0, next_out = 0;
  for (int round = 0; round < 10'000; ++round) {
    const int burst = 1 + round % 8;
    for (int i = 0; i < burst; ++i) ASSERT_TRUE(ring->try_push(segment_record(next_in++)));
    Record r;
    for (int i = 0; i < burst; ++i) {
      ASSERT_TRUE(ring->try_pop(r));
      ASSERT_EQ(r.segment.first_time_ns, next_out++);
    }
  }
  EXPECT_EQ(next_out, next_in);
}

TEST(SegmentRing, CreateValidatesCapacityAndName) {
  for (uint32_t bad : {0U, 1U, 3U, 1000U, 1U << 25}) {
    auto ring = SegmentRing::create(unique_name(), bad);
    ASSERT_FALSE(ring.ok()) << bad;
    EXPECT_NE(ring.error().message.find("capacity " + std::to_string(bad)), std::string::npos) << ring.error().message;
  }
  EXPECT_FALSE(SegmentRing::create("no-slash", 8).ok());
  EXPECT_FALSE(SegmentRing::create("/a/b", 8).ok());
  EXPECT_TRUE(SegmentRing::create(unique_name(), 2).ok());
}

TEST(SegmentRing, CreateIsExclusiveAndNamesTheObject) {
  const std::string name = unique_name();
  auto first = SegmentRing::create(name, 8);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->creator_pid(), getpid());
  EXPECT_TRUE(first->replaced().empty());
  auto second = SegmentRing::create(name, 8);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find(name), std::string::npos);
  EXPECT_NE(second.error().message.find("is in use by rtstep pid " + std::to_string(getpid())), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find(std::strerror(EEXIST)), std::string::npos) << second.error().message;
  EXPECT_TRUE(SegmentRing::attach(name).ok()) << "the live ring is untouched";
}

// A ring whose creator died without unlinking it (a crash): attach refuses it, create replaces it.
TEST(SegmentRing, StaleRingIsRefusedByAttachAndReplacedByCreate) {
  const std::string name = unique_name();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto ring = SegmentRing::create(name, 8);
    _exit(ring.ok() ? 0 : 1);  // no destructor: the object stays, as after kill -9
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_TRUE(shm_exists(name));
  auto attached = SegmentRing::attach(name);
  ASSERT_FALSE(attached.ok());
  EXPECT_NE(attached.error().message.find("stale: its creator, pid " + std::to_string(child) +
                                          ", is no longer running"),
            std::string::npos)
      << attached.error().message;
  auto created = SegmentRing::create(name, 16);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->replaced(), "replaced a stale ring left by pid " + std::to_string(child) +
                                     ", which is no longer running");
  EXPECT_EQ(created->capacity(), 16U);
  EXPECT_TRUE(SegmentRing::attach(name).ok());
}

// Owned by another user, or readable/writable by others: neither used nor replaced.
TEST(SegmentRing, ForeignOrWideObjectsAreRefusedAndLeftAlone) {
  const std::string name = unique_name();
  auto ring = SegmentRing::create(name, 8);
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  const std::string path = "/dev/shm" + name;
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  auto wide = SegmentRing::attach(name);
  ASSERT_FALSE(wide.ok());
  EXPECT_NE(wide.error().message.find("mode 0644 is not 0600"), std::string::npos) << wide.error().message;
  auto over_wide = SegmentRing::create(name, 8);
  ASSERT_FALSE(over_wide.ok());
  EXPECT_NE(over_wide.error().message.find("not replaced"), std::string::npos) << over_wide.error().message;
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  if (geteuid() != 0) GTEST_SKIP() << "changing the owner needs root";
  ASSERT_EQ(chown(path.c_str(), 4242, 4242), 0);
  auto foreign = SegmentRing::attach(name);
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message.find("owned by uid 4242"), std::string::npos) << foreign.error().message;
  EXPECT_FALSE(SegmentRing::create(name, 8).ok());
  EXPECT_TRUE(shm_exists(name));
}

// An object of the same name that is not an rtstep ring is never removed.
TEST(SegmentRing, CreateLeavesAnObjectThatIsNotARingAlone) {
  const std::string name = unique_name();
  const int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 4096), 0);
  close(fd);
  auto ring = SegmentRing::create(name, 8);
  ASSERT_FALSE(ring.ok());
  EXPECT_NE(ring.error().message.find("is not an rtstep ring (wrong magic)"), std::string::npos) << ring.error().message;
  EXPECT_TRUE(shm_exists(name));
  shm_unlink(name.c_str());
}

// Two hosts claiming at once: exactly one wins, the other learns who.
TEST(SegmentRing, HostClaimIsExclusive) {
  const std::string name = unique_name();
  auto ring = SegmentRing::create(name, 8);
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ(ring->host_pid(), 0);
  auto a = SegmentRing::attach(name);
  auto b = SegmentRing::attach(name);
  ASSERT_TRUE(a.ok() && b.ok());
  std::atomic<int> go{0};
  int32_t got_a = 0, got_b = 0;
  std::thread ta([&] { while (go.load() == 0) {} got_a = a->try_claim_host(111); });
  std::thread tb([&] { while (go.load() == 0) {} got_b = b->try_claim_host(222); });
  go.store(1);
  ta.join();
  tb.join();
  EXPECT_EQ(got_a, got_b) << "both see the same winner";
  EXPECT_TRUE(got_a == 111 || got_a == 222);
  EXPECT_EQ(ring->host_pid(), got_a);
  EXPECT_EQ(ring->try_claim_host(333), got_a);
}

TEST(SegmentRing, ObjectHasMode0600AndIsUnlinkedByItsCreator) {
  const std::string name = unique_name();
  {
    auto ring = SegmentRing::create(name, 8);
    ASSERT_TRUE(ring.ok()) << ring.error().message;
    struct stat st {};
    ASSERT_EQ(stat(("/dev/shm" + name).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);
    auto attached = SegmentRing::attach(name);
    ASSERT_TRUE(attached.ok()) << attached.error().message;
  }
  EXPECT_FALSE(shm_exists(name));
}

TEST(SegmentRing, AttachedSidesShareTheRing) {
  const std::string name = unique_name();
  auto producer = SegmentRing::create(name, 16);
  ASSERT_TRUE(producer.ok());
  auto consumer = SegmentRing::attach(name);
  ASSERT_TRUE(consumer.ok()) << consumer.error().message;
  EXPECT_EQ(consumer->capacity(), 16U);
  ASSERT_TRUE(producer->try_push(Record::end_of_stream()));
  Record r;
  ASSERT_TRUE(consumer->try_pop(r));
  EXPECT_EQ(r.kind, RecordKind::kEndOfStream);
}

TEST(SegmentRing, ExecutorStartedIsSeenByTheOtherSide) {
  const std::string name = unique_name();
  auto consumer = SegmentRing::create(name, 8);
  ASSERT_TRUE(consumer.ok());
  auto producer = SegmentRing::attach(name);
  ASSERT_TRUE(producer.ok()) << producer.error().message;
  EXPECT_FALSE(producer->executor_started());
  consumer->beat_executor();
  EXPECT_FALSE(producer->executor_started()) << "a heartbeat alone is not a running executor";
  consumer->mark_executor_started();
  EXPECT_TRUE(producer->executor_started());
}

TEST(SegmentRing, AttachNamesAMissingObject) {
  const std::string name = unique_name();
  auto ring = SegmentRing::attach(name);
  ASSERT_FALSE(ring.ok());
  EXPECT_NE(ring.error().message.find(name), std::string::npos);
  EXPECT_NE(ring.error().message.find(std::strerror(ENOENT)), std::string::npos) << ring.error().message;
}

// A host started before `rtstep rt` has made its ring sees no object, then an empty one, then one without
// its magic: attach_when_ready waits through all three and attaches to the ring once it is ready.
TEST(SegmentRing, AttachWhenReadyWaitsWhileTheRingIsBeingCreated) {
  const std::string name = unique_name();
  std::atomic<bool> creator_ok{false}, attach_done{false};
  std::thread creator([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);  // created, not yet sized
    if (fd < 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const bool sized = ftruncate(fd, static_cast<off_t>(kRingRecordsOffset + 8 * sizeof(Record))) == 0;  // no magic
    close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    shm_unlink(name.c_str());
    auto ring = SegmentRing::create(name, 8);
    creator_ok = sized && ring.ok();
    // The ring lives until the other side is done, however long a loaded machine makes it take.
    while (!attach_done.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  auto attached = SegmentRing::attach_when_ready(name, 30'000'000'000);
  attach_done = true;
  creator.join();
  ASSERT_TRUE(creator_ok);
  ASSERT_TRUE(attached.ok()) << attached.error().message;
  EXPECT_EQ(attached->capacity(), 8U);
}

// What waiting cannot mend is refused at once, and a ring that never comes is named after the wait.
TEST(SegmentRing, AttachWhenReadyRefusesAtOnceWhatWaitingCannotMend) {
  const std::string name = unique_name();
  auto ring = SegmentRing::create(name, 8);
  ASSERT_TRUE(ring.ok());
  RawMapping(name).set<uint32_t>(kAbiAt, kRingAbiVersion + 1);
  const auto start = std::chrono::steady_clock::now();
  auto refused = SegmentRing::attach_when_ready(name, 60'000'000'000);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("ABI version"), std::string::npos) << refused.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30)) << "it waited for a wrong version";

  const std::string never = unique_name();
  auto missing = SegmentRing::attach_when_ready(never, 50'000'000);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find(never + ": shm_open failed: " + std::strerror(ENOENT)), std::string::npos)
      << missing.error().message;
}

// Corrupts one header field through a second mapping and checks attach() names it with both values.
template <typename T>
void expect_attach_refuses(const std::string& name, std::size_t offset, T bad, const std::string& field,
                           const std::string& expected) {
  RawMapping raw(name);
  const T good = raw.get<T>(offset);
  raw.set<T>(offset, bad);
  auto ring = SegmentRing::attach(name);
  ASSERT_FALSE(ring.ok()) << field;
  const std::string& msg = ring.error().message;
  EXPECT_NE(msg.find(field), std::string::npos) << msg;
  EXPECT_NE(msg.find(std::to_string(bad)), std::string::npos) << msg;
  EXPECT_NE(msg.find(expected), std::string::npos) << msg;
  EXPECT_NE(msg.find(name), std::string::npos) << msg;
  raw.set<T>(offset, good);
  EXPECT_TRUE(SegmentRing::attach(name).ok()) << "restored " << field;
}

TEST(SegmentRing, AttachRefusesMismatchedHeader) {
  const std::string name = unique_name();
  auto ring = SegmentRing::create(name, 8);
  ASSERT_TRUE(ring.ok());
  expect_attach_refuses<uint64_t>(name, kMagicAt, 0x1234, "magic", std::to_string(kRingMagic));
  expect_attach_refuses<uint32_t>(name, kAbiAt, kRingAbiVersion + 1, "ABI version", std::to_string(kRingAbiVersion));
  expect_attach_refuses<uint32_t>(name, kRecordSizeAt, 64, "record size", std::to_string(sizeof(Record)));
  expect_attach_refuses<uint32_t>(name, kCapacityAt, 12, "capacity", "power of two");
  // A power of two that does not match the object's size: the size is named with both values.
  RawMapping raw(name);
  raw.set<uint32_t>(kCapacityAt, 16);
  auto mismatched = SegmentRing::attach(name);
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message.find("object size is " + std::to_string(kRingRecordsOffset + 8 * sizeof(Record)) +
                                            ", expected " + std::to_string(kRingRecordsOffset + 16 * sizeof(Record))),
            std::string::npos)
      << mismatched.error().message;
}

TEST(SegmentRing, AttachRefusesObjectsOfTheWrongSize) {
  const std::string name = unique_name();
  auto ring = SegmentRing::create(name, 8);
  ASSERT_TRUE(ring.ok());
  const int fd = shm_open(name.c_str(), O_RDWR, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(kRingRecordsOffset + 8 * sizeof(Record) + 4096)), 0);
  auto grown = SegmentRing::attach(name);
  ASSERT_FALSE(grown.ok());
  EXPECT_NE(grown.error().message.find("object size"), std::string::npos) << grown.error().message;
  ASSERT_EQ(ftruncate(fd, 100), 0);
  auto tiny = SegmentRing::attach(name);
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.error().message.find("object size is 100, expected " + std::to_string(kRingRecordsOffset)), std::string::npos) << tiny.error().message;
  close(fd);
}

TEST(SegmentRing, ConsumerDetectsCorruptedIndices) {
  const std::string name = unique_name();
  auto ring = SegmentRing::create(name, 8);
  ASSERT_TRUE(ring.ok());
  ASSERT_TRUE(ring->try_push(segment_record(1)));
  RawMapping raw(name);
  raw.set<uint64_t>(kWriteAt, raw.get<uint64_t>(kReadAt) + 8 + 5);  // claims more records than slots
  Record r;
  EXPECT_FALSE(ring->try_pop(r));
  EXPECT_TRUE(ring->corrupted());
}

TEST(SegmentRing, ProducerDetectsCorruptedIndices) {
  const std::string name = unique_name();
  auto ring = SegmentRing::create(name, 4);
  ASSERT_TRUE(ring.ok());
  RawMapping raw(name);
  raw.set<uint64_t>(kReadAt, 1000);  // read ahead of write: a hostile consumer
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(ring->try_push(segment_record(i)));  // cached index still says room
  EXPECT_FALSE(ring->try_push(segment_record(5)));
  EXPECT_TRUE(ring->corrupted());
}

TEST(SegmentRing, MoveTransfersOwnership) {
  const std::string name = unique_name();
  {
    auto created = SegmentRing::create(name, 8);
    ASSERT_TRUE(created.ok());
    SegmentRing moved(std::move(created.value()));
    EXPECT_EQ(moved.name(), name);
    ASSERT_TRUE(moved.try_push(segment_record(7)));
    auto other = SegmentRing::create(unique_name(), 4);
    ASSERT_TRUE(other.ok());
    const std::string other_name = other->name();
    *other = std::move(moved);  // releases (and unlinks) other's object
    EXPECT_FALSE(shm_exists(other_name));
    EXPECT_TRUE(shm_exists(name));
    EXPECT_EQ(other->size(), 1U);
  }
  EXPECT_FALSE(shm_exists(name));
}

constexpr int64_t kStreamRecords = 1'000'000;

TEST(SegmentRing, StreamsBetweenTwoThreadsWithoutLoss) {
  const std::string name = unique_name();
  auto producer = SegmentRing::create(name, 1024);
  ASSERT_TRUE(producer.ok());
  auto consumer = SegmentRing::attach(name);
  ASSERT_TRUE(consumer.ok());
  std::thread t([&] {
    for (int64_t i = 0; i < kStreamRecords; ++i) {
      const Record r = segment_record(i, static_cast<uint32_t>(i % 1000 + 1));
      while (!producer->try_push(r)) std::this_thread::yield();
    }
  });
  int64_t expected = 0;
  bool in_order = true;
  while (expected < kStreamRecords) {
    Record r;
    if (!consumer->try_pop(r)) continue;
    in_order = in_order && r.segment.first_time_ns == expected && r.segment.count == expected % 1000 + 1;
    ++expected;
  }
  t.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(expected, kStreamRecords);
  Record extra;
  EXPECT_FALSE(consumer->try_pop(extra));
  EXPECT_FALSE(consumer->corrupted());
}

TEST(SegmentRing, StreamsBetweenTwoProcesses) {
  const std::string name = unique_name();
  auto producer = SegmentRing::create(name, 256);
  ASSERT_TRUE(producer.ok());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Child: attach by name, consume until end of stream, report count and checksum through the pipe.
    close(fds[0]);
    auto consumer = SegmentRing::attach(name);
    if (!consumer.ok()) _exit(2);
    uint64_t result[2] = {0, 0};  // records, checksum
    int64_t expected = 0;
    for (;;) {
      Record r;
      if (!consumer->try_pop(r)) continue;
      if (r.kind == RecordKind::kEndOfStream) break;
      if (r.segment.first_time_ns != expected++) _exit(3);
      result[0] += 1;
      result[1] = result[1] * 31 + static_cast<uint64_t>(r.segment.first_time_ns);
    }
    const bool written = write(fds[1], result, sizeof result) == static_cast<ssize_t>(sizeof result);
    _exit(written ? 0 : 4);
  }
  close(fds[1]);
  constexpr int64_t kRecords = 200'000;
  uint64_t checksum = 0;
  for (int64_t i = 0; i < kRecords; ++i) {
    while (!producer->try_push(segment_record(i))) std::this_thread::yield();
    checksum = checksum * 31 + static_cast<uint64_t>(i);
  }
  while (!producer->try_push(Record::end_of_stream())) std::this_thread::yield();
  uint64_t got[2] = {0, 0};
  EXPECT_EQ(read(fds[0], got, sizeof got), static_cast<ssize_t>(sizeof got));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(got[0], static_cast<uint64_t>(kRecords));
  EXPECT_EQ(got[1], checksum);
}

TEST(RingObjectName, ACommandLineNameWithoutSlashNamesTheSameRing) {
  EXPECT_EQ(ring_object_name("rtstep"), "/rtstep");  // what `rtstep systemd-unit` writes
  EXPECT_EQ(ring_object_name("/rtstep"), "/rtstep");
  EXPECT_EQ(ring_object_name(""), "/");  // create() and attach() refuse it with their own message
}

}  // namespace
}  // namespace rtstep::ipc

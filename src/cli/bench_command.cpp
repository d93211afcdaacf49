// `rtstep bench`: the parent of the benchmarks (gpio: bench_gpio.cpp, executor: bench_executor.cpp) and
// `rtstep bench ipc`: one-way latency (ping-pong, half the round trip) and streaming throughput of the
// shared-memory ring against a Unix domain socket, a POSIX message queue and a pipe carrying the same
// 40-byte records, between two threads and between two processes pinned to two CPUs. Non-real-time.
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/progress.hpp"
#include "ipc/ipc.hpp"

namespace rtstep::cli {

namespace {

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

// One direction of a channel: blocking send and receive of one Record.
struct Pipe1 {
  std::function<void(const ipc::Record&)> send;
  std::function<void(ipc::Record&)> recv;
};

// A bidirectional transport: a->b and b->a, created before the fork/thread start.
struct Transport {
  std::string name;
  Pipe1 ab, ba;
  std::function<void()> close;
};

bool read_full(int fd, void* p, std::size_t n) {
  auto* c = static_cast<char*>(p);
  while (n > 0) {
    const ssize_t r = read(fd, c, n);
    if (r <= 0) return false;
    c += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

Pipe1 fd_pipe(int send_fd, int recv_fd) {
  return {[send_fd](const ipc::Record& r) { (void)!write(send_fd, &r, sizeof r); },
          [recv_fd](ipc::Record& r) { (void)read_full(recv_fd, &r, sizeof r); }};
}

std::unique_ptr<Transport> make_ring(const std::string& tag) {
  auto t = std::make_unique<Transport>();
  t->name = "shm ring";
  const std::string base = fmt::format("/rtstep-bench-ipc-{}-{}", getpid(), tag);
  auto created_ab = ipc::SegmentRing::create(base + "-ab", 1024);
  auto created_ba = ipc::SegmentRing::create(base + "-ba", 1024);
  if (!created_ab || !created_ba) return nullptr;
  auto ab = std::make_shared<ipc::SegmentRing>(std::move(created_ab).value());
  auto ba = std::make_shared<ipc::SegmentRing>(std::move(created_ba).value());
  // Both sides use the same objects: after fork() each process has its own copy of the private indices,
  // and each uses only its own end (producer or consumer) of each ring.
  auto spin_send = [](ipc::SegmentRing& ring, const ipc::Record& r) { while (!ring.try_push(r)) {} };
  auto spin_recv = [](ipc::SegmentRing& ring, ipc::Record& r) { while (!ring.try_pop(r)) {} };
  t->ab = {[ab, spin_send](const ipc::Record& r) { spin_send(*ab, r); }, [ab, spin_recv](ipc::Record& r) { spin_recv(*ab, r); }};
  t->ba = {[ba, spin_send](const ipc::Record& r) { spin_send(*ba, r); }, [ba, spin_recv](ipc::Record& r) { spin_recv(*ba, r); }};
  t->close = [] {};
  return t;
}

std::unique_ptr<Transport> make_socket() {
  int ab[2], ba[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ab) != 0 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ba) != 0) return nullptr;
  auto t = std::make_unique<Transport>();
  t->name = "unix socket (seqpacket)";
  t->ab = fd_pipe(ab[0], ab[1]);
  t->ba = fd_pipe(ba[0], ba[1]);
  t->close = [=] { for (int fd : {ab[0], ab[1], ba[0], ba[1]}) close(fd); };
  return t;
}

std::unique_ptr<Transport> make_pipe() {
  int ab[2], ba[2];
  if (pipe(ab) != 0 || pipe(ba) != 0) return nullptr;
  auto t = std::make_unique<Transport>();
  t->name = "pipe";
  t->ab = fd_pipe(ab[1], ab[0]);
  t->ba = fd_pipe(ba[1], ba[0]);
  t->close = [=] { for (int fd : {ab[0], ab[1], ba[0], ba[1]}) close(fd); };
  return t;
}

std::unique_ptr<Transport> make_mq(const std::string& tag) {
  mq_attr attr{};
  attr.mq_maxmsg = 10;  // the unprivileged default limit (fs.mqueue.msg_max)
  attr.mq_msgsize = sizeof(ipc::Record);
  const std::string a = fmt::format("/rtstep-bench-mq-{}-{}-ab", getpid(), tag);
  const std::string b = fmt::format("/rtstep-bench-mq-{}-{}-ba", getpid(), tag);
  const mqd_t qa = mq_open(a.c_str(), O_CREAT | O_RDWR, 0600, &attr);
  const mqd_t qb = mq_open(b.c_str(), O_CREAT | O_RDWR, 0600, &attr);
  if (qa == static_cast<mqd_t>(-1) || qb == static_cast<mqd_t>(-1)) return nullptr;
  mq_unlink(a.c_str());
  mq_unlink(b.c_str());
  auto pipe_of = [](mqd_t q) {
    return Pipe1{[q](const ipc::Record& r) { mq_send(q, reinterpret_cast<const char*>(&r), sizeof r, 0); },
                 [q](ipc::Record& r) { mq_receive(q, reinterpret_cast<char*>(&r), sizeof r, nullptr); }};
  };
  auto t = std::make_unique<Transport>();
  t->name = "posix mqueue (depth 10)";
  t->ab = pipe_of(qa);
  t->ba = pipe_of(qb);
  t->close = [=] { mq_close(qa); mq_close(qb); };
  return t;
}

struct Figures {
  std::string transport, mode;
  int64_t median_ns = 0, p99_ns = 0, max_ns = 0;  // one-way
  double throughput_per_s = 0;
};

// Runs `peer` on CPU 1 as a thread or a forked process while `self` runs here on CPU 0.
void run_pair(bool processes, const std::function<void()>& peer, const std::function<void()>& self) {
  if (processes) {
    const pid_t child = fork();
    if (child == 0) {
      pin_to(1);
      peer();
      _exit(0);
    }
    pin_to(0);
    self();
    waitpid(child, nullptr, 0);
  } else {
    std::thread t([&] { pin_to(1); peer(); });
    pin_to(0);
    self();
    t.join();
  }
}

// Each phase gets fresh transports: after a fork the child's copy of a ring's private indices would be stale.
Figures measure(const std::function<std::unique_ptr<Transport>()>& make, bool processes, int samples, int stream) {
  auto latency_transport = make();
  Transport& t = *latency_transport;
  Figures f{t.name, processes ? "processes" : "threads"};
  const int warmup = std::min(samples / 10, 10'000);
  std::vector<int64_t> rtt(static_cast<std::size_t>(samples));
  run_pair(processes,
           [&] {
             ipc::Record r;
             for (int i = 0; i < warmup + samples; ++i) {
               t.ab.recv(r);
               t.ba.send(r);
             }
           },
           [&] {
             ipc::Record r;
             for (int i = 0; i < warmup + samples; ++i) {
               const int64_t t0 = now_ns();
               t.ab.send(r);
               t.ba.recv(r);
               if (i >= warmup) rtt[static_cast<std::size_t>(i - warmup)] = now_ns() - t0;
             }
           });
  std::sort(rtt.begin(), rtt.end());
  f.median_ns = rtt[rtt.size() / 2] / 2;
  f.p99_ns = rtt[rtt.size() * 99 / 100] / 2;
  f.max_ns = rtt.back() / 2;
  t.close();
  // Throughput: `stream` records one way, timed from the first send to the last receive (one ack back).
  auto stream_transport = make();
  Transport& s = *stream_transport;
  int64_t start = 0, done = 0;
  run_pair(processes,
           [&] {
             ipc::Record r;
             for (int i = 0; i < stream; ++i) s.ab.recv(r);
             s.ba.send(r);
           },
           [&] {
             ipc::Record r;
             start = now_ns();
             for (int i = 0; i < stream; ++i) s.ab.send(r);
             s.ba.recv(r);
             done = now_ns();
           });
  s.close();
  f.throughput_per_s = static_cast<double>(stream) / (static_cast<double>(done - start) / 1e9);
  return f;
}

struct BenchIpcOptions {
  int samples = 100'000;
  int stream = 1'000'000;
  bool json = false;
  bool quiet = false;
};

int run_bench_ipc(const BenchIpcOptions& o) {
  std::vector<Figures> all;
  int round = 0;
  static constexpr int kMeasurements = 8;  // four transports, between threads and between processes
  std::atomic<int> done{0};
  Progress progress(std::cerr, isatty(STDERR_FILENO) != 0, [&done] {
    const int n = done.load(std::memory_order_relaxed);
    return ProgressLine{static_cast<double>(n) / kMeasurements, fmt::format("bench ipc: {} of {} measurements", n, kMeasurements)};
  });
  if (!o.quiet) progress.start();
  for (const bool processes : {false, true}) {
    const std::vector<std::function<std::unique_ptr<Transport>()>> makers = {
        [&] { return make_ring(std::to_string(round++)); }, [] { return make_socket(); },
        [&] { return make_mq(std::to_string(round++)); }, [] { return make_pipe(); }};
    for (std::size_t k = 0; k < makers.size(); ++k) {
      auto probe = makers[k]();
      if (!probe) {
        progress.stop();
        std::cerr << "rtstep bench ipc: could not create a transport: " << std::strerror(errno) << '\n';
        return exit_code::kFault;
      }
      probe->close();
      all.push_back(measure(makers[k], processes, o.samples, k == 0 ? o.stream : std::min(o.stream, 200'000)));
      done.fetch_add(1, std::memory_order_relaxed);
    }
  }
  progress.stop();
  nlohmann::json j = nlohmann::json::array();
  if (!o.json) {
    std::cout << fmt::format("{:<26} {:<10} {:>12} {:>12} {:>12} {:>14}\n", "transport", "between", "median ns",
                             "p99 ns", "max ns", "records/s");
  }
  for (const Figures& f : all) {
    j.push_back({{"transport", f.transport}, {"between", f.mode}, {"one_way_median_ns", f.median_ns},
                 {"one_way_p99_ns", f.p99_ns}, {"one_way_max_ns", f.max_ns}, {"throughput_per_s", f.throughput_per_s}});
    if (!o.json) {
      std::cout << fmt::format("{:<26} {:<10} {:>12} {:>12} {:>12} {:>14.0f}\n", f.transport, f.mode, f.median_ns,
                               f.p99_ns, f.max_ns, f.throughput_per_s);
    }
  }
  // The figure the issue asks for: unix socket median over ring median, same mode.
  for (std::size_t base = 0; base + 1 < all.size(); base += 4) {
    const double ratio = static_cast<double>(all[base + 1].median_ns) / static_cast<double>(std::max<int64_t>(all[base].median_ns, 1));
    if (o.json) {
      j.push_back({{"ratio_unix_socket_over_ring_median", ratio}, {"between", all[base].mode}});
    } else {
      std::cout << fmt::format("{}: unix socket median / ring median = {:.1f}x\n", all[base].mode, ratio);
    }
  }
  if (o.json) std::cout << j.dump(2) << '\n';
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, Commands& commands) {
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks: ipc, executor, gpio, soak");
  bench->require_subcommand(1);
  auto o = std::make_shared<BenchIpcOptions>();
  CLI::App* ipc_cmd = bench->add_subcommand("ipc", "Shared-memory ring against a unix socket, a message queue and a pipe");
  ipc_cmd->add_option("--samples", o->samples, "Ping-pong round trips per transport and mode (default 100000)");
  ipc_cmd->add_option("--stream", o->stream, "Records streamed one way for throughput (default 1000000; kernel IPC at most 200000)");
  ipc_cmd->add_flag("--json", o->json, "JSON on stdout");
  ipc_cmd->add_flag("--quiet,-q", o->quiet, "Print errors only: no progress on stderr");
  commands.push_back({ipc_cmd, [o] { return run_bench_ipc(*o); }});
  add_bench_executor_command(*bench, commands);
  add_bench_gpio_command(*bench, commands);
  add_bench_soak_command(*bench, commands);
}

}  // namespace rtstep::cli

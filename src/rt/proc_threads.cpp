// /proc/PID/task reading (see proc_threads.hpp).
#include "rt/proc_threads.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "rt/cpu_list.hpp"

namespace rtstep::rt {

namespace {

namespace fs = std::filesystem;

bool read_file(const fs::path& path, std::string& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

const char* policy_text(int policy) {
  switch (policy) {
    case 0: return "OTHER";
    case 1: return "FIFO";
    case 2: return "RR";
    case 3: return "BATCH";
    case 5: return "IDLE";
    case 6: return "DEADLINE";
    default: return "?";
  }
}

// Allowed CPUs from a status file ("Cpus_allowed_list:\t0-1").
std::vector<int> affinity_of(const std::string& status) {
  const std::string key = "Cpus_allowed_list:";
  const size_t at = status.find(key);
  if (at == std::string::npos) return {};
  const size_t end = status.find('\n', at);
  auto cpus = parse_cpu_list(status.substr(at + key.size(), end - at - key.size()));
  return cpus ? std::move(cpus).value() : std::vector<int>{};
}

// Reads one task; nullopt-like error when it vanished (the caller skips it).
Result<ThreadInfo> read_task(const fs::path& task_dir) {
  std::string stat;
  if (!read_file(task_dir / "stat", stat)) return Error{"cannot read " + (task_dir / "stat").string()};
  auto info = parse_task_stat(first_line(stat));
  if (!info) return Error{(task_dir / "stat").string() + ": " + info.error().message};
  std::string status;
  if (read_file(task_dir / "status", status)) info->affinity = affinity_of(status);
  return info;
}

}  // namespace

Result<ThreadInfo> parse_task_stat(const std::string& line) {
  const size_t open = line.find('(');
  const size_t close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return Error{"no (comm) field"};
  ThreadInfo info;
  info.tid = static_cast<pid_t>(std::atol(line.substr(0, open).c_str()));
  info.name = line.substr(open + 1, close - open - 1);
  // Fields after the comm: field 3 (state) is index 0 here.
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> f;
  for (std::string word; rest >> word;) f.push_back(word);
  constexpr size_t kPolicyIndex = 41 - 3;
  if (f.size() <= kPolicyIndex) return Error{"only " + std::to_string(f.size() + 2) + " fields (policy is field 41)"};
  try {
    info.cpu_ticks = std::stoull(f[14 - 3]) + std::stoull(f[15 - 3]);
    info.nice = std::stoi(f[19 - 3]);
    info.last_cpu = std::stoi(f[39 - 3]);
    info.rt_priority = std::stoi(f[40 - 3]);
    info.policy = policy_text(std::stoi(f[kPolicyIndex]));
  } catch (const std::exception&) {
    return Error{"a numeric field is not a number"};
  }
  return info;
}

Result<ProcessThreads> read_process_threads(const std::string& proc, pid_t pid) {
  const fs::path dir = fs::path(proc) / std::to_string(pid);
  ProcessThreads p;
  p.pid = pid;
  std::string comm;
  if (!read_file(dir / "comm", comm)) return Error{"no process " + std::to_string(pid) + " (" + (dir / "comm").string() + ")"};
  p.name = first_line(comm);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir / "task", ec)) {
    auto info = read_task(entry.path());
    if (!info) {
      if (fs::exists(entry.path())) return info.error();
      continue;  // the thread exited while we read it
    }
    p.threads.push_back(std::move(info).value());
  }
  if (ec) return Error{"cannot list " + (dir / "task").string() + ": " + ec.message()};
  std::sort(p.threads.begin(), p.threads.end(), [](const auto& a, const auto& b) { return a.tid < b.tid; });
  return p;
}

Result<ProcessThreads> sample_process_threads(const std::string& proc, pid_t pid, int interval_ms) {
  auto before = read_process_threads(proc, pid);
  if (!before) return before;
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  auto after = read_process_threads(proc, pid);
  if (!after) return after;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::map<pid_t, uint64_t> earlier;
  for (const auto& t : before->threads) earlier[t.tid] = t.cpu_ticks;
  for (auto& t : after->threads) {
    const auto it = earlier.find(t.tid);
    const uint64_t base = it == earlier.end() ? 0 : it->second;  // a new thread: all its time is recent
    const uint64_t used = t.cpu_ticks >= base ? t.cpu_ticks - base : 0;
    t.cpu_percent = 100.0 * static_cast<double>(used) / ticks_per_second / seconds;
  }
  return after;
}

namespace {

// The pids under `proc` (its numeric entries) for which `matches(process_dir)` holds, but not `exclude`.
// Sorted by pid.
template <typename Matches>
std::vector<pid_t> processes_where(const std::string& proc, pid_t exclude, Matches matches) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(proc, ec)) {
    const std::string base = entry.path().filename().string();
    if (base.empty() || !std::all_of(base.begin(), base.end(), ::isdigit)) continue;
    const auto pid = static_cast<pid_t>(std::atol(base.c_str()));
    if (pid != exclude && matches(entry.path())) found.push_back(pid);
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string comm_of(const fs::path& dir) {
  std::string comm;
  read_file(dir / "comm", comm);
  return first_line(comm);
}

}  // namespace

std::vector<pid_t> find_processes(const std::string& proc, const std::string& name, pid_t exclude, bool comm_only) {
  return processes_where(proc, exclude, [&](const fs::path& dir) {
    if (comm_of(dir) == name) return true;
    if (comm_only || name.empty()) return false;
    std::string cmdline;
    read_file(dir / "cmdline", cmdline);
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    return cmdline.find(name) != std::string::npos;
  });
}

std::vector<pid_t> find_rtstep_processes(const std::string& proc, pid_t exclude) {
  const auto rtstep_name = [](const std::string& comm) { return comm == "rtstep" || comm.rfind("rtstep-", 0) == 0; };
  return processes_where(proc, exclude, [&](const fs::path& dir) {
    std::error_code ec;
    for (const auto& task : fs::directory_iterator(dir / "task", ec)) {
      if (rtstep_name(comm_of(task.path()))) return true;
    }
    return false;
  });
}

std::string format_process_threads(const ProcessThreads& p) {
  std::string out = "process " + std::to_string(p.pid) + " (" + p.name + "), " + std::to_string(p.threads.size()) +
                    " thread" + (p.threads.size() == 1 ? "" : "s") + ":\n";
  char line[200];
  std::snprintf(line, sizeof line, "%8s  %-16s %-8s %4s %4s  %-10s %3s %6s\n", "TID", "NAME", "POLICY", "PRIO", "NICE",
                "AFFINITY", "CPU", "%CPU");
  out += line;
  for (const auto& t : p.threads) {
    char cpu_pct[16] = "-";
    if (t.cpu_percent >= 0) std::snprintf(cpu_pct, sizeof cpu_pct, "%.1f", t.cpu_percent);
    std::snprintf(line, sizeof line, "%8d  %-16s %-8s %4d %4d  %-10s %3d %6s\n", static_cast<int>(t.tid), t.name.c_str(),
                  t.policy.c_str(), t.rt_priority, t.nice, format_cpu_list(t.affinity).c_str(), t.last_cpu, cpu_pct);
    out += line;
  }
  return out;
}

}  // namespace rtstep::rt

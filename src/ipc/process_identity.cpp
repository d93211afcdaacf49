// ProcessIdentity (see process_identity.hpp): pid, start time and boot id from /proc.
#include "ipc/process_identity.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace rtstep::ipc {

namespace {

// /proc/sys/kernel/random/boot_id: "0ba77160-b4ea-4e13-9665-a16112e2f740" -> 16 bytes; zeros if unreadable.
std::array<uint8_t, 16> read_boot_id() {
  std::array<uint8_t, 16> id{};
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string text;
  if (!(in >> text)) return id;
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < text.size() && n < id.size(); ++i) {
    if (text[i] == '-') continue;
    const std::string byte = text.substr(i, 2);
    char* end = nullptr;
    const unsigned long v = std::strtoul(byte.c_str(), &end, 16);
    if (end != byte.c_str() + 2) return {};
    id[n++] = static_cast<uint8_t>(v);
    ++i;
  }
  return n == id.size() ? id : std::array<uint8_t, 16>{};
}

// What /proc/<pid>/stat says: whether the entry exists, whether the process has already died (a zombie,
// state Z or X, waiting to be reaped) and field 22, the start time in clock ticks after boot. The command
// name (field 2) may hold spaces and parentheses, so fields are counted from the last ')'.
struct ProcStat {
  bool found = false;
  bool dead = false;
  uint64_t start_ticks = 0;
};

ProcStat read_stat(pid_t pid) {
  ProcStat stat;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return stat;
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos) return stat;
  stat.found = true;
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  for (int index = 3; fields >> field; ++index) {  // the first field after ')' is field 3 (state)
    if (index == 3) stat.dead = field == "Z" || field == "X";
    if (index == 22) {
      stat.start_ticks = std::strtoull(field.c_str(), nullptr, 10);
      break;
    }
  }
  return stat;
}

bool all_zero(const std::array<uint8_t, 16>& id) {
  for (const uint8_t b : id) {
    if (b != 0) return false;
  }
  return true;
}

}  // namespace

ProcessIdentity current_process() {
  ProcessIdentity me;
  me.pid = static_cast<int32_t>(getpid());
  me.start_ticks = read_stat(getpid()).start_ticks;
  me.boot_id = read_boot_id();
  return me;
}

Liveness liveness(const ProcessIdentity& who) {
  if (who.pid <= 0) return Liveness::kGone;
  const auto boot = read_boot_id();
  if (!all_zero(who.boot_id) && !all_zero(boot) && who.boot_id != boot) return Liveness::kGone;  // rebooted since
  const ProcStat stat = read_stat(who.pid);
  if (stat.found) {
    if (stat.dead) return Liveness::kGone;
    if (who.start_ticks == 0) return Liveness::kUnknown;
    return stat.start_ticks == who.start_ticks ? Liveness::kAlive : Liveness::kGone;
  }
  // No /proc entry: either no such process, or no /proc at all. kill(pid, 0) tells which.
  if (kill(who.pid, 0) != 0 && errno == ESRCH) return Liveness::kGone;
  return Liveness::kUnknown;
}

}  // namespace rtstep::ipc

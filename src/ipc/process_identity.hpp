#pragma once
// ProcessIdentity: who created a shared-memory ring, precisely enough to tell later whether that process
// is still running. A pid alone is not enough: after a crash and a reboot (or a long uptime) the same pid
// belongs to someone else. So the identity is the pid, the process's start time in clock ticks since boot
// (/proc/<pid>/stat field 22) and the boot id (/proc/sys/kernel/random/boot_id). Internal to ipc.
// Everything here is init only (it reads /proc).

#include <sys/types.h>

#include <array>
#include <cstdint>

namespace rtstep::ipc {

struct ProcessIdentity {
  int32_t pid = 0;
  uint64_t start_ticks = 0;           // 0: unknown (no /proc)
  std::array<uint8_t, 16> boot_id{};  // all zero: unknown
};

// The calling process.
ProcessIdentity current_process();

enum class Liveness {
  kAlive,    // that very process is running (same boot, same pid, same start time)
  kGone,     // it is not: another boot, no such pid, or the pid now belongs to a later process
  kUnknown,  // cannot tell (no /proc and the pid exists)
};
Liveness liveness(const ProcessIdentity& who);

}  // namespace rtstep::ipc

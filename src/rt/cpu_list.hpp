#pragma once
// CPU lists as Linux writes them ("0-1,3": isolcpus=, smp_affinity_list, Cpus_allowed_list, taskset -c).
// rt owns its own parser because it reads these lists from /proc and /sys, not only from printer.cfg.
// Non-real-time.

#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace rtstep::rt {

inline constexpr int kMaxCpu = 1023;  // CPU numbers are 0..kMaxCpu (CPU_SETSIZE is 1024)

// Parses "0-1,3" into sorted, unique CPU numbers. Empty (or blank) text: empty list. Errors name the bad
// part: `bad CPU list "1-": "1-" is not a CPU or a range like 0-3`.
Result<std::vector<int>> parse_cpu_list(std::string_view text);

// The shortest list form: {0,1,2,5} -> "0-2,5"; empty -> "".
std::string format_cpu_list(const std::vector<int>& cpus);

// True when every CPU of `part` is in `whole` (both sorted).
bool cpus_within(const std::vector<int>& part, const std::vector<int>& whole);

}  // namespace rtstep::rt

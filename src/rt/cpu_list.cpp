// CPU list parsing and formatting (see cpu_list.hpp).
#include "rt/cpu_list.hpp"

#include <algorithm>
#include <charconv>

namespace rtstep::rt {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// A whole-string non-negative integer, or -1.
int parse_cpu(std::string_view s) {
  s = trim(s);
  int value = -1;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || value < 0) return -1;
  return value;
}

Error bad_list(std::string_view text, std::string_view part, const std::string& why) {
  return Error{"bad CPU list \"" + std::string(text) + "\": \"" + std::string(part) + "\" " + why};
}

}  // namespace

Result<std::vector<int>> parse_cpu_list(std::string_view text) {
  std::vector<int> cpus;
  const std::string_view all = trim(text);
  if (all.empty()) return cpus;
  std::string_view rest = all;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view part = trim(rest.substr(0, comma));
    const size_t dash = part.find('-');
    const int first = parse_cpu(part.substr(0, dash));
    const int last = dash == std::string_view::npos ? first : parse_cpu(part.substr(dash + 1));
    if (first < 0 || last < 0) return bad_list(all, part, "is not a CPU or a range like 0-3");
    if (first > last) return bad_list(all, part, "is a range that runs backwards");
    if (last > kMaxCpu) return bad_list(all, part, "is beyond CPU " + std::to_string(kMaxCpu));
    for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string format_cpu_list(const std::vector<int>& cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) out += '-' + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

bool cpus_within(const std::vector<int>& part, const std::vector<int>& whole) {
  return std::includes(whole.begin(), whole.end(), part.begin(), part.end());
}

}  // namespace rtstep::rt

// `loadrt threads name1=NAME period1=NS [name2= period2= ...]`: LinuxCNC's threads component, the way
// configurations get threads without motion. Threads are created in argument order (fastest first).
#include <charconv>

#include "hal/component.hpp"

namespace rtstep::hal {

Status load_threads(Hal& hal, LoadArgs& args) {
  struct Want {
    std::string name;
    int64_t period;
  };
  std::vector<Want> wanted;
  for (int i = 1; i <= 9; ++i) {
    const std::string k = std::to_string(i);
    auto name = args.take("name" + k);
    auto period = args.take("period" + k);
    args.take("fp" + k);  // floating-point flag: always on, ignored as in LinuxCNC
    if (!name && !period) continue;
    int64_t ns = 0;
    if (period) {
      const auto [ptr, ec] = std::from_chars(period->data(), period->data() + period->size(), ns);
      if (ec != std::errc{} || ptr != period->data() + period->size() || ns < 0) {
        return Error{"loadrt threads: period" + k + "=" + *period + " is not a period in ns"};
      }
    } else {
      ns = i == 1 ? 1'000'000 : 0;  // LinuxCNC's defaults: thread1 at 1 ms, the others absent
    }
    if (ns == 0) continue;
    wanted.push_back({name ? *name : "thread" + k, ns});
  }
  if (auto st = args.check_all_used("threads"); !st) return Error{"loadrt threads: " + st.error().message};
  if (wanted.empty()) wanted.push_back({"thread1", 1'000'000});
  for (const Want& w : wanted) {
    if (hal.find_thread(w.name) != nullptr) return Error{"loadrt threads: duplicate thread name '" + w.name + "'"};
  }
  return load_component(hal, "threads", [&](Builder& b) -> Status {
    for (const Want& w : wanted) {
      if (auto st = b.hal().create_thread(w.name, w.period, b.comp_id()); !st) return st;
    }
    return Ok{};
  });
}

}  // namespace rtstep::hal

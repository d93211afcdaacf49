// loadrt arguments, instance naming and the table of built-in components (see component.hpp).
#include "hal/component.hpp"

#include <array>
#include <charconv>

namespace rtstep::hal {

Result<LoadArgs> LoadArgs::parse(std::span<const std::string> tokens) {
  LoadArgs args;
  for (const std::string& t : tokens) {
    const std::size_t eq = t.find('=');
    if (eq == std::string::npos || eq == 0) return Error{"argument '" + t + "' is not NAME=VALUE"};
    std::string value = t.substr(eq + 1);
    std::erase(value, '"');  // as rtapi_app strips quotes from module arguments
    args.items_.emplace_back(t.substr(0, eq), std::move(value));
  }
  return args;
}

std::optional<std::string> LoadArgs::take(std::string_view key) {
  for (auto it = items_.begin(); it != items_.end(); ++it) {
    if (it->first == key) {
      std::string v = std::move(it->second);
      items_.erase(it);
      return v;
    }
  }
  return std::nullopt;
}

void LoadArgs::alias(std::string_view old_key, const std::string& new_key) {
  for (auto& item : items_) {
    if (item.first == old_key) item.first = new_key;
  }
}

Status LoadArgs::check_all_used(std::string_view comp) const {
  if (items_.empty()) return Ok{};
  return Error{"unknown argument '" + items_.front().first + "' for " + std::string(comp)};
}

Result<std::vector<std::string>> split_list(std::string_view key, std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    if (item.empty()) return Error{std::string(key) + "=" + std::string(text) + ": empty item in the list"};
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

Result<std::vector<std::string>> instance_names(std::string_view prefix, LoadArgs& args, int default_count, int max) {
  auto count = args.take("count");
  auto names = args.take("names");
  if (count && names) return Error{"count= and names= are mutually exclusive"};
  std::vector<std::string> out;
  if (names) {
    auto list = split_list("names", *names);
    if (!list) return list.error();
    out = std::move(*list);
  } else {
    int n = default_count;
    if (count) {
      const auto [ptr, ec] = std::from_chars(count->data(), count->data() + count->size(), n);
      if (ec != std::errc{} || ptr != count->data() + count->size() || n < 1) {
        return Error{"count=" + *count + " is not a positive integer"};
      }
    }
    // Refused before the names are built: `count=2000000000` must not first make two billion strings.
    if (n > max) return Error{"at most " + std::to_string(max) + " instances (" + std::to_string(n) + " requested)"};
    for (int i = 0; i < n; ++i) out.push_back(std::string(prefix) + "." + std::to_string(i));
  }
  if (static_cast<int>(out.size()) > max) {
    return Error{"at most " + std::to_string(max) + " instances (" + std::to_string(out.size()) + " requested)"};
  }
  return out;
}

namespace {

constexpr std::array kComponents{
    ComponentType{"threads", &load_threads},
    ComponentType{"and2", &load_and2},
    ComponentType{"or2", &load_or2},
    ComponentType{"not", &load_not},
    ComponentType{"mux2", &load_mux2},
    ComponentType{"scale", &load_scale},
    ComponentType{"lowpass", &load_lowpass},
    ComponentType{"siggen", &load_siggen},
    ComponentType{"timedelta", &load_timedelta},
    ComponentType{"estop_latch", &load_estop_latch},
    ComponentType{"charge_pump", &load_charge_pump},
    ComponentType{"stepgen", &load_stepgen},
    ComponentType{"pid", &load_pid},
    ComponentType{"encoder", &load_encoder},
    ComponentType{"sampler", &load_sampler},
    ComponentType{"streamer", &load_streamer},
    ComponentType{"motmod", &load_motmod},
    ComponentType{"pwmgen", &load_pwmgen},
    ComponentType{"hal_gpio", &load_hal_gpio},
    ComponentType{"abs", &load_abs},
    ComponentType{"ddt", &load_ddt},
    ComponentType{"integ", &load_integ},
    ComponentType{"sum2", &load_sum2},
    ComponentType{"deadzone", &load_deadzone},
    ComponentType{"limit1", &load_limit1},
    ComponentType{"limit2", &load_limit2},
    ComponentType{"ilowpass", &load_ilowpass},
    ComponentType{"near", &load_near},
    ComponentType{"comp", &load_comp},
    ComponentType{"wcomp", &load_wcomp},
    ComponentType{"mux4", &load_mux4},
    ComponentType{"minmax", &load_minmax},
    ComponentType{"threadtest", &load_threadtest},
    ComponentType{"xor2", &load_xor2},
    ComponentType{"logic", &load_logic},
    ComponentType{"edge", &load_edge},
    ComponentType{"flipflop", &load_flipflop},
    ComponentType{"oneshot", &load_oneshot},
    ComponentType{"timedelay", &load_timedelay},
    ComponentType{"toggle", &load_toggle},
    ComponentType{"select8", &load_select8},
    ComponentType{"debounce", &load_debounce},
    ComponentType{"limit3", &load_limit3},
    ComponentType{"biquad", &load_biquad},
    ComponentType{"multiclick", &load_multiclick},
    ComponentType{"mux_generic", &load_mux_generic},
    ComponentType{"trivkins", &load_trivkins},
    ComponentType{"tpmod", &load_tpmod},
    ComponentType{"homemod", &load_homemod},
};

}  // namespace

std::span<const ComponentType> builtin_components() { return kComponents; }

const ComponentType* find_builtin_component(std::string_view name) {
  for (const auto& c : kComponents) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

}  // namespace rtstep::hal

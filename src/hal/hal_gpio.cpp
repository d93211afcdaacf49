// hal_gpio: HAL bits on real GPIO lines through rtstep's gpio::Backend, named as LinuxCNC's hal_gpio.
//
//   loadrt hal_gpio [outputs=gpio17,!gpio27,...] [inputs=^gpio22,!gpio23,...]
//
// Each output gets a pin `hal_gpio.<name>-out` (bit IN; the name as written, without modifiers); '!'
// inverts the line, as in printer.cfg. The function `hal_gpio.write` goes last in the fastest thread
// (addf ... base-thread -1): it gathers every output pin into one mask and writes the lines that changed in
// one Backend::write — one register store on the Raspberry Pi backends, one ioctl on gpiod.
// Each input gets `hal_gpio.<name>-in` and `hal_gpio.<name>-in-not` (bit OUT); '!' inverts, '^' asks for
// the pull-up and '~' for the pull-down. The function `hal_gpio.read` goes first in the fastest thread
// (addf ... base-thread 1): one Backend::read_inputs for all of them.
//
// The backend is the one the Hal was given (tests: a SimBackend they inspect), else one opened of the
// Hal's backend kind (`rtstep hal --backend`, default sim). The component owns what it opened; it drives
// every line low when loaded, and the backend leaves them at safe levels when the component goes away.
// The write function is real-time safe: a clock read and the backend's write.
#include <time.h>

#include <memory>
#include <vector>

#include "gpio/hardware.hpp"
#include "hal/component.hpp"
#include "util/clock.hpp"

namespace rtstep::hal {

namespace {

struct HalGpio : Instance {
  std::unique_ptr<gpio::Backend> owned;  // opened by the loader (null when the Hal lent one)
  gpio::Backend* backend = nullptr;
  std::unique_ptr<Pin<bool>[]> outputs;
  std::size_t count = 0;
  std::unique_ptr<Pin<bool>[]> inputs, inputs_not;
  std::size_t input_count = 0;
  gpio::PinMask last = 0;  // logical levels last written (configure drove every line to 0)
};

void write_outputs(void* arg, int64_t /*period_ns*/) noexcept {
  auto& g = *static_cast<HalGpio*>(arg);
  gpio::PinMask levels = 0;
  for (std::size_t i = 0; i < g.count; ++i) {
    if (g.outputs[i].get()) levels |= gpio::PinMask{1} << i;
  }
  const gpio::PinMask changed = levels ^ g.last;
  if (changed == 0) return;  // nothing to do: no write at all
  const int64_t now = monotonic_ns();
  g.backend->write(levels & changed, ~levels & changed, now, now);
  g.last = levels;
}

void read_inputs(void* arg, int64_t /*period_ns*/) noexcept {
  auto& g = *static_cast<HalGpio*>(arg);
  const gpio::InputMask levels = g.backend->read_inputs();
  for (std::size_t i = 0; i < g.input_count; ++i) {
    const bool on = ((levels >> i) & 1U) != 0;
    g.inputs[i].set(on);
    g.inputs_not[i].set(!on);
  }
}

// "^!gpio22,~gpio23" -> input specs (the modifiers, in any order, taken off).
Result<std::vector<gpio::InputSpec>> parse_inputs(const std::string& text) {
  auto names = split_list("inputs", text);
  if (!names) return names.error();
  std::vector<gpio::InputSpec> specs;
  for (const std::string& n : *names) {
    gpio::InputSpec spec;
    std::size_t i = 0;
    for (; i < n.size() && (n[i] == '!' || n[i] == '^' || n[i] == '~'); ++i) {
      if (n[i] == '!') spec.inverted = true;
      if (n[i] == '^' || n[i] == '~') {
        if (spec.pull != gpio::Pull::kNone) return Error{"inputs=" + text + ": '" + n + "' asks for two pull resistors"};
        spec.pull = n[i] == '^' ? gpio::Pull::kUp : gpio::Pull::kDown;
      }
    }
    spec.name = n.substr(i);
    if (spec.name.empty()) return Error{"inputs=" + text + ": '" + n + "' has no pin name"};
    specs.push_back(std::move(spec));
  }
  if (specs.size() > gpio::kMaxInputs) {
    return Error{"inputs=: at most " + std::to_string(gpio::kMaxInputs) + " pins (" + std::to_string(specs.size()) + " given)"};
  }
  return specs;
}

// "gpio17,!gpio27" -> pin specs (the '!' taken off into `inverted`).
Result<std::vector<gpio::PinSpec>> parse_outputs(const std::string& text) {
  auto names = split_list("outputs", text);
  if (!names) return names.error();
  std::vector<gpio::PinSpec> specs;
  for (const std::string& n : *names) {
    gpio::PinSpec spec;
    spec.inverted = n.starts_with("!");
    spec.name = spec.inverted ? n.substr(1) : n;
    if (spec.name.empty()) return Error{"outputs=" + text + ": a '!' without a pin name"};
    specs.push_back(std::move(spec));
  }
  if (specs.size() > gpio::kMaxPins) {
    return Error{"outputs=: at most " + std::to_string(gpio::kMaxPins) + " pins (" + std::to_string(specs.size()) + " given)"};
  }
  return specs;
}

}  // namespace

Status load_hal_gpio(Hal& hal, LoadArgs& args) {
  const auto fail = [](const std::string& message) { return Error{"loadrt hal_gpio: " + message}; };
  auto outputs_text = args.take("outputs");
  auto inputs_text = args.take("inputs");
  if (!outputs_text && !inputs_text) return fail("outputs= or inputs= is required (e.g. outputs=gpio17,gpio27)");
  auto specs = outputs_text ? parse_outputs(*outputs_text) : Result<std::vector<gpio::PinSpec>>(std::vector<gpio::PinSpec>{});
  if (!specs) return fail(specs.error().message);
  auto input_specs = inputs_text ? parse_inputs(*inputs_text) : Result<std::vector<gpio::InputSpec>>(std::vector<gpio::InputSpec>{});
  if (!input_specs) return fail(input_specs.error().message);
  if (auto st = args.check_all_used("hal_gpio"); !st) return fail(st.error().message);

  return load_component(hal, "hal_gpio", [&](Builder& b) -> Status {
    auto& g = b.make<HalGpio>();
    g.backend = hal.gpio_backend();
    if (g.backend == nullptr) {
      auto opened = gpio::open_backend(hal.gpio_backend_kind());
      if (!opened) return Error{opened.error().message};
      g.owned = std::move(*opened);
      g.backend = g.owned.get();
    }
    const std::string backend = std::string(g.backend->name()) + " backend: ";
    if (auto st = g.backend->configure(*specs); !st) {
      return Error{"outputs=" + outputs_text.value_or("") + ": " + backend + st.error().message};
    }
    if (!input_specs->empty()) {
      if (auto st = g.backend->configure_inputs(*input_specs); !st) {
        return Error{"inputs=" + *inputs_text + ": " + backend + st.error().message};
      }
    }
    g.count = specs->size();
    g.outputs = std::make_unique<Pin<bool>[]>(g.count);
    for (std::size_t i = 0; i < g.count; ++i) b.pin("hal_gpio." + (*specs)[i].name + "-out", Dir::kIn, g.outputs[i]);
    g.input_count = input_specs->size();
    g.inputs = std::make_unique<Pin<bool>[]>(g.input_count);
    g.inputs_not = std::make_unique<Pin<bool>[]>(g.input_count);
    for (std::size_t i = 0; i < g.input_count; ++i) {
      const std::string n = "hal_gpio." + (*input_specs)[i].name;
      b.pin(n + "-in", Dir::kOut, g.inputs[i]);
      b.pin(n + "-in-not", Dir::kOut, g.inputs_not[i], true);
    }
    if (g.count > 0) b.function("hal_gpio.write", &write_outputs, &g);
    if (g.input_count > 0) b.function("hal_gpio.read", &read_inputs, &g);
    return Ok{};
  });
}

}  // namespace rtstep::hal

// Fuzz target: the MCU's data dictionary and the messages it defines (src/mcu/dictionary.hpp).
//
// The first byte chooses what the rest is:
//   0: a block payload decoded with a fixed, valid dictionary (the MCU speaking garbage);
//   1: a dictionary's JSON text, then a NUL, then a payload decoded with it;
//   2: the same, but the dictionary zlib-compressed (as identify delivers it) — the fuzzer's bytes are
//      inflated as they are, so corrupt streams reach zlib too;
//   3: identify_response chunks (each a length byte and bytes) through IdentifyFetcher, then inflated.
// Invariants:
// - a dictionary either loads or fails with a message starting "MCU data dictionary: ";
// - a loaded one is consistent: every message found by id is found by name with the same id (output
//   messages excepted), and every enumeration entry's value maps back to a name;
// - decoding never reads past the payload: decode() either fails leaving `pos` unchanged, or advances it
//   to at most the payload's end; decode_all() of the whole payload equals decoding message by message;
// - a decoded command re-encodes (when its values fit the types) to bytes that decode to the same fields.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "mcu/dictionary.hpp"

namespace {

namespace mcu = rtstep::mcu;

const char kFixedJson[] = R"({
  "version": "fuzz",
  "commands": {"get_clock": 3, "queue_step oid=%c interval=%u count=%hu add=%hi": 21,
               "config_stepper oid=%c step_pin=%c dir_pin=%c invert_step=%c step_pulse_ticks=%u": 20,
               "spi_send oid=%c data=%*s": -3, "set_pwm oid=%c value=%hu": 200},
  "responses": {"clock clock=%u": 81, "stepper_position oid=%c pos=%i": 85,
                "shutdown clock=%u static_string_id=%hu": 83, "analog_in_state oid=%c next_clock=%u values=%*s": 300,
                "starting": -10},
  "output": {"Stepper %c at %i (%s) %.*s %*s %hu %hi 100%%": 90},
  "config": {"CLOCK_FREQ": 16000000},
  "enumerations": {"pin": {"PA0": [0, 16], "PC13": 45}, "static_string_id": {"Timer too close": 3}}
})";

const mcu::Dictionary& fixed_dictionary() {
  static const mcu::Dictionary d = [] {
    auto r = mcu::Dictionary::parse_json(kFixedJson);
    FUZZ_CHECK(r.ok(), "the fixed dictionary does not load");
    return std::move(r).value();
  }();
  return d;
}

void check_dictionary(const mcu::Dictionary& d) {
  for (int32_t id = -40; id < 400; ++id) {
    const mcu::MessageFormat* m = d.find_id(id);
    if (m == nullptr) continue;
    FUZZ_CHECK(m->id == id, "message found under another id");
    if (m->kind == mcu::MessageKind::kOutput) continue;
    const mcu::MessageFormat* by_name = d.find(m->name);
    FUZZ_CHECK(by_name != nullptr && by_name->id == id, "message " + m->name + " not found by its name");
  }
  for (const auto& [name, values] : d.enumerations()) {
    for (const auto& [key, value] : values) {
      const auto back = d.enum_value(name, key);
      FUZZ_CHECK(back && *back == value, "enumeration " + name + " entry " + key + " does not look up");
    }
  }
}

void check_payload(const mcu::Dictionary& d, std::span<const uint8_t> payload) {
  std::vector<mcu::Message> one_by_one;
  std::size_t pos = 0;
  bool failed = false;
  while (pos < payload.size()) {
    const std::size_t before = pos;
    auto m = d.decode(payload, pos);
    if (!m.ok()) {
      FUZZ_CHECK(pos == before, "a failed decode moved pos");
      failed = true;
      break;
    }
    FUZZ_CHECK(pos > before && pos <= payload.size(), "decode moved pos outside the payload");
    // A command decoded re-encodes to the same fields (when the values fit: decoding does not clamp).
    const mcu::MessageFormat* f = d.find(m->name);
    if (f != nullptr && f->kind == mcu::MessageKind::kCommand) {
      std::vector<mcu::Arg> args;
      for (const auto& [field, value] : m->fields) args.push_back({field, value});
      std::vector<uint8_t> again;
      if (d.encode(m->name, args, again).ok()) {
        std::size_t p2 = 0;
        auto back = d.decode(again, p2);
        FUZZ_CHECK(back.ok() && p2 == again.size(), "re-encoded " + m->name + " does not decode");
        FUZZ_CHECK(back->fields == m->fields, "re-encoded " + m->name + " decodes to other fields");
      }
    }
    one_by_one.push_back(std::move(m.value()));
  }
  const auto all = d.decode_all(payload);
  FUZZ_CHECK(all.ok() != failed, "decode_all and decode disagree on success");
  if (all.ok()) {
    FUZZ_CHECK(all->size() == one_by_one.size(), "decode_all found another number of messages");
    for (std::size_t i = 0; i < one_by_one.size(); ++i) {
      FUZZ_CHECK((*all)[i].name == one_by_one[i].name && (*all)[i].fields == one_by_one[i].fields, "decode_all differs");
    }
  }
}

void check_loaded(const rtstep::Result<mcu::Dictionary>& d, std::span<const uint8_t> payload) {
  if (!d.ok()) {
    FUZZ_CHECK(rtstep::fuzz::starts_with(d.error().message, "MCU data dictionary: "), d.error().message);
    return;
  }
  check_dictionary(d.value());
  check_payload(d.value(), payload);
  (void)d->constant_number("CLOCK_FREQ");
  (void)d->require({"queue_step", "get_clock"});
  (void)mcu::require_rtstep_core(d.value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 4;
  const std::span<const uint8_t> rest(data + 1, size - 1);
  // Dictionary bytes up to the first NUL, payload after it.
  std::size_t nul = 0;
  while (nul < rest.size() && rest[nul] != 0) ++nul;
  const auto head = rest.first(nul);
  const auto payload = nul < rest.size() ? rest.subspan(nul + 1) : std::span<const uint8_t>();
  switch (mode) {
    case 0:
      check_payload(fixed_dictionary(), rest);
      break;
    case 1:
      check_loaded(mcu::Dictionary::parse_json({reinterpret_cast<const char*>(head.data()), head.size()}), payload);
      break;
    case 2:
      check_loaded(mcu::Dictionary::parse_compressed(mcu::deflate_zlib({reinterpret_cast<const char*>(head.data()), head.size()})),
                   payload);
      check_loaded(mcu::Dictionary::parse_compressed(rest), {});
      break;
    case 3: {
      mcu::IdentifyFetcher fetch;
      std::size_t pos = 0;
      while (pos < rest.size() && !fetch.done()) {
        const std::size_t n = std::min<std::size_t>(rest[pos], rest.size() - pos - 1);
        const mcu::Message chunk{"identify_response",
                                 {{"offset", static_cast<int64_t>(fetch.data().size())},
                                  {"data", std::string(reinterpret_cast<const char*>(rest.data() + pos + 1), n)}}};
        const auto r = fetch.on_response(chunk);
        FUZZ_CHECK(r.ok(), r.error().message);
        FUZZ_CHECK(*r == (n == 0), "fetch done without an empty chunk");
        pos += 1 + n;
      }
      check_loaded(mcu::Dictionary::parse_compressed(fetch.data()), {});
      break;
    }
  }
  return 0;
}

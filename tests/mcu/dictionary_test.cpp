// dictionary.hpp: the data dictionary fetched by identify, commands encoded by name, responses decoded.

#include "mcu/dictionary.hpp"

#include <gtest/gtest.h>

#include "mcu/framing.hpp"
#include "test_dictionary.hpp"

namespace rtstep::mcu {
namespace {

Dictionary test_dictionary() {
  auto d = Dictionary::parse_compressed(deflate_zlib(test::kDictionaryJson));
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message);
  return std::move(d).value();
}

std::vector<uint8_t> encoded(const Dictionary& d, std::string_view name, std::initializer_list<Arg> args) {
  std::vector<uint8_t> out;
  const Status s = d.encode(name, args, out);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return out;
}

TEST(Dictionary, FetchedInFortyByteChunksByIdentify) {
  const std::vector<uint8_t> compressed = deflate_zlib(test::kDictionaryJson);
  ASSERT_GT(compressed.size(), 200u);
  const Dictionary boot = Dictionary::bootstrap();
  IdentifyFetcher fetch;
  int requests = 0;
  while (!fetch.done()) {
    ASSERT_LT(++requests, 1000);
    // The request, as the MCU decodes it with the fixed id 1.
    const std::vector<uint8_t> req = fetch.request();
    ASSERT_EQ(req[0], 1);
    std::size_t pos = 0;
    const auto cmd = boot.decode(req, pos);
    ASSERT_TRUE(cmd.ok());
    ASSERT_EQ(cmd->name, "identify");
    const auto offset = static_cast<std::size_t>(*cmd->integer("offset"));
    const auto count = static_cast<std::size_t>(*cmd->integer("count"));
    EXPECT_EQ(count, 40u);
    // The MCU's answer: identify_response (id 0) with up to `count` bytes at `offset`.
    const std::size_t n = offset < compressed.size() ? std::min(count, compressed.size() - offset) : 0;
    const std::string chunk(reinterpret_cast<const char*>(compressed.data() + offset), n);
    std::vector<uint8_t> resp = {0};
    append_vlq(resp, static_cast<uint32_t>(offset));
    resp.push_back(static_cast<uint8_t>(n));
    resp.insert(resp.end(), chunk.begin(), chunk.end());
    ASSERT_LE(resp.size(), kPayloadMax);
    pos = 0;
    const auto msg = boot.decode(resp, pos);
    ASSERT_TRUE(msg.ok()) << msg.error().message;
    ASSERT_TRUE(fetch.on_response(*msg).ok());
  }
  EXPECT_EQ(requests, static_cast<int>((compressed.size() + 39) / 40) + 1);
  EXPECT_EQ(fetch.data(), compressed);
  const auto d = Dictionary::parse_compressed(fetch.data());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->version(), "v0.13.0-test");
}

TEST(Dictionary, IdentifyRejectsAResponseForAnotherOffset) {
  IdentifyFetcher fetch;
  const Message wrong{"identify_response", {{"offset", int64_t{40}}, {"data", std::string("xyz")}}};
  const auto r = fetch.on_response(wrong);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("offset 40"), std::string::npos);
  EXPECT_TRUE(fetch.data().empty());
}

TEST(Dictionary, ConstantsFromTheDictionary) {
  const Dictionary d = test_dictionary();
  EXPECT_EQ(*d.constant_integer("CLOCK_FREQ"), 72000000);
  EXPECT_EQ(*d.constant_integer("ADC_MAX"), 4095);
  EXPECT_EQ(*d.constant_integer("PWM_MAX"), 255);
  EXPECT_EQ(*d.constant_integer("STEPPER_STEP_BOTH_EDGE"), 1);
  EXPECT_EQ(*d.constant("MCU"), "stm32f103xe");
  EXPECT_DOUBLE_EQ(*d.constant_number("ADC_REFERENCE"), 3.3);
  EXPECT_FALSE(d.constant_integer("ADC_REFERENCE").ok());
  EXPECT_FALSE(d.constant_number("MCU").ok());
  const auto missing = d.constant_number("NO_SUCH");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("NO_SUCH"), std::string::npos);
}

TEST(Dictionary, EnumerationRangesExpand) {
  const Dictionary d = test_dictionary();
  EXPECT_EQ(*d.enum_value("pin", "PA0"), 0);
  EXPECT_EQ(*d.enum_value("pin", "PA15"), 15);
  EXPECT_FALSE(d.enum_value("pin", "PA16").has_value());
  EXPECT_EQ(*d.enum_value("pin", "PB2"), 18);
  EXPECT_EQ(*d.enum_value("pin", "PC13"), 45);
  EXPECT_EQ(*d.enum_value("pin", "gpio0"), 64);  // a range without a number starts at 0
  EXPECT_EQ(*d.enum_value("pin", "gpio3"), 67);
  EXPECT_EQ(*d.enum_value("static_string_id", "Timer too close"), 3);
  EXPECT_EQ(d.enumerations().at("pin").size(), 16u + 16u + 1u + 4u);
}

TEST(Dictionary, EncodesCommandsByNameWithPinNames) {
  const Dictionary d = test_dictionary();
  const auto m = encoded(d, "config_stepper",
                         {{"oid", int64_t{2}}, {"step_pin", std::string("PB2")}, {"dir_pin", std::string("PA15")},
                          {"invert_step", int64_t{-1}}, {"step_pulse_ticks", int64_t{0}}});
  EXPECT_EQ(m, (std::vector<uint8_t>{20, 2, 18, 15, 0x7F, 0}));
  // Two-byte and negative ids are VLQs like any integer.
  EXPECT_EQ(encoded(d, "config_analog_in", {{"oid", int64_t{1}}, {"pin", std::string("PA3")}}),
            (std::vector<uint8_t>{0x81, 0x0C, 1, 3}));
  EXPECT_EQ(encoded(d, "spi_send", {{"oid", int64_t{0}}, {"data", std::string("\x01\x02", 2)}}),
            (std::vector<uint8_t>{0x7D, 0, 2, 1, 2}));
  EXPECT_EQ(encoded(d, "get_clock", {}), std::vector<uint8_t>{3});
}

TEST(Dictionary, EncodeTextMatchesEncodeByName) {
  const Dictionary d = test_dictionary();
  std::vector<uint8_t> text;
  ASSERT_TRUE(d.encode_text("queue_step oid=3 interval=0x1000 count=200 add=-7", text).ok());
  EXPECT_EQ(text, encoded(d, "queue_step",
                          {{"add", int64_t{-7}}, {"count", int64_t{200}}, {"interval", int64_t{4096}}, {"oid", int64_t{3}}}));
  std::vector<uint8_t> pin;
  ASSERT_TRUE(d.encode_text("config_digital_out oid=4 pin=PC13 value=0 default_value=0 max_duration=72000000", pin).ok());
  EXPECT_EQ(pin[2], 45);
  std::vector<uint8_t> spi;
  ASSERT_TRUE(d.encode_text("spi_send oid=1 data=0aff", spi).ok());
  EXPECT_EQ(spi, (std::vector<uint8_t>{0x7D, 1, 2, 0x0A, 0xFF}));
}

TEST(Dictionary, EncodeErrorsNameTheCommandAndParameter) {
  const Dictionary d = test_dictionary();
  std::vector<uint8_t> out;
  const auto error_of = [&](Status s) { return s.ok() ? std::string("ok") : s.error().message; };
  EXPECT_NE(error_of(d.encode("queue_step", {{"oid", int64_t{1}}}, out)).find("needs parameter 'interval'"), std::string::npos);
  EXPECT_NE(error_of(d.encode("get_clock", {{"x", int64_t{1}}}, out)).find("no parameter 'x'"), std::string::npos);
  EXPECT_NE(error_of(d.encode("queue_step", {{"oid", int64_t{1}}, {"interval", int64_t{1}}, {"count", int64_t{70000}}, {"add", int64_t{0}}}, out))
                .find("'count': 70000 outside 0..65535"),
            std::string::npos);
  EXPECT_NE(error_of(d.encode("config_analog_in", {{"oid", int64_t{1}}, {"pin", std::string("PZ9")}}, out)).find("unknown pin 'PZ9'"),
            std::string::npos);
  EXPECT_NE(error_of(d.encode("clock", {{"clock", int64_t{1}}}, out)).find("'clock' is a response"), std::string::npos);
  EXPECT_NE(error_of(d.encode("trsync_start", {}, out)).find("lacks the command 'trsync_start'"), std::string::npos);
  EXPECT_NE(error_of(d.encode_text("queue_step oid=1 interval=abc count=1 add=0", out)).find("not an integer"), std::string::npos);
  EXPECT_TRUE(out.empty());  // nothing half-written
}

TEST(Dictionary, DecodesResponsesWithEnumeratedAndSignedFields) {
  const Dictionary d = test_dictionary();
  std::vector<uint8_t> payload = {83};  // shutdown clock=%u static_string_id=%hu
  append_vlq(payload, 0xFFFFFFF0u);
  append_vlq(payload, 3);
  payload.push_back(85);  // stepper_position oid=%c pos=%i
  payload.push_back(1);
  append_vlq(payload, static_cast<uint32_t>(-12345));
  payload.push_back(0x76);  // starting (id -10)
  const auto msgs = d.decode_all(payload);
  ASSERT_TRUE(msgs.ok()) << msgs.error().message;
  ASSERT_EQ(msgs->size(), 3u);
  EXPECT_EQ((*msgs)[0].name, "shutdown");
  EXPECT_EQ(*(*msgs)[0].integer("clock"), 0xFFFFFFF0LL);
  EXPECT_EQ(*(*msgs)[0].text("static_string_id"), "Timer too close");
  EXPECT_EQ(*(*msgs)[1].integer("pos"), -12345);
  EXPECT_EQ((*msgs)[2].name, "starting");
}

TEST(Dictionary, DecodesTheBatchedAdcReport) {
  const Dictionary d = test_dictionary();
  std::vector<uint8_t> payload = {0x82, 0x2C, 4};  // analog_in_state (id 300) oid=4
  append_vlq(payload, 123456789);
  payload.insert(payload.end(), {4, 0x34, 0x12, 0xFF, 0x0F});  // two little-endian u16 sums
  std::size_t pos = 0;
  const auto m = d.decode(payload, pos);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->name, "analog_in_state");
  EXPECT_EQ(*m->integer("next_clock"), 123456789);
  EXPECT_EQ(*m->text("values"), std::string("\x34\x12\xFF\x0F", 4));
  EXPECT_EQ(pos, payload.size());
}

TEST(Dictionary, DecodesOutputMessagesToText) {
  const Dictionary d = test_dictionary();
  std::vector<uint8_t> payload = {90, 7};
  append_vlq(payload, static_cast<uint32_t>(-5));
  payload.insert(payload.end(), {2, 'o', 'k'});
  std::size_t pos = 0;
  const auto m = d.decode(payload, pos);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->name, "#output");
  EXPECT_EQ(*m->text("#msg"), "Stepper 7 at -5 (ok) 100%");
}

TEST(Dictionary, DecodeErrorsForUnknownIdsAndTruncation) {
  const Dictionary d = test_dictionary();
  std::size_t pos = 0;
  const std::vector<uint8_t> unknown = {60};
  ASSERT_FALSE(d.decode(unknown, pos).ok());
  EXPECT_NE(d.decode(unknown, pos).error().message.find("unknown message id 60"), std::string::npos);
  const std::vector<uint8_t> cut = {85, 1};  // stepper_position without pos
  EXPECT_FALSE(d.decode(cut, pos).ok());
  const std::vector<uint8_t> long_string = {0x82, 0x2C, 4, 1, 9, 1, 2};  // says 9 bytes, has 2
  EXPECT_FALSE(d.decode(long_string, pos).ok());
  EXPECT_EQ(pos, 0u);
  const auto undecoded = d.decode_all(std::vector<uint8_t>{81, 5, 60});
  EXPECT_FALSE(undecoded.ok());
}

TEST(Dictionary, EncodeThenDecodeRoundTripsEveryCommand) {
  const Dictionary d = test_dictionary();
  std::vector<uint8_t> out;
  ASSERT_TRUE(d.encode_text("query_analog_in oid=1 clock=4000000000 sample_ticks=720 sample_count=8 rest_ticks=7200000 "
                            "bytes_per_report=8 min_value=100 max_value=65000 range_check_count=4",
                            out)
                  .ok());
  std::size_t pos = 0;
  const auto m = d.decode(out, pos);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m->integer("clock"), 4000000000LL);
  EXPECT_EQ(*m->integer("max_value"), 65000);
  EXPECT_EQ(*m->integer("range_check_count"), 4);
}

TEST(Dictionary, RequireNamesTheMissingCommand) {
  const Dictionary d = test_dictionary();
  EXPECT_TRUE(d.require({"queue_step", "set_next_step_dir", "reset_step_clock", "get_clock"}).ok());
  const Status s = d.require({"queue_step", "endstop_home", "trsync_start"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("'endstop_home'"), std::string::npos);
  EXPECT_NE(s.error().message.find("v0.13.0-test"), std::string::npos);
  EXPECT_TRUE(d.require_format("queue_step oid=%c interval=%u count=%hu add=%hi").ok());
  const Status old_adc = d.require_format("query_analog_in oid=%c clock=%u sample_ticks=%u sample_count=%c rest_ticks=%u "
                                          "min_value=%hu max_value=%hu range_check_count=%c");
  ASSERT_FALSE(old_adc.ok());
  EXPECT_NE(old_adc.error().message.find("bytes_per_report"), std::string::npos);
}

TEST(Dictionary, CoreRequirementsOfRtstep) {
  EXPECT_TRUE(require_rtstep_core(test_dictionary()).ok());
  const auto without = [](const std::string& drop) {
    std::string json = test::kDictionaryJson;
    const std::size_t at = json.find(drop);
    EXPECT_NE(at, std::string::npos) << drop;
    json.erase(at, drop.size());
    auto d = Dictionary::parse_json(json);
    EXPECT_TRUE(d.ok()) << drop;
    const Status s = require_rtstep_core(d.value());
    return s.ok() ? std::string("ok") : s.error().message;
  };
  EXPECT_NE(without(R"("reset_step_clock oid=%c clock=%u": 23,)").find("'reset_step_clock'"), std::string::npos);
  EXPECT_NE(without(R"("CLOCK_FREQ": 72000000,)").find("'CLOCK_FREQ'"), std::string::npos);
  // A firmware whose queue_step changed shape is refused with both formats named.
  const std::string old_format = R"("queue_step oid=%c interval=%u count=%hu add=%hi": 21,)";
  std::string json = test::kDictionaryJson;
  json.replace(json.find(old_format), old_format.size(), R"("queue_step oid=%c interval=%u count=%u add=%i": 21,)");
  const Status s = require_rtstep_core(Dictionary::parse_json(json).value());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("count=%u add=%i"), std::string::npos);
}

TEST(Dictionary, RefusesMalformedDictionaries) {
  const std::pair<const char*, const char*> cases[] = {
      {"[1,2]", "not a JSON object"},
      {"{\"responses\": {}}", "no \"commands\""},
      {"{\"commands\": {\"a x=%q\": 5}, \"responses\": {}}", "bad parameter \"x=%q\""},
      {"{\"commands\": {\"a\": 5, \"b\": 5}, \"responses\": {}}", "id 5 names both"},
      {"{\"commands\": {\"identify x=%u\": 1}, \"responses\": {}}", "id 1 names both"},
      {"{\"commands\": {\"a\": \"5\"}, \"responses\": {}}", "not an integer"},
      {"{\"commands\": {\"a\": 18446744073709551615}, \"responses\": {}}", "not an integer"},
      {"{\"commands\": {\"a\": 4294967296}, \"responses\": {}}", "out of range"},
      {"{\"commands\": {}, \"responses\": {}, \"enumerations\": {\"pin\": {\"PA0\": [0]}}}", "neither a number nor"},
      {"{\"commands\": {}, \"responses\": {}, \"enumerations\": {\"pin\": {\"PA0\": [0, 100000000]}}}", "out of bounds"},
      {"{\"commands\": {}, \"responses\": {}, \"output\": {\"x %q\": 9}}", "bad output format"},
  };
  for (const auto& [json, expected] : cases) {
    const auto d = Dictionary::parse_json(json);
    ASSERT_FALSE(d.ok()) << json;
    EXPECT_NE(d.error().message.find(expected), std::string::npos) << d.error().message;
    EXPECT_EQ(d.error().message.rfind("MCU data dictionary: ", 0), 0u);
  }
}

TEST(Dictionary, RefusesCorruptOrTruncatedCompression) {
  std::vector<uint8_t> z = deflate_zlib(test::kDictionaryJson);
  const auto truncated = Dictionary::parse_compressed(std::span<const uint8_t>(z).first(z.size() / 2));
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("zlib"), std::string::npos);
  z[z.size() / 2] ^= 0x55;
  EXPECT_FALSE(Dictionary::parse_compressed(z).ok());
  const auto big = inflate_zlib(deflate_zlib(std::string(100000, 'a')), 1000);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("1000 bytes"), std::string::npos);
}

}  // namespace
}  // namespace rtstep::mcu

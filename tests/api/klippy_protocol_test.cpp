// The API socket's wire format as pure logic: framing across reads, request validation, reply shapes.

#include "api/klippy_protocol.hpp"

#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

namespace rtstep::api {
namespace {

TEST(Framer, SplitsSeveralMessagesPerReadAndJoinsOneAcrossReads) {
  Framer framer;
  std::vector<std::string> out;
  ASSERT_TRUE(framer.feed("{\"a\":1}\x03{\"b\"", out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "{\"a\":1}");
  ASSERT_TRUE(framer.feed(":2}", out));
  EXPECT_EQ(out.size(), 1u);
  ASSERT_TRUE(framer.feed("\x03{}\x03{}\x03", out));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[1], "{\"b\":2}");
  EXPECT_EQ(framer.pending_bytes(), 0u);
}

TEST(Framer, AMessageOverTheLimitFailsWhetherOrNotItIsComplete) {
  Framer framer(10);
  std::vector<std::string> out;
  EXPECT_TRUE(framer.feed(std::string(10, 'x') + "\x03", out));
  EXPECT_FALSE(Framer(10).feed(std::string(11, 'x') + "\x03", out));
  Framer partial(10);
  EXPECT_TRUE(partial.feed(std::string(6, 'x'), out));
  EXPECT_FALSE(partial.feed(std::string(6, 'x'), out));
}

TEST(ParseRequest, KeepsTheIdVerbatim) {
  const auto big = std::get<ParsedRequest>(parse_request(R"({"id": 9223372036854775807, "method": "info"})"));
  EXPECT_EQ(big.id.get<int64_t>(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(encode_frame(make_result(big.id, Json::object())), "{\"id\":9223372036854775807,\"result\":{}}\x03");
  const auto huge = std::get<ParsedRequest>(parse_request(R"({"id": 18446744073709551615, "method": "info"})"));
  EXPECT_EQ(encode_frame(make_result(huge.id, Json::object())), "{\"id\":18446744073709551615,\"result\":{}}\x03");
  const auto text = std::get<ParsedRequest>(parse_request(R"({"id": "abc", "method": "info", "params": {"x": 1}})"));
  EXPECT_EQ(text.id, "abc");
  EXPECT_EQ(text.params, Json::parse(R"({"x": 1})"));
  EXPECT_TRUE(std::get<ParsedRequest>(parse_request(R"({"method": "info"})")).id.is_null());
}

TEST(ParseRequest, NamesWhatIsWrong) {
  const auto error = [](std::string_view message) { return std::get<RequestError>(parse_request(message)); };
  EXPECT_EQ(error("{\"id\": 1, ").message.rfind("Malformed JSON: ", 0), 0u);
  EXPECT_TRUE(error("{\"id\": 1, ").id.is_null());
  EXPECT_EQ(error("[1, 2]").message, "Invalid request: not a JSON object");
  EXPECT_EQ(error(R"({"id": 5})").message, "Invalid request: missing 'method'");
  EXPECT_EQ(error(R"({"id": 5})").id, 5);
  EXPECT_EQ(error(R"({"id": 5, "method": 3})").message, "Invalid request: 'method' is not a string");
  EXPECT_EQ(error(R"({"id": 5, "method": "info", "params": []})").message,
            "Invalid request: 'params' is not an object");
}

TEST(Replies, HaveKlippersShapes) {
  EXPECT_EQ(make_error(3, "boom"),
            Json::parse(R"({"id": 3, "error": {"error": "WebRequestError", "message": "boom"}})"));
  EXPECT_EQ(get_string(Json::object(), "script").error().message, "Missing Argument [script]");
  EXPECT_EQ(get_string(Json{{"script", 1}}, "script").error().message, "Invalid Argument Type [script]");
  EXPECT_EQ(get_object(Json::object(), "t", Json::object()).value(), Json::object());
  EXPECT_EQ(get_object(Json{{"t", "x"}}, "t", Json::object()).error().message, "Invalid Argument Type [t]");
}

TEST(Replies, InvalidUtf8IsReplacedNeverThrown) {
  const std::string frame = encode_frame(Json{{"response", std::string("bad \xff byte")}});
  EXPECT_EQ(frame.back(), '\x03');
  EXPECT_NE(frame.find("bad "), std::string::npos);
}

}  // namespace
}  // namespace rtstep::api

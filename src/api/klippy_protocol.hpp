#pragma once
// Klipper's API wire format as pure logic (no sockets): framing, request validation and reply shapes.
//
//   framing   JSON objects, each terminated by one 0x03 byte; any number per read, split anywhere.
//   request   {"id": any JSON value, "method": "<endpoint>", "params": {…}}; no id (or null): no reply.
//   reply     {"id": <id verbatim>, "result": {…}} or {"id": …, "error": {"error": "WebRequestError",
//             "message": "…"}} (klippy/webhooks.py). Ids are copied as parsed, so 2^63-1 and 2^64-1 come back
//             exact as 64-bit integers, and strings or floats come back as they were.
// Non-real-time. Framer is not thread-safe: one owner (a client session).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/api.hpp"

namespace rtstep::api {

inline constexpr char kMessageEnd = '\x03';
inline constexpr std::size_t kMaxMessageBytes = std::size_t{1} << 20;  // 1 MiB: larger drops the client

// Splits a byte stream into messages.
class Framer {
 public:
  explicit Framer(std::size_t max_message = kMaxMessageBytes) : max_message_(max_message) {}

  // Appends `bytes` and moves every complete message (terminator removed) into `out`. False when a message
  // is longer than the limit (complete or not): the stream cannot be trusted any more, drop the client.
  [[nodiscard]] bool feed(std::string_view bytes, std::vector<std::string>& out);
  std::size_t pending_bytes() const noexcept { return partial_.size(); }

 private:
  std::string partial_;
  std::size_t max_message_;
};

struct ParsedRequest {
  Json id;  // null when absent: no reply
  std::string method;
  Json params = Json::object();
};

// A message that is JSON but not a valid request still carries its id, so it can be answered.
struct RequestError {
  Json id;              // null when the message had none (or was not JSON): log only, no reply
  std::string message;  // "Malformed JSON: …", "Invalid request: …"
};

// Parses one message. Klipper decodes {"id", "method": string, "params": object (default {})}; anything else
// is rejected with the reason.
std::variant<ParsedRequest, RequestError> parse_request(std::string_view message);

// Reply bodies. `id` must not be null (the caller sends nothing then).
Json make_result(const Json& id, Json result);
Json make_error(const Json& id, const std::string& message);

// One outgoing frame: compact JSON (invalid UTF-8 replaced, never a throw) and the terminator.
std::string encode_frame(const Json& message);

// Klipper's parameter getters: "Missing Argument [name]" / "Invalid Argument Type [name]".
Result<std::string> get_string(const Json& params, const std::string& name);
Result<Json> get_object(const Json& params, const std::string& name, std::optional<Json> fallback = std::nullopt);

}  // namespace rtstep::api

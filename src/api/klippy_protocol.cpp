// Framing, request parsing and reply shapes of Klipper's API socket (klippy_protocol.hpp).

#include "api/klippy_protocol.hpp"

#include <utility>
#include <variant>

namespace rtstep::api {

bool Framer::feed(std::string_view bytes, std::vector<std::string>& out) {
  while (!bytes.empty()) {
    const std::size_t end = bytes.find(kMessageEnd);
    const std::size_t take = end == std::string_view::npos ? bytes.size() : end;
    if (partial_.size() + take > max_message_) return false;
    partial_.append(bytes.substr(0, take));
    if (end == std::string_view::npos) break;
    out.push_back(std::move(partial_));
    partial_.clear();
    bytes.remove_prefix(end + 1);
  }
  return true;
}

std::variant<ParsedRequest, RequestError> parse_request(std::string_view message) {
  Json parsed;
  try {
    parsed = Json::parse(message);
  } catch (const Json::parse_error& e) {
    return RequestError{nullptr, std::string("Malformed JSON: ") + e.what()};
  }
  if (!parsed.is_object()) return RequestError{nullptr, "Invalid request: not a JSON object"};
  ParsedRequest request;
  if (const auto id = parsed.find("id"); id != parsed.end()) request.id = *id;
  const auto method = parsed.find("method");
  if (method == parsed.end()) return RequestError{request.id, "Invalid request: missing 'method'"};
  if (!method->is_string()) return RequestError{request.id, "Invalid request: 'method' is not a string"};
  request.method = method->get<std::string>();
  if (const auto params = parsed.find("params"); params != parsed.end()) {
    if (!params->is_object()) return RequestError{request.id, "Invalid request: 'params' is not an object"};
    request.params = *params;
  }
  return request;
}

Json make_result(const Json& id, Json result) { return Json{{"id", id}, {"result", std::move(result)}}; }

Json make_error(const Json& id, const std::string& message) {
  return Json{{"id", id}, {"error", Json{{"error", "WebRequestError"}, {"message", message}}}};
}

std::string encode_frame(const Json& message) {
  std::string frame = message.dump(-1, ' ', false, Json::error_handler_t::replace);
  frame.push_back(kMessageEnd);
  return frame;
}

Result<std::string> get_string(const Json& params, const std::string& name) {
  const auto it = params.find(name);
  if (it == params.end()) return Error{"Missing Argument [" + name + "]"};
  if (!it->is_string()) return Error{"Invalid Argument Type [" + name + "]"};
  return it->get<std::string>();
}

Result<Json> get_object(const Json& params, const std::string& name, std::optional<Json> fallback) {
  const auto it = params.find(name);
  if (it == params.end()) {
    if (fallback) return std::move(*fallback);
    return Error{"Missing Argument [" + name + "]"};
  }
  if (!it->is_object()) return Error{"Invalid Argument Type [" + name + "]"};
  return *it;
}

}  // namespace rtstep::api

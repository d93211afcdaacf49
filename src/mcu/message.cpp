// Encoding commands and decoding responses with a Dictionary's formats (dictionary.hpp), and the identify
// exchange that fetches the dictionary itself.

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "mcu/dictionary.hpp"
#include "mcu/framing.hpp"

namespace rtstep::mcu {

namespace {

bool is_bytes(ParamType t) {
  return t == ParamType::kString || t == ParamType::kProgmemBuffer || t == ParamType::kBuffer;
}

bool is_signed(ParamType t) { return t == ParamType::kI32 || t == ParamType::kI16; }

// The integers a parameter of type `t` may carry. Unsigned 32-bit values are sent modulo 2^32, so a signed
// clock delta passes; %c takes -128 because Klipper's hosts send invert_step=-1.
std::pair<int64_t, int64_t> int_range(ParamType t) {
  switch (t) {
    case ParamType::kU32: return {-(int64_t{1} << 31), (int64_t{1} << 32) - 1};
    case ParamType::kI32: return {-(int64_t{1} << 31), (int64_t{1} << 31) - 1};
    case ParamType::kU16: return {0, 0xFFFF};
    case ParamType::kI16: return {-0x8000, 0x7FFF};
    case ParamType::kByte: return {-0x80, 0xFF};
    default: return {0, 0};
  }
}

// Bytes shown in text (an output message, an error): printable ASCII as is, the rest as \xNN.
std::string printable(std::string_view bytes) {
  std::string s;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && c != '\\') {
      s += c;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      s += hex;
    }
  }
  return s;
}

std::optional<std::string> hex_bytes(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const std::string pair(hex.substr(i, 2));
    char* end = nullptr;
    const long v = std::strtol(pair.c_str(), &end, 16);
    if (end != pair.c_str() + 2) return std::nullopt;
    out += static_cast<char>(v);
  }
  return out;
}

}  // namespace

const Value* Message::find(std::string_view field) const noexcept {
  for (const auto& f : fields) {
    if (f.first == field) return &f.second;
  }
  return nullptr;
}

std::optional<int64_t> Message::integer(std::string_view field) const noexcept {
  const Value* v = find(field);
  if (v == nullptr || !std::holds_alternative<int64_t>(*v)) return std::nullopt;
  return std::get<int64_t>(*v);
}

std::optional<std::string> Message::text(std::string_view field) const {
  const Value* v = find(field);
  if (v == nullptr || !std::holds_alternative<std::string>(*v)) return std::nullopt;
  return std::get<std::string>(*v);
}

Status Dictionary::encode_value(const MessageFormat& m, const ParamFormat& p, const Value& v,
                                std::vector<uint8_t>& out) const {
  const auto where = [&] { return "command '" + m.name + "' parameter '" + p.name + "'"; };
  if (is_bytes(p.type)) {
    if (!std::holds_alternative<std::string>(v)) return Error{where() + ": expected bytes, got a number"};
    const std::string& s = std::get<std::string>(v);
    if (s.size() > 0xFF) return Error{where() + ": " + std::to_string(s.size()) + " bytes, at most 255"};
    out.push_back(static_cast<uint8_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
    return Ok{};
  }
  int64_t n = 0;
  if (std::holds_alternative<std::string>(v)) {
    const std::string& key = std::get<std::string>(v);
    const auto value = p.enumeration.empty() ? std::nullopt : enum_value(p.enumeration, key);
    if (!value) {
      return Error{where() + ": " +
                   (p.enumeration.empty() ? "expected a number, got \"" + printable(key) + "\""
                                          : "unknown " + p.enumeration + " '" + printable(key) + "'")};
    }
    n = *value;
  } else {
    n = std::get<int64_t>(v);
  }
  const auto [lo, hi] = int_range(p.type);
  if (n < lo || n > hi) {
    return Error{where() + ": " + std::to_string(n) + " outside " + std::to_string(lo) + ".." + std::to_string(hi)};
  }
  append_vlq(out, static_cast<uint32_t>(n));
  return Ok{};
}

Status Dictionary::encode(std::string_view name, std::span<const Arg> args, std::vector<uint8_t>& out) const {
  const MessageFormat* m = find(name);
  if (m == nullptr) return require({name});
  if (m->kind != MessageKind::kCommand) return Error{"'" + m->name + "' is a response of the MCU, not a command"};
  for (const Arg& a : args) {
    bool known = false;
    for (const ParamFormat& p : m->params) known = known || p.name == a.name;
    if (!known) return Error{"command '" + m->name + "' has no parameter '" + std::string(a.name) + "'"};
  }
  std::vector<uint8_t> msg;
  append_vlq(msg, static_cast<uint32_t>(m->id));
  for (const ParamFormat& p : m->params) {
    const Arg* arg = nullptr;
    for (const Arg& a : args) {
      if (a.name == p.name) arg = &a;
    }
    if (arg == nullptr) return Error{"command '" + m->name + "' needs parameter '" + p.name + "'"};
    if (Status s = encode_value(*m, p, arg->value, msg); !s) return s;
  }
  if (msg.size() > kPayloadMax) {
    return Error{"command '" + m->name + "' encodes to " + std::to_string(msg.size()) + " bytes, more than a block holds (" +
                 std::to_string(kPayloadMax) + ")"};
  }
  out.insert(out.end(), msg.begin(), msg.end());
  return Ok{};
}

Status Dictionary::encode_text(std::string_view command, std::vector<uint8_t>& out) const {
  std::vector<std::string> words;
  for (std::size_t i = 0; i < command.size();) {
    while (i < command.size() && command[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < command.size() && command[i] != ' ') ++i;
    if (i > start) words.emplace_back(command.substr(start, i - start));
  }
  if (words.empty()) return Error{"empty command"};
  const MessageFormat* m = find(words[0]);
  if (m == nullptr) return require({words[0]});
  if (m->kind != MessageKind::kCommand) return Error{"'" + m->name + "' is a response of the MCU, not a command"};
  std::vector<Arg> args;
  for (std::size_t i = 1; i < words.size(); ++i) {
    const std::size_t eq = words[i].find('=');
    if (eq == std::string::npos) return Error{"command '" + m->name + "': \"" + words[i] + "\" is not name=value"};
    const std::string_view name = std::string_view(words[i]).substr(0, eq);
    const std::string value = words[i].substr(eq + 1);
    const ParamFormat* p = nullptr;
    for (const ParamFormat& q : m->params) p = q.name == name ? &q : p;
    if (p == nullptr) return Error{"command '" + m->name + "' has no parameter '" + std::string(name) + "'"};
    if (is_bytes(p->type)) {
      auto bytes = hex_bytes(value);
      if (!bytes) return Error{"command '" + m->name + "' parameter '" + p->name + "': expected hex digits"};
      args.push_back({name, std::move(*bytes)});
    } else if (!p->enumeration.empty()) {
      args.push_back({name, value});
    } else {
      errno = 0;
      char* end = nullptr;
      const long long n = std::strtoll(value.c_str(), &end, 0);
      if (value.empty() || end != value.c_str() + value.size() || errno != 0) {
        return Error{"command '" + m->name + "' parameter '" + p->name + "': \"" + value + "\" is not an integer"};
      }
      args.push_back({name, int64_t{n}});
    }
  }
  return encode(m->name, args, out);
}

Result<Value> Dictionary::decode_value(const ParamFormat& p, std::span<const uint8_t> payload, std::size_t& pos) const {
  if (is_bytes(p.type)) {
    if (pos >= payload.size() || payload.size() - pos - 1 < payload[pos]) return Error{"string runs past the block"};
    const std::size_t len = payload[pos];
    std::string s(reinterpret_cast<const char*>(payload.data() + pos + 1), len);
    pos += 1 + len;
    return Value{std::move(s)};
  }
  const auto raw = read_vlq(payload, pos);
  if (!raw) return Error{"integer runs past the block or over 5 bytes"};
  const int64_t n = is_signed(p.type) ? int64_t{static_cast<int32_t>(*raw)} : int64_t{*raw};
  if (!p.enumeration.empty()) {
    const auto e = reverse_enumerations_.find(p.enumeration);
    if (e != reverse_enumerations_.end()) {
      const auto it = e->second.find(n);
      return Value{it != e->second.end() ? it->second : "?" + std::to_string(n)};
    }
  }
  return Value{n};
}

Result<Message> Dictionary::decode_output(const MessageFormat& m, std::span<const uint8_t> payload,
                                          std::size_t& pos) const {
  std::vector<Value> values;
  for (const ParamFormat& p : m.params) {
    auto v = decode_value(p, payload, pos);
    if (!v) return Error{"output '" + printable(m.format) + "': " + v.error().message};
    values.push_back(std::move(v.value()));
  }
  // The text with each conversion replaced by its value (bytes shown printable), "%%" by "%".
  std::string text;
  std::size_t next = 0;
  const std::string& f = m.format;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      text += f[i];
    } else if (i + 1 < f.size() && f[i + 1] == '%') {
      text += '%';
      ++i;
    } else if (next < values.size()) {
      const Value& v = values[next++];
      text += std::holds_alternative<int64_t>(v) ? std::to_string(std::get<int64_t>(v)) : printable(std::get<std::string>(v));
      while (i < f.size() && f[i] != 'u' && f[i] != 'i' && f[i] != 'c' && f[i] != 's') ++i;  // to the conversion's end
    }
  }
  return Message{"#output", {{"#msg", Value{std::move(text)}}}};
}

Result<Message> Dictionary::decode(std::span<const uint8_t> payload, std::size_t& pos) const {
  std::size_t p = pos;
  const auto id = read_vlq(payload, p);
  if (!id) return Error{"MCU message: truncated message id"};
  const MessageFormat* m = find_id(static_cast<int32_t>(*id));
  if (m == nullptr) return Error{"MCU message: unknown message id " + std::to_string(static_cast<int32_t>(*id))};
  if (m->kind == MessageKind::kOutput) {
    auto out = decode_output(*m, payload, p);
    if (out) pos = p;
    return out;
  }
  Message msg{m->name, {}};
  for (const ParamFormat& param : m->params) {
    auto v = decode_value(param, payload, p);
    if (!v) return Error{"MCU message '" + m->name + "' parameter '" + param.name + "': " + v.error().message};
    msg.fields.emplace_back(param.name, std::move(v.value()));
  }
  pos = p;
  return msg;
}

Result<std::vector<Message>> Dictionary::decode_all(std::span<const uint8_t> payload) const {
  std::vector<Message> out;
  std::size_t pos = 0;
  while (pos < payload.size()) {
    auto m = decode(payload, pos);
    if (!m) return m.error();
    out.push_back(std::move(m.value()));
  }
  return out;
}

std::vector<uint8_t> IdentifyFetcher::request() const {
  static const Dictionary kBootstrap = Dictionary::bootstrap();
  std::vector<uint8_t> out;
  const Arg args[] = {{"offset", static_cast<int64_t>(data_.size())}, {"count", int64_t{kChunk}}};
  (void)kBootstrap.encode("identify", args, out);  // cannot fail: fixed message, values in range
  return out;
}

Result<bool> IdentifyFetcher::on_response(const Message& response) {
  const auto offset = response.integer("offset");
  const auto data = response.text("data");
  if (response.name != "identify_response" || !offset || !data) return Error{"identify: not an identify_response"};
  if (done_) return true;
  if (static_cast<uint64_t>(*offset) != data_.size()) {
    return Error{"identify: response for offset " + std::to_string(*offset) + ", expected " + std::to_string(data_.size())};
  }
  if (data->empty()) {
    done_ = true;
    return true;
  }
  if (data_.size() + data->size() > kMaxBytes) return Error{"identify: data dictionary larger than " + std::to_string(kMaxBytes) + " bytes"};
  data_.insert(data_.end(), data->begin(), data->end());
  return false;
}

}  // namespace rtstep::mcu

// Dictionary (dictionary.hpp): reading the MCU's data dictionary — inflating it, its message formats,
// constants and enumerations — and the checks a host makes before relying on it.

#include <zlib.h>

#include <cerrno>
#include <cstdlib>
#include <limits>

#include <nlohmann/json.hpp>

#include "mcu/dictionary.hpp"

namespace rtstep::mcu {

namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxEnumEntries = 1u << 16;  // all enumerations together; a real MCU has a few hundred
constexpr std::size_t kMaxParams = 32;             // per message; a 59-byte payload cannot carry more

Error dict_error(const std::string& what) { return Error{"MCU data dictionary: " + what}; }

std::optional<ParamType> param_type(std::string_view fmt) {
  if (fmt == "%u") return ParamType::kU32;
  if (fmt == "%i") return ParamType::kI32;
  if (fmt == "%hu") return ParamType::kU16;
  if (fmt == "%hi") return ParamType::kI16;
  if (fmt == "%c") return ParamType::kByte;
  if (fmt == "%s") return ParamType::kString;
  if (fmt == "%.*s") return ParamType::kProgmemBuffer;
  if (fmt == "%*s") return ParamType::kBuffer;
  return std::nullopt;
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

// The parameters of an output ("printf") format: every % conversion in the text, "%%" excepted.
Result<std::vector<ParamFormat>> output_params(std::string_view format) {
  std::vector<ParamFormat> params;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    if (i + 1 < format.size() && format[i + 1] == '%') {
      ++i;
      continue;
    }
    std::optional<ParamType> type;
    std::size_t len = 2;
    for (; len <= 4 && !type && i + len <= format.size(); ++len) type = param_type(format.substr(i, len));
    if (!type || params.size() == kMaxParams) return dict_error("bad output format \"" + std::string(format) + "\"");
    params.push_back({"", *type, ""});
    i += len - 2;
  }
  return params;
}

std::string constant_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// A JSON integer that fits int64 (an unsigned one above it would wrap), or nullopt.
std::optional<int64_t> json_integer(const json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

// Expands one enumeration entry: a plain value, or [start, count] naming key_root+N.. with start+0..
Status add_enum_entry(std::map<std::string, int64_t, std::less<>>& out, const std::string& key, const json& value,
                      std::size_t& total) {
  if (const auto plain = json_integer(value)) {
    if (++total > kMaxEnumEntries) return dict_error("more than " + std::to_string(kMaxEnumEntries) + " enumeration entries");
    out[key] = *plain;
    return Ok{};
  }
  const auto start = value.is_array() && value.size() == 2 ? json_integer(value[0]) : std::nullopt;
  const auto n = value.is_array() && value.size() == 2 ? json_integer(value[1]) : std::nullopt;
  if (!start || !n) return dict_error("enumeration entry \"" + key + "\" is neither a number nor [start, count]");
  const int64_t start_value = *start, count = *n;
  std::size_t root = key.size();
  while (root > 0 && key[root - 1] >= '0' && key[root - 1] <= '9') --root;
  const std::string digits = key.substr(root);
  if (count < 0 || total + static_cast<uint64_t>(count) > kMaxEnumEntries || digits.size() > 9 ||
      start_value > (int64_t{1} << 40) || start_value < -(int64_t{1} << 40)) {
    return dict_error("enumeration range \"" + key + "\" is out of bounds");
  }
  const int64_t first = digits.empty() ? 0 : std::stoll(digits);
  for (int64_t i = 0; i < count; ++i) out[key.substr(0, root) + std::to_string(first + i)] = start_value + i;
  total += static_cast<std::size_t>(count);
  return Ok{};
}

// The "enumerations" object: each enumeration's entries with ranges expanded, and the reverse maps that
// decoding uses.
Status load_enumerations(const json& doc, std::map<std::string, std::map<std::string, int64_t, std::less<>>, std::less<>>& forward,
                         std::map<std::string, std::map<int64_t, std::string>, std::less<>>& reverse) {
  const auto it = doc.find("enumerations");
  if (it == doc.end()) return Ok{};
  if (!it->is_object()) return dict_error("\"enumerations\" is not an object");
  std::size_t total = 0;
  for (const auto& [name, entries] : it->items()) {
    if (!entries.is_object()) return dict_error("enumeration \"" + name + "\" is not an object");
    auto& values = forward[name];
    for (const auto& [key, value] : entries.items()) {
      if (Status s = add_enum_entry(values, key, value, total); !s) return s;
    }
    auto& back = reverse[name];
    for (const auto& [key, value] : values) back.emplace(value, key);  // the first name of a value wins
  }
  return Ok{};
}

}  // namespace

std::vector<uint8_t> deflate_zlib(std::string_view text) {
  uLongf size = compressBound(static_cast<uLong>(text.size()));
  std::vector<uint8_t> out(size);
  const int rc = compress2(out.data(), &size, reinterpret_cast<const Bytef*>(text.data()), static_cast<uLong>(text.size()),
                           Z_BEST_COMPRESSION);
  out.resize(rc == Z_OK ? size : 0);  // cannot fail: the buffer is compressBound() large
  return out;
}

Result<std::string> inflate_zlib(std::span<const uint8_t> data, std::size_t max_bytes) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return Error{"zlib: cannot initialise"};
  std::string out;
  zs.next_in = const_cast<Bytef*>(data.data());  // zlib's API is not const-correct; it does not write
  zs.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  char chunk[16384];
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - zs.avail_out);
    if (out.size() > max_bytes) rc = Z_MEM_ERROR;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) rc = Z_DATA_ERROR;  // input ended before the stream did
  }
  inflateEnd(&zs);
  if (rc == Z_STREAM_END) return out;
  if (out.size() > max_bytes) return Error{"zlib: data inflates past " + std::to_string(max_bytes) + " bytes"};
  return Error{rc == Z_DATA_ERROR ? "zlib: corrupt or truncated data" : "zlib: inflate failed (" + std::to_string(rc) + ")"};
}

Dictionary Dictionary::bootstrap() {
  Dictionary d;
  (void)d.add_message("identify_response offset=%u data=%.*s", 0, MessageKind::kResponse);
  (void)d.add_message("identify offset=%u count=%c", 1, MessageKind::kCommand);
  return d;
}

Status Dictionary::add_message(std::string_view format, int64_t id, MessageKind kind) {
  if (id < std::numeric_limits<int32_t>::min() || id > std::numeric_limits<int32_t>::max()) {
    return dict_error("message id " + std::to_string(id) + " out of range");
  }
  MessageFormat m;
  m.id = static_cast<int32_t>(id);
  m.kind = kind;
  m.format = std::string(format);
  if (kind == MessageKind::kOutput) {
    m.name = "#output";
    auto params = output_params(format);
    if (!params) return params.error();
    m.params = std::move(params.value());
  } else {
    const auto words = split_words(format);
    if (words.empty()) return dict_error("empty message format");
    if (words.size() > kMaxParams + 1) return dict_error("too many parameters in \"" + m.format + "\"");
    m.name = std::string(words[0]);
    for (std::size_t i = 1; i < words.size(); ++i) {
      const std::size_t eq = words[i].find('=');
      const auto type = eq == std::string_view::npos ? std::nullopt : param_type(words[i].substr(eq + 1));
      if (!type || eq == 0) return dict_error("bad parameter \"" + std::string(words[i]) + "\" in \"" + m.format + "\"");
      const std::string name(words[i].substr(0, eq));
      const bool integer = *type != ParamType::kString && *type != ParamType::kProgmemBuffer && *type != ParamType::kBuffer;
      m.params.push_back({name, *type, integer ? enumeration_for(name) : ""});
    }
  }
  if (const auto it = by_id_.find(m.id); it != by_id_.end()) {
    if (it->second.format == m.format && it->second.kind == m.kind) return Ok{};  // identify, listed again
    return dict_error("id " + std::to_string(id) + " names both \"" + it->second.format + "\" and \"" + m.format + "\"");
  }
  if (kind != MessageKind::kOutput) {
    if (by_name_.count(m.name) != 0) return dict_error("message \"" + m.name + "\" defined twice");
    by_name_.emplace(m.name, m.id);
  }
  by_id_.emplace(m.id, std::move(m));
  return Ok{};
}

// An enumeration applies to a parameter named after it or ending in "_<name>" (step_pin, dir_pin: "pin").
std::string Dictionary::enumeration_for(std::string_view param) const {
  for (const auto& [name, values] : enumerations_) {
    if (param == name || (param.size() > name.size() + 1 && param.substr(param.size() - name.size()) == name &&
                          param[param.size() - name.size() - 1] == '_')) {
      return name;
    }
  }
  return "";
}

Result<Dictionary> Dictionary::parse_compressed(std::span<const uint8_t> zlib_data) {
  auto text = inflate_zlib(zlib_data, kMaxJsonBytes);
  if (!text) return dict_error(text.error().message);
  return parse_json(text.value());
}

Result<Dictionary> Dictionary::parse_json(std::string_view text) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return dict_error("not a JSON object");
  Dictionary d = bootstrap();
  // Enumerations first: message parameters look their enumeration up when they are added.
  if (Status s = load_enumerations(doc, d.enumerations_, d.reverse_enumerations_); !s) return s.error();
  const std::pair<const char*, MessageKind> sections[] = {
      {"commands", MessageKind::kCommand}, {"responses", MessageKind::kResponse}, {"output", MessageKind::kOutput}};
  for (const auto& [key, kind] : sections) {
    const auto it = doc.find(key);
    if (it == doc.end()) {
      if (kind == MessageKind::kOutput) continue;
      return dict_error(std::string("no \"") + key + "\"");
    }
    if (!it->is_object()) return dict_error(std::string("\"") + key + "\" is not an object");
    for (const auto& [format, id] : it->items()) {
      const auto n = json_integer(id);
      if (!n) return dict_error("id of \"" + format + "\" is not an integer");
      if (Status s = d.add_message(format, *n, kind); !s) return s.error();
    }
  }
  if (const auto it = doc.find("config"); it != doc.end()) {
    if (!it->is_object()) return dict_error("\"config\" is not an object");
    for (const auto& [name, value] : it->items()) d.constants_[name] = constant_text(value);
  }
  const auto text_of = [&](const char* key) {
    const auto it = doc.find(key);
    return it == doc.end() ? std::string() : constant_text(*it);
  };
  d.version_ = text_of("version");
  d.build_versions_ = text_of("build_versions");
  d.app_ = text_of("app");
  return d;
}

const MessageFormat* Dictionary::find(std::string_view name) const noexcept {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &by_id_.at(it->second);
}

const MessageFormat* Dictionary::find_id(int32_t id) const noexcept {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

Status Dictionary::require(std::initializer_list<std::string_view> names) const {
  for (const std::string_view name : names) {
    if (find(name) == nullptr) {
      return Error{"MCU firmware lacks the command '" + std::string(name) + "' rtstep needs (firmware version " +
                   (version_.empty() ? std::string("unknown") : version_) + "): update or rebuild the firmware"};
    }
  }
  return Ok{};
}

Status Dictionary::require_format(std::string_view format) const {
  const auto words = split_words(format);
  const MessageFormat* m = words.empty() ? nullptr : find(words[0]);
  if (m == nullptr) return require({words.empty() ? format : words[0]});
  if (m->format != format) {
    return Error{"MCU firmware has '" + m->format + "' where rtstep needs '" + std::string(format) +
                 "' (firmware version " + (version_.empty() ? std::string("unknown") : version_) + ")"};
  }
  return Ok{};
}

Status require_rtstep_core(const Dictionary& d) {
  if (Status s = d.require({"get_uptime", "get_clock", "get_config", "allocate_oids", "finalize_config", "emergency_stop",
                            "config_stepper"});
      !s) {
    return s;
  }
  for (const std::string_view format : {"queue_step oid=%c interval=%u count=%hu add=%hi", "set_next_step_dir oid=%c dir=%c",
                                        "reset_step_clock oid=%c clock=%u", "uptime high=%u clock=%u", "clock clock=%u"}) {
    if (Status s = d.require_format(format); !s) return s;
  }
  const auto hz = d.constant_number("CLOCK_FREQ");
  if (!hz) return hz.error();
  if (!(*hz > 0)) return Error{"MCU constant 'CLOCK_FREQ' is not positive: " + *d.constant("CLOCK_FREQ")};
  return Ok{};
}

std::optional<std::string> Dictionary::constant(std::string_view name) const {
  const auto it = constants_.find(name);
  if (it == constants_.end()) return std::nullopt;
  return it->second;
}

Result<double> Dictionary::constant_number(std::string_view name) const {
  const auto text = constant(name);
  if (!text) return Error{"MCU firmware has no constant '" + std::string(name) + "'"};
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text->c_str(), &end);
  if (text->empty() || end != text->c_str() + text->size() || errno != 0) {
    return Error{"MCU constant '" + std::string(name) + "' is not a number: \"" + *text + "\""};
  }
  return v;
}

Result<int64_t> Dictionary::constant_integer(std::string_view name) const {
  const auto text = constant(name);
  if (!text) return Error{"MCU firmware has no constant '" + std::string(name) + "'"};
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text->c_str(), &end, 10);
  if (text->empty() || end != text->c_str() + text->size() || errno != 0) {
    return Error{"MCU constant '" + std::string(name) + "' is not an integer: \"" + *text + "\""};
  }
  return int64_t{v};
}

std::optional<int64_t> Dictionary::enum_value(std::string_view enumeration, std::string_view key) const {
  const auto e = enumerations_.find(enumeration);
  if (e == enumerations_.end()) return std::nullopt;
  const auto it = e->second.find(key);
  if (it == e->second.end()) return std::nullopt;
  return it->second;
}

}  // namespace rtstep::mcu

#pragma once
// The MCU's data dictionary and the messages it defines.
//
// An MCU describes itself in a zlib-compressed JSON dictionary that the host fetches in chunks with
// `identify offset=%u count=%c`, answered by `identify_response offset=%u data=%.*s` — the only two
// messages whose ids the protocol fixes (1 and 0). Everything else comes from the dictionary and differs
// per firmware build:
//   "commands":     {"queue_step oid=%c interval=%u count=%hu add=%hi": 17, ...}   host -> MCU
//   "responses":    {"clock clock=%u": 82, ...}                                    MCU -> host
//   "output":       {"debug %u of %s": 90, ...}                                    printf-style MCU text
//   "config":       {"CLOCK_FREQ": 16000000, "MCU": "stm32f103", "ADC_MAX": 4095, ...}   constants
//   "enumerations": {"pin": {"PA0": [0, 16], "PB0": [16, 16]}, "static_string_id": {"Timer too close": 3}}
// A parameter is `name=%fmt` with %u (uint32), %i (int32), %hu (uint16), %hi (int16), %c (byte) — all sent
// as VLQ integers — or %s, %.*s, %*s (a length byte and bytes). A parameter whose name is an enumeration's
// name or ends in "_<enumeration>" (`step_pin` → "pin") is sent as the enumerated value and decoded back
// to its name. An enumeration entry [start, count] is a range: "PA0": [0, 16] names PA0..PA15 with 0..15.
//
// All of it is non-real-time (the link's thread, at connect time and per message). A Dictionary is
// immutable once built; const member functions may be called from several threads.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "util/result.hpp"

namespace rtstep::mcu {

enum class ParamType : uint8_t { kU32, kI32, kU16, kI16, kByte, kString, kProgmemBuffer, kBuffer };

// A parameter value: an integer, or bytes (strings and buffers; also an enumerated value by name).
using Value = std::variant<int64_t, std::string>;

struct ParamFormat {
  std::string name;
  ParamType type = ParamType::kU32;
  std::string enumeration;  // the enumeration it is looked up in, or empty
};

enum class MessageKind : uint8_t { kCommand, kResponse, kOutput };

struct MessageFormat {
  int32_t id = 0;
  MessageKind kind = MessageKind::kResponse;
  std::string name;    // first word; "#output" for output messages
  std::string format;  // as in the dictionary
  std::vector<ParamFormat> params;  // of an output message: unnamed, in order
};

// A decoded message. Integers of unsigned types are 0..2^32-1, of signed types sign-extended from 32 bits.
// An output message has name "#output" and one field "#msg" with the formatted text.
struct Message {
  std::string name;
  std::vector<std::pair<std::string, Value>> fields;

  const Value* find(std::string_view field) const noexcept;
  // The integer field `field`, or nullopt if absent or not an integer.
  std::optional<int64_t> integer(std::string_view field) const noexcept;
  // The bytes/name field `field`, or nullopt.
  std::optional<std::string> text(std::string_view field) const;
};

struct Arg {
  std::string_view name;
  Value value;
};

class Dictionary {
 public:
  // Only identify and identify_response: what a host knows before it has the MCU's dictionary.
  static Dictionary bootstrap();
  // The dictionary's JSON text. Errors start "MCU data dictionary: " and name what is malformed.
  static Result<Dictionary> parse_json(std::string_view json);
  // The compressed bytes as fetched with identify: inflated (at most kMaxJsonBytes), then parsed.
  static Result<Dictionary> parse_compressed(std::span<const uint8_t> zlib_data);
  static constexpr std::size_t kMaxJsonBytes = 4u << 20;

  // --- messages ---
  const MessageFormat* find(std::string_view name) const noexcept;  // commands and responses by name
  const MessageFormat* find_id(int32_t id) const noexcept;
  // Fails with "MCU firmware lacks the command 'NAME' rtstep needs (...)" for the first absent name.
  Status require(std::initializer_list<std::string_view> names) const;
  // Fails unless `format` is in the dictionary exactly (a firmware whose message changed shape).
  Status require_format(std::string_view format) const;

  // Encodes command `name` with every parameter given by name (in any order; none missing, none extra) and
  // appends it to `out`. An enumerated parameter takes its name (or its number); integers must fit their
  // type (%c also takes -128..-1, as Klipper's `invert_step=-1`), strings at most 255 bytes.
  Status encode(std::string_view name, std::span<const Arg> args, std::vector<uint8_t>& out) const;
  Status encode(std::string_view name, std::initializer_list<Arg> args, std::vector<uint8_t>& out) const {
    return encode(name, std::span<const Arg>(args.begin(), args.size()), out);
  }
  // Encodes a command written as Klipper's host writes it: "queue_step oid=3 interval=400 count=10 add=0"
  // (integers in C syntax: 0x.. allowed; strings/buffers as hex digits, as Klipper's create_command).
  Status encode_text(std::string_view command, std::vector<uint8_t>& out) const;

  // Decodes the message starting at `pos` in a block payload and advances `pos` past it.
  Result<Message> decode(std::span<const uint8_t> payload, std::size_t& pos) const;
  // Decodes a whole block payload (an empty payload gives no messages).
  Result<std::vector<Message>> decode_all(std::span<const uint8_t> payload) const;

  // --- constants and enumerations ---
  // A constant's text as the dictionary has it (numbers in JSON form: "16000000", "3.3").
  std::optional<std::string> constant(std::string_view name) const;
  Result<double> constant_number(std::string_view name) const;
  Result<int64_t> constant_integer(std::string_view name) const;
  const std::map<std::string, std::string, std::less<>>& constants() const noexcept { return constants_; }
  // The value of `key` in enumeration `enumeration` (e.g. "pin", "PA2"), with ranges expanded.
  std::optional<int64_t> enum_value(std::string_view enumeration, std::string_view key) const;
  const std::map<std::string, std::map<std::string, int64_t, std::less<>>, std::less<>>& enumerations() const noexcept {
    return enumerations_;
  }

  const std::string& version() const noexcept { return version_; }
  const std::string& build_versions() const noexcept { return build_versions_; }
  const std::string& app() const noexcept { return app_; }
  std::size_t message_count() const noexcept { return by_id_.size(); }

 private:
  Status add_message(std::string_view format, int64_t id, MessageKind kind);
  std::string enumeration_for(std::string_view param) const;
  Status encode_value(const MessageFormat& m, const ParamFormat& p, const Value& v, std::vector<uint8_t>& out) const;
  Result<Value> decode_value(const ParamFormat& p, std::span<const uint8_t> payload, std::size_t& pos) const;
  Result<Message> decode_output(const MessageFormat& m, std::span<const uint8_t> payload, std::size_t& pos) const;

  std::map<int32_t, MessageFormat> by_id_;
  std::map<std::string, int32_t, std::less<>> by_name_;
  std::map<std::string, std::string, std::less<>> constants_;
  std::map<std::string, std::map<std::string, int64_t, std::less<>>, std::less<>> enumerations_;
  std::map<std::string, std::map<int64_t, std::string>, std::less<>> reverse_enumerations_;
  std::string version_, build_versions_, app_;
};

// What every MCU driven by rtstep must offer, checked once after identify: the clock and configuration
// commands, steppers with Klipper's current queue_step/set_next_step_dir/reset_step_clock formats, and a
// positive CLOCK_FREQ. The error names the first command (or constant) missing or changed.
Status require_rtstep_core(const Dictionary& dictionary);

// Compresses `text` as zlib data (what an MCU sends as its dictionary; for simulators and tests).
std::vector<uint8_t> deflate_zlib(std::string_view text);
// Inflates zlib data (RFC 1950) into at most `max_bytes`; an error on corrupt, truncated or too large data.
Result<std::string> inflate_zlib(std::span<const uint8_t> data, std::size_t max_bytes);

// Fetches the dictionary: the identify requests to send and the responses that answer them.
// Klipper's host asks 40 bytes at a time from offset 0 until a response carries no data.
class IdentifyFetcher {
 public:
  static constexpr uint32_t kChunk = 40;
  static constexpr std::size_t kMaxBytes = 1u << 20;  // a compressed dictionary is a few kB

  // The encoded `identify` message for the next chunk (queue it; send it again if no answer comes).
  std::vector<uint8_t> request() const;
  // An `identify_response` message (decoded with Dictionary::bootstrap()). Returns true when the fetch is
  // complete; an error for a response with another offset than asked (ignored by callers that resend) or
  // a dictionary over kMaxBytes.
  Result<bool> on_response(const Message& response);
  bool done() const noexcept { return done_; }
  const std::vector<uint8_t>& data() const noexcept { return data_; }

 private:
  std::vector<uint8_t> data_;
  bool done_ = false;
};

}  // namespace rtstep::mcu

// Reader: lines from a stream into parse_line, in constant memory. A line longer than kMaxLineLength
// is consumed to its end without being stored. It is read when a `;` comment starts in its stored part
// (the rest is comment), otherwise reported as an error; either way the next line reads normally.

#include <algorithm>
#include <istream>

#include "gcode/context.hpp"
#include "gcode/gcode.hpp"
#include "gcode/line_layout.hpp"

namespace rtstep::gcode {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

}  // namespace

Reader::Reader(std::istream& in, std::string source_name) : in_(in), source_name_(std::move(source_name)) {
  // Capacity up front, so that parsing does not allocate once the first lines are through.
  scratch_.name.reserve(64);
  scratch_.upper.reserve(kMaxLineLength);
  scratch_.params.reserve(16);
}

Reader::Fetch Reader::fetch_line(std::size_t& length, std::size_t& stored) {
  in_.getline(line_.data(), static_cast<std::streamsize>(line_.size()));
  const auto extracted = static_cast<std::size_t>(in_.gcount());
  if (in_.bad()) {
    return Fetch::kReadError;
  }
  if (in_.eof()) {
    in_.clear(std::ios_base::eofbit);  // a last line without '\n' still counts; the next call ends
    if (extracted == 0) {
      return Fetch::kEnd;
    }
    length = extracted;
  } else if (in_.fail()) {
    // The buffer filled before the '\n': count the rest of the line without storing it, noting the first
    // byte that is not text (a file that ends in NUL bytes is not text, whatever its line lengths).
    in_.clear();
    length = extracted;
    stored = extracted;
    tail_control_ = std::string_view::npos;
    char last = line_[extracted - 1];
    std::streambuf* buf = in_.rdbuf();
    for (auto c = buf->sbumpc(); c != std::char_traits<char>::eof(); c = buf->sbumpc()) {
      if (c == '\n') {
        break;
      }
      last = std::char_traits<char>::to_char_type(c);
      if (tail_control_ == std::string_view::npos && detail::is_control(static_cast<unsigned char>(last))) {
        tail_control_ = length;
        tail_control_byte_ = last;
      }
      ++length;
    }
    if (last == '\r') {
      --length;
      stored = std::min(stored, length);
    }
    return length > kMaxLineLength ? Fetch::kTooLong : Fetch::kLine;
  } else {
    length = extracted - 1;  // gcount includes the '\n'
  }
  if (length > 0 && line_[length - 1] == '\r') {
    --length;
  }
  stored = length;
  tail_control_ = std::string_view::npos;
  return length > kMaxLineLength ? Fetch::kTooLong : Fetch::kLine;
}

ReadStatus Reader::next() {
  std::size_t length = 0;
  std::size_t stored = 0;
  const Fetch fetched = fetch_line(length, stored);
  if (fetched == Fetch::kEnd) {
    return ReadStatus::kEndOfFile;
  }
  ++line_number_;
  command_ = Command{};
  command_.line = line_number_;
  if (fetched == Fetch::kReadError) {
    error_.file = source_name_;
    error_.line = line_number_;
    error_.column = 1;
    error_.message = "read error";
    return ReadStatus::kError;
  }
  std::string_view line(line_.data(), stored);
  std::size_t bom = 0;
  if (line_number_ == 1 && line.starts_with(kUtf8Bom)) {
    bom = kUtf8Bom.size();
    line.remove_prefix(bom);
  }
  if (fetched == Fetch::kTooLong) {
    return read_long_line(line, length - bom, bom);
  }
  if (!parse_line(line, line_number_, source_name_, scratch_, command_, error_)) {
    return ReadStatus::kError;
  }
  if (command_.kind == CommandKind::kIgnored) {
    note_ignored();
  }
  return ReadStatus::kCommand;
}

ReadStatus Reader::read_long_line(std::string_view stored, std::size_t length, std::size_t skipped_prefix) {
  const auto fail = [&](std::size_t column, std::string message) {
    error_.file = source_name_;
    error_.line = line_number_;
    error_.column = static_cast<uint32_t>(column);
    error_.message = std::move(message);
    return ReadStatus::kError;
  };
  const std::size_t comment = detail::find_line_comment(stored.substr(0, kMaxLineLength));
  if (comment != std::string_view::npos) {
    // Everything after the `;` is comment, so the stored part decides what the line does.
    if (!parse_line(stored, line_number_, source_name_, scratch_, command_, error_)) {
      return ReadStatus::kError;
    }
    if (tail_control_ != std::string_view::npos) {
      command_ = Command{};
      command_.line = line_number_;
      return fail(tail_control_ - skipped_prefix + 1, detail::unexpected_char_message(tail_control_byte_));
    }
    if (command_.kind == CommandKind::kIgnored) {
      note_ignored();
    }
    return ReadStatus::kCommand;
  }
  // Code runs past the limit. Bytes that are not text say more about the file than its line length.
  if (const std::size_t control = detail::find_control_byte(stored); control != std::string_view::npos) {
    return fail(control + 1, detail::unexpected_char_message(stored[control]));
  }
  if (tail_control_ != std::string_view::npos) {
    return fail(tail_control_ - skipped_prefix + 1, detail::unexpected_char_message(tail_control_byte_));
  }
  return fail(kMaxLineLength + 1,
              "line too long (" + std::to_string(length) + " bytes, max " + std::to_string(kMaxLineLength) + ")");
}

void Reader::note_ignored() {
  const auto seen = std::find(ignored_names_.begin(), ignored_names_.end(), command_.name);
  if (seen == ignored_names_.end() && ignored_names_.size() < kMaxIgnoredNames) {
    ignored_names_.emplace_back(command_.name);
    command_.first_ignored = true;
  }
}

}  // namespace rtstep::gcode

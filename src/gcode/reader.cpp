// Reader: lines from a stream into parse_line, in constant memory. A line longer than kMaxLineLength
// is consumed to its end without being stored and reported as an error; the next line reads normally.

#include <algorithm>
#include <istream>

#include "gcode/gcode.hpp"

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

Reader::Fetch Reader::fetch_line(std::size_t& length) {
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
    // The buffer filled before the '\n': count the rest of the line without storing it.
    in_.clear();
    length = extracted;
    char last = line_[extracted - 1];
    std::streambuf* buf = in_.rdbuf();
    for (auto c = buf->sbumpc(); c != std::char_traits<char>::eof(); c = buf->sbumpc()) {
      if (c == '\n') {
        break;
      }
      last = std::char_traits<char>::to_char_type(c);
      ++length;
    }
    if (last == '\r') {
      --length;
    }
    return length > kMaxLineLength ? Fetch::kTooLong : Fetch::kLine;
  } else {
    length = extracted - 1;  // gcount includes the '\n'
  }
  if (length > 0 && line_[length - 1] == '\r') {
    --length;
  }
  return length > kMaxLineLength ? Fetch::kTooLong : Fetch::kLine;
}

ReadStatus Reader::next() {
  std::size_t length = 0;
  const Fetch fetched = fetch_line(length);
  if (fetched == Fetch::kEnd) {
    return ReadStatus::kEndOfFile;
  }
  ++line_number_;
  command_ = Command{};
  command_.line = line_number_;
  if (fetched != Fetch::kLine) {
    error_.file = source_name_;
    error_.line = line_number_;
    error_.column = fetched == Fetch::kTooLong ? static_cast<uint32_t>(kMaxLineLength + 1) : 1U;
    error_.message = fetched == Fetch::kTooLong ? "line too long (" + std::to_string(length) + " bytes, max " +
                                                      std::to_string(kMaxLineLength) + ")"
                                                : std::string("read error");
    return ReadStatus::kError;
  }
  std::string_view line(line_.data(), length);
  if (line_number_ == 1 && line.starts_with(kUtf8Bom)) {
    line.remove_prefix(kUtf8Bom.size());
  }
  if (!parse_line(line, line_number_, source_name_, scratch_, command_, error_)) {
    return ReadStatus::kError;
  }
  if (command_.kind == CommandKind::kIgnored) {
    note_ignored();
  }
  return ReadStatus::kCommand;
}

void Reader::note_ignored() {
  const auto seen = std::find(ignored_names_.begin(), ignored_names_.end(), command_.name);
  if (seen == ignored_names_.end() && ignored_names_.size() < kMaxIgnoredNames) {
    ignored_names_.emplace_back(command_.name);
    command_.first_ignored = true;
  }
}

}  // namespace rtstep::gcode

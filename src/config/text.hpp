#pragma once
// Private text helpers of the config reader: trimming, case folding, and locale-independent number and
// boolean parsing. Numbers go through std::from_chars so a user's LC_NUMERIC can never turn "0.5" into 0.
// Non-real-time.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtstep::config::text {

std::string_view trim(std::string_view s) noexcept;
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
// `"s"`, for quoting user text in messages.
std::string quote(std::string_view s);
// Shortest text that reads back as the same double: 0.00005 -> "5e-05", 235 -> "235".
std::string format_number(double v);
// Four significant digits, for values computed from the file rather than written in it: 3.125e-304, 8e+201.
std::string format_approx(double v);

// Whole text must be a finite number (optional leading '+' or '-'); no NaN, no infinity, no trailing junk.
std::optional<double> parse_double(std::string_view s) noexcept;
// Whole text must be a decimal integer (optional sign) that fits int64_t.
std::optional<int64_t> parse_int(std::string_view s) noexcept;
// true/false, yes/no, 1/0, on/off, in any case.
std::optional<bool> parse_bool(std::string_view s);

// Cuts a `#` or `;` comment that starts the line (after blanks) or follows a blank, as Klipper's reader
// does; a `#` glued to text ("PB9#x") is kept as part of the value.
std::string_view strip_comment(std::string_view line) noexcept;

// Levenshtein distance (insertions, deletions, substitutions), for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate nearest to `word` if it is close enough to be a likely misspelling (at most 2 edits, or a
// third of the word's length for long words); "" when none is. Ties go to the first candidate.
std::string_view nearest(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace rtstep::config::text

#pragma once
// Private to gcode: reading numbers. Parsing goes through std::from_chars (no locale, no allocation).
//
// Word numbers (`X-.5`, `F3000`) are plain decimals: an optional sign, digits and at most one point.
// There is no exponent form, because `X1E5` is X1 followed by the extruder word E5. Values of
// extended commands (`ACCEL=1e4`) may use an exponent. NaN and infinity are never numbers.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rtstep::gcode::detail {

enum class NumberStatus : uint8_t { kOk, kMalformed, kOutOfRange };

// The text after a parameter letter (blanks already skipped) that is meant as its number: a run of
// digits, '.', '+' and '-', or a spelled-out NaN/infinity so that the error can quote it whole.
// Empty when the letter has no number (`G28 X Y`).
std::string_view scan_number_token(std::string_view code, std::size_t pos);

// A word number, as described above.
NumberStatus parse_word_number(std::string_view token, double& value);

// A non-negative decimal integer without sign or point (command numbers, line numbers).
NumberStatus parse_unsigned(std::string_view token, uint32_t& value);

// An extended command's value: decimal with optional exponent, finite.
NumberStatus parse_value_number(std::string_view text, double& value);

}  // namespace rtstep::gcode::detail

#pragma once
// Constants shared by the toolhead's files (toolhead.cpp, arcs.cpp, homing.cpp). Internal to motion.
#include <array>
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "util/result.hpp"

namespace rtstep::motion {

inline constexpr double kMinMoveDistance = 1e-9;  // mm: below this a move changes no stepper (a no-op)
inline constexpr double kRangeSlack = 1e-9;       // mm of rounding allowed at position_min/max
inline constexpr std::array<char, 4> kAxisLetters{'X', 'Y', 'Z', 'E'};
// Latest print time a move or dwell may end at: times become int64 ns downstream (overflow after 292
// years), so a G4 of 1e20 ms or an M220 of 1e-12 % is an error rather than an overflow.
inline constexpr double kMaxPrintTime = 1e9;  // s, about 31 years
// Most straight segments one arc may be split into: an arc of absurd radius is an error, not an allocation
// of its whole length at [gcode_arcs] resolution.
inline constexpr double kMaxArcSegments = 1e6;

// "" when a move of (dx, dy, dz, de) mm lays no more filament per mm of X/Y travel than
// max_extrude_cross_section allows, else the error message (toolhead.cpp).
// Ok when `distance` mm at min(speed, max_velocity) mm/s takes at most kMaxPrintTime, else the error
// "source:line: move would take ..." (toolhead.cpp).
Result<Ok> check_move_duration(double distance, double speed, double max_velocity, uint32_t line,
                               const std::string& source);
std::string check_extrusion_rate(const config::MotionConfig& m, double dx, double dy, double dz, double de);

}  // namespace rtstep::motion

#pragma once
// Constants shared by the toolhead's files (toolhead.cpp, arcs.cpp, homing.cpp). Internal to motion.
#include <array>

namespace rtstep::motion {

inline constexpr double kMinMoveDistance = 1e-9;  // mm: below this a move changes no stepper (a no-op)
inline constexpr double kRangeSlack = 1e-9;       // mm of rounding allowed at position_min/max
inline constexpr std::array<char, 4> kAxisLetters{'X', 'Y', 'Z', 'E'};

}  // namespace rtstep::motion

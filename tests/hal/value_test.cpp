// halcmd value parsing and printing.
#include <gtest/gtest.h>

#include "hal/value.hpp"

namespace rtstep::hal {
namespace {

template <typename T>
T parsed(Type type, const char* text) {
  auto v = parse_value(type, text);
  EXPECT_TRUE(v.ok()) << text << ": " << (v.ok() ? "" : v.error().message);
  return v.ok() ? Value::decode<T>(*v) : T{};
}

std::string error_of(Type type, const char* text) {
  auto v = parse_value(type, text);
  return v.ok() ? "(parsed)" : v.error().message;
}

TEST(Value, BitsAcceptHalcmdWordsInAnyCase) {
  for (const char* t : {"1", "TRUE", "true", "On", "YES"}) EXPECT_TRUE(parsed<bool>(Type::kBit, t)) << t;
  for (const char* f : {"0", "FALSE", "false", "off", "No"}) EXPECT_FALSE(parsed<bool>(Type::kBit, f)) << f;
  EXPECT_EQ(error_of(Type::kBit, "2"), "value '2' invalid for bit");
  EXPECT_EQ(error_of(Type::kBit, "TRUEX"), "value 'TRUEX' invalid for bit");
}

TEST(Value, IntegersTakeHexAndOctalAndCheckRange) {
  EXPECT_EQ(parsed<int32_t>(Type::kS32, "0x10"), 16);
  EXPECT_EQ(parsed<int32_t>(Type::kS32, "010"), 8);
  EXPECT_EQ(parsed<int32_t>(Type::kS32, "-2147483648"), INT32_MIN);
  EXPECT_EQ(error_of(Type::kS32, "2147483648"), "value '2147483648' out of range for s32");
  EXPECT_EQ(parsed<uint32_t>(Type::kU32, "0xFFFFFFFF"), 0xFFFFFFFFU);
  EXPECT_EQ(error_of(Type::kU32, "0x100000000"), "value '0x100000000' out of range for u32");
  EXPECT_EQ(error_of(Type::kU32, "-1"), "value '-1' invalid for u32");
  EXPECT_EQ(parsed<int64_t>(Type::kS64, "-0x8000000000000000"), INT64_MIN);
  EXPECT_EQ(parsed<uint64_t>(Type::kU64, "18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(error_of(Type::kU64, "18446744073709551616"), "value '18446744073709551616' invalid for u64");
  EXPECT_EQ(error_of(Type::kS32, "12abc"), "value '12abc' invalid for s32");
  EXPECT_EQ(error_of(Type::kS32, "08"), "value '08' invalid for s32");  // not octal
  EXPECT_EQ(error_of(Type::kS32, ""), "value '' invalid for s32");
}

TEST(Value, FloatsAreCLocaleAndRejectTrailingJunk) {
  EXPECT_DOUBLE_EQ(parsed<double>(Type::kFloat, "1.5"), 1.5);
  EXPECT_DOUBLE_EQ(parsed<double>(Type::kFloat, "+2e3"), 2000.0);
  EXPECT_DOUBLE_EQ(parsed<double>(Type::kFloat, "-.25"), -0.25);
  EXPECT_DOUBLE_EQ(parsed<double>(Type::kFloat, "0x10"), 16.0);  // strtod reads hex
  EXPECT_DOUBLE_EQ(parsed<double>(Type::kFloat, "-0x1p-2"), -0.25);
  EXPECT_EQ(error_of(Type::kFloat, "0x"), "value '0x' invalid for float");
  EXPECT_EQ(error_of(Type::kFloat, "1,5"), "value '1,5' invalid for float");
  EXPECT_EQ(error_of(Type::kFloat, "1.0mm"), "value '1.0mm' invalid for float");
  EXPECT_EQ(error_of(Type::kFloat, "+-1"), "value '+-1' invalid for float");
}

// LinuxCNC 2.9's value column: 12 characters, right-justified; u32 in hex; u64 (which 2.9 lacks) in hex,
// wider than the column.
TEST(Value, CellsAreTwelveCharactersInHalcmdFormats) {
  EXPECT_EQ(format_value_cell(Type::kBit, Value::encode(true)), "        TRUE");
  EXPECT_EQ(format_value_cell(Type::kFloat, Value::encode(-0.16409289)), "  -0.1640929");
  EXPECT_EQ(format_value_cell(Type::kFloat, Value::encode(2147483648.0)), "2.147484e+09");
  EXPECT_EQ(format_value_cell(Type::kS32, Value::encode(int32_t{-5})), "          -5");
  EXPECT_EQ(format_value_cell(Type::kU32, Value::encode(uint32_t{10})), "  0x0000000A");
  EXPECT_EQ(format_value_cell(Type::kU64, Value::encode(uint64_t{255})), "0x00000000000000FF");
  EXPECT_EQ(format_value(Type::kU32, Value::encode(uint32_t{10})), "10");
}

TEST(Value, EncodingsRoundTrip) {
  Value v;
  v.set<int32_t>(-7);
  EXPECT_EQ(v.get<int32_t>(), -7);
  EXPECT_EQ(v.raw(), 0xFFFFFFF9U);
  v.set<double>(3.25);
  EXPECT_EQ(v.get<double>(), 3.25);
  v.set<bool>(true);
  EXPECT_EQ(v.raw(), 1U);
}

}  // namespace
}  // namespace rtstep::hal

// Value: Python's str/repr, truthiness, equality, ordering, deep copies.

#include "macro/value.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace rtstep::macro {
namespace {

TEST(Value, FloatStrIsPythonRepr) {
  EXPECT_EQ(format_float(0.1), "0.1");
  EXPECT_EQ(format_float(1.0), "1.0");
  EXPECT_EQ(format_float(60.0), "60.0");
  EXPECT_EQ(format_float(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(format_float(1e16), "1e+16");
  EXPECT_EQ(format_float(1.5e16), "1.5e+16");
  EXPECT_EQ(format_float(1e15), "1000000000000000.0");
  EXPECT_EQ(format_float(0.0001), "0.0001");
  EXPECT_EQ(format_float(0.00001), "1e-05");
  EXPECT_EQ(format_float(-2.5e-7), "-2.5e-07");
  EXPECT_EQ(format_float(123456789.123), "123456789.123");
  EXPECT_EQ(format_float(-0.0), "-0.0");
  EXPECT_EQ(format_float(1e300 * 1e10), "inf");
  EXPECT_EQ(format_float(-1e300 * 1e10), "-inf");
  EXPECT_EQ(format_float(std::nan("")), "nan");
}

TEST(Value, StrAndRepr) {
  EXPECT_EQ(Value().str(), "");
  EXPECT_EQ(Value::none().str(), "None");
  EXPECT_EQ(Value::boolean(true).str(), "True");
  EXPECT_EQ(Value::integer(-5).str(), "-5");
  EXPECT_EQ(Value::string("a'b").str(), "a'b");
  EXPECT_EQ(Value::string("a'b").repr(), "\"a'b\"");
  EXPECT_EQ(Value::string("a\n\\").repr(), "'a\\n\\\\'");
  EXPECT_EQ(Value::tuple({Value::integer(1)}).str(), "(1,)");
  Value d = Value::dict();
  d.dict_data().set("k", Value::list({Value::string("v"), Value::real(2)}));
  d.dict_data().set(Value::integer(3), Value::none());
  EXPECT_EQ(d.str(), "{'k': ['v', 2.0], 3: None}");
}

TEST(Value, Truthiness) {
  EXPECT_FALSE(Value().truthy());
  EXPECT_FALSE(Value::none().truthy());
  EXPECT_FALSE(Value::integer(0).truthy());
  EXPECT_FALSE(Value::real(0.0).truthy());
  EXPECT_FALSE(Value::string("").truthy());
  EXPECT_FALSE(Value::list().truthy());
  EXPECT_FALSE(Value::dict().truthy());
  EXPECT_TRUE(Value::string("0").truthy());
  EXPECT_TRUE(Value::list({Value::none()}).truthy());
  EXPECT_TRUE(Value::real(-0.5).truthy());
}

TEST(Value, EqualityAcrossNumberKinds) {
  EXPECT_TRUE(equal(Value::integer(1), Value::real(1.0)));
  EXPECT_TRUE(equal(Value::boolean(true), Value::integer(1)));
  EXPECT_FALSE(equal(Value::string("1"), Value::integer(1)));
  EXPECT_FALSE(equal(Value::list({Value::integer(1)}), Value::tuple({Value::integer(1)})));
  EXPECT_TRUE(equal(Value(), Value()));  // undefined == undefined, as Jinja
  EXPECT_FALSE(equal(Value(), Value::none()));
}

TEST(Value, DictKeysCompareAsPython) {
  Value d = Value::dict();
  d.dict_data().set(Value::integer(1), Value::string("a"));
  d.dict_data().set(Value::real(1.0), Value::string("b"));  // the same key
  ASSERT_EQ(d.dict_data().entries.size(), 1U);
  EXPECT_EQ(d.dict_data().find(Value::boolean(true))->text(), "b");
}

TEST(Value, Ordering) {
  EXPECT_TRUE(less(Value::integer(1), Value::real(1.5)));
  EXPECT_TRUE(less(Value::string("B"), Value::string("a")));
  EXPECT_TRUE(less(Value::list({Value::integer(1)}), Value::list({Value::integer(1), Value::integer(0)})));
  EXPECT_THROW((void)less(Value::integer(1), Value::string("a")), EvalError);
}

TEST(Value, ListsAreSharedAndDeepCopyIsNot) {
  Value a = Value::list({Value::list({Value::integer(1)})});
  Value shared = a;
  Value copy = a.deep_copy();
  a.list_data().items[0].list_data().items.push_back(Value::integer(2));
  EXPECT_EQ(shared.str(), "[[1, 2]]");
  EXPECT_EQ(copy.str(), "[[1]]");
}

}  // namespace
}  // namespace rtstep::macro

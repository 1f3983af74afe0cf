//===- ScalarValuesTest.cpp - Typing YAML scalars ------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ScalarValues.h"

#include <gtest/gtest.h>

namespace strata::frontend {
namespace {

int64_t integer(std::string_view text) {
  int64_t value = -777;
  EXPECT_EQ(parseYamlInteger(text, value), IntegerStatus::Ok) << text;
  return value;
}

TEST(ScalarValuesTest, ParsesIntegers) {
  EXPECT_EQ(integer("0"), 0);
  EXPECT_EQ(integer("768"), 768);
  EXPECT_EQ(integer("+12"), 12);
  EXPECT_EQ(integer("-12"), -12);
  EXPECT_EQ(integer("0x10"), 16);
  EXPECT_EQ(integer("0o17"), 15);
  EXPECT_EQ(integer("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(integer("-9223372036854775808"), INT64_MIN);
}

TEST(ScalarValuesTest, RejectsNonIntegers) {
  for (std::string_view text : {"12.5", "1e3", "", "-", "0x", "0xg", "1_000",
                                "twelve", " 12", "12 ", "0o8", "1.0"}) {
    int64_t value = -777;
    EXPECT_EQ(parseYamlInteger(text, value), IntegerStatus::NotAnInteger)
        << "'" << text << "'";
    EXPECT_EQ(value, -777);
  }
}

TEST(ScalarValuesTest, ReportsOverflow) {
  int64_t value = 0;
  EXPECT_EQ(parseYamlInteger("9223372036854775808", value),
            IntegerStatus::OutOfRange);
  EXPECT_EQ(parseYamlInteger("-9223372036854775809", value),
            IntegerStatus::OutOfRange);
  EXPECT_EQ(parseYamlInteger("123456789012345678901234567890", value),
            IntegerStatus::OutOfRange);
}

TEST(ScalarValuesTest, ParsesFloats) {
  EXPECT_EQ(parseYamlFloat("0.1"), 0.1);
  EXPECT_EQ(parseYamlFloat("1e-5"), 1e-5);
  EXPECT_EQ(parseYamlFloat("1E+2"), 100.0);
  EXPECT_EQ(parseYamlFloat(".5"), 0.5);
  EXPECT_EQ(parseYamlFloat("-.5"), -0.5);
  EXPECT_EQ(parseYamlFloat("1."), 1.0);
  EXPECT_EQ(parseYamlFloat("-0.02"), -0.02);
  EXPECT_EQ(parseYamlFloat("+3"), 3.0);
  EXPECT_EQ(parseYamlFloat("10000"), 10000.0);
}

TEST(ScalarValuesTest, RejectsNonFloats) {
  for (std::string_view text : {"", ".", "e5", "1e", "1e+", "abc", ".inf",
                                "-.inf", ".nan", "1.2.3", "0x10", "1e999",
                                "0.1 ", "1,5"})
    EXPECT_FALSE(parseYamlFloat(text).has_value()) << "'" << text << "'";
}

TEST(ScalarValuesTest, ParsesBooleansInAnyCase) {
  EXPECT_EQ(parseYamlBool("true"), true);
  EXPECT_EQ(parseYamlBool("True"), true);
  EXPECT_EQ(parseYamlBool("TRUE"), true);
  EXPECT_EQ(parseYamlBool("false"), false);
  EXPECT_EQ(parseYamlBool("False"), false);
  for (std::string_view text : {"yes", "no", "on", "off", "1", "0", "", "t"})
    EXPECT_FALSE(parseYamlBool(text).has_value()) << text;
}

TEST(ScalarValuesTest, FormatsDoublesShortestFirst) {
  EXPECT_EQ(formatDouble(0.1), "0.1");
  EXPECT_EQ(formatDouble(1e-5), "1e-05");
  EXPECT_EQ(formatDouble(10000), "10000");
  EXPECT_EQ(formatDouble(19.2), "19.2");
  EXPECT_EQ(formatDouble(0.1 + 0.2), "0.30000000000000004");
}

TEST(ScalarValuesTest, LowersAscii) {
  EXPECT_EQ(toLower("BF16-Mixed"), "bf16-mixed");
}

} // namespace
} // namespace strata::frontend

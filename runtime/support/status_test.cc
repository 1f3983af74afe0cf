//===- status_test.cc - tests of Status and StatusOr ----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/support/status.h"

#include <gtest/gtest.h>

namespace strata::runtime {
namespace {

Status failIfNegative(int value) {
  if (value < 0)
    return Status::invalidArgument("value " + std::to_string(value) +
                                   " is negative");
  return Status::ok();
}

StatusOr<int> half(int value) {
  if (value % 2 != 0)
    return Status::invalidArgument(std::to_string(value) + " is odd");
  return value / 2;
}

Status quarter(int value, int &out) {
  STRATA_RETURN_IF_ERROR(failIfNegative(value));
  STRATA_ASSIGN_OR_RETURN(int h, half(value));
  STRATA_ASSIGN_OR_RETURN(int q, half(h));
  out = q;
  return Status::ok();
}

TEST(StatusTest, OkAndErrorsRenderWithTheirCode) {
  EXPECT_TRUE(Status::ok().isOk());
  EXPECT_EQ(Status::ok().toString(), "ok");
  Status error = Status::dataLoss("x.strata: truncated at byte 12");
  EXPECT_FALSE(error.isOk());
  EXPECT_EQ(error.code(), StatusCode::kDataLoss);
  EXPECT_EQ(error.toString(), "data loss: x.strata: truncated at byte 12");
  EXPECT_EQ(error.withContext("loading").message(),
            "loading: x.strata: truncated at byte 12");
}

TEST(StatusTest, MacrosPropagateTheFirstError) {
  int out = -1;
  EXPECT_TRUE(quarter(12, out).isOk());
  EXPECT_EQ(out, 3);
  Status negative = quarter(-4, out);
  EXPECT_EQ(negative.message(), "value -4 is negative");
  Status odd = quarter(6, out);
  EXPECT_EQ(odd.message(), "3 is odd");
  EXPECT_EQ(out, 3); // untouched on error
}

} // namespace
} // namespace strata::runtime

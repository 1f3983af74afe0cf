//===- gemm_descriptor_test.cc - the GEMM tuning key ----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/gemm_tuning/gemm_descriptor.h"

#include <gtest/gtest.h>

namespace strata::runtime {
namespace {

TEST(GemmDescriptorTest, TextNamesEveryFieldOfTheKey) {
  GemmDescriptor d;
  d.dtype = DType::BF16;
  d.shape = GemmShape{5, 11, 7, false, true, 7, 7, 11};
  d.alignB = 64;
  EXPECT_EQ(d.text(),
            "BF16 m=5 n=11 k=7 (A, B^T) lda=7 ldb=7 ldc=11 align=256/64/256");
  d.dtype = DType::F32;
  d.shape.transA = true;
  d.shape.transB = false;
  d.tf32 = true;
  EXPECT_EQ(d.text(),
            "F32 m=5 n=11 k=7 (A^T, B) lda=7 ldb=7 ldc=11 align=256/64/256 "
            "tf32");
}

TEST(GemmDescriptorTest, DescriptorsDifferingInOneFieldDiffer) {
  GemmDescriptor a;
  a.shape = GemmShape{4, 4, 4, false, false, 4, 4, 4};
  GemmDescriptor b = a;
  EXPECT_TRUE(a == b);
  b.alignC = 128;
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(b < a || a < b);
  EXPECT_NE(a.text(), b.text());
}

TEST(GemmDescriptorTest, AlignmentIsTheLargestPowerOfTwoUpTo256) {
  EXPECT_EQ(alignmentOfOffset(0), 256u);
  EXPECT_EQ(alignmentOfOffset(64), 64u);
  EXPECT_EQ(alignmentOfOffset(192), 64u);
  EXPECT_EQ(alignmentOfOffset(128), 128u);
  EXPECT_EQ(alignmentOfOffset(4096 + 256), 256u);
  EXPECT_EQ(alignmentOfOffset(6), 2u);
  EXPECT_EQ(alignmentOfOffset(7), 1u);
}

} // namespace
} // namespace strata::runtime

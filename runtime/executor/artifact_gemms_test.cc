//===- artifact_gemms_test.cc - listing an artifact's GEMMs ---------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// On the small artifacts of artifact_test_support.h; tests/lit/tools/
// strata_run_tune_gemms.test lists a compiled tiny GPT's.
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/artifact_gemms.h"

#include "runtime/artifact/artifact_test_support.h"

#include <gtest/gtest.h>

namespace strata::runtime {
namespace {

using testing_support::buildArtifact;
using testing_support::buildPipelineArtifact;
using testing_support::PipelineSpec;
using testing_support::Spec;

StatusOr<std::vector<ArtifactGemm>> gemmsOf(std::vector<uint8_t> bytes) {
  STRATA_ASSIGN_OR_RETURN(LoadedArtifact artifact,
                          loadArtifactFromBytes(std::move(bytes), "t.strata"));
  return listArtifactGemms(artifact);
}

TEST(ArtifactGemmsTest, TheForwardMatmulWithItsArenaAlignments) {
  // y[2,4] = x[2,8] w[4,8]^T with x at offset 512, w at 0, y at 576.
  StatusOr<std::vector<ArtifactGemm>> gemms = gemmsOf(buildArtifact({}));
  ASSERT_TRUE(gemms.isOk()) << gemms.status().message();
  ASSERT_EQ(gemms->size(), 1u);
  const ArtifactGemm &g = (*gemms)[0];
  EXPECT_EQ(g.gemm.text(),
            "F32 m=2 n=4 k=8 (A, B^T) lda=8 ldb=8 ldc=4 align=256/256/64");
  EXPECT_EQ(g.calls,
            (std::vector<std::pair<std::string, int64_t>>{{"forward", 1}}));
  EXPECT_EQ(g.totalCalls(), 1);
  EXPECT_EQ(g.firstUse, "function forward, instruction 0 (matmul at output)");
}

TEST(ArtifactGemmsTest, TheWeightsOffsetSetsBsAlignment) {
  // The weight (128 bytes) moved into the free end of the 1024-byte arena.
  for (const auto &[offset, alignment] :
       {std::pair<uint64_t, uint32_t>{832, 64}, {896, 128}}) {
    Spec spec;
    spec.weightOffset = offset;
    StatusOr<std::vector<ArtifactGemm>> gemms = gemmsOf(buildArtifact(spec));
    ASSERT_TRUE(gemms.isOk()) << gemms.status().message();
    ASSERT_EQ(gemms->size(), 1u);
    EXPECT_EQ((*gemms)[0].gemm.alignB, alignment) << offset;
  }
}

TEST(ArtifactGemmsTest, MixedPrecisionComputesInBF16) {
  Spec spec;
  spec.mixedPrecision = true;
  StatusOr<std::vector<ArtifactGemm>> gemms = gemmsOf(buildArtifact(spec));
  ASSERT_TRUE(gemms.isOk()) << gemms.status().message();
  ASSERT_EQ(gemms->size(), 1u);
  EXPECT_EQ((*gemms)[0].gemm.dtype, DType::BF16);
}

TEST(ArtifactGemmsTest, StagesOfAPipelineShareOneDescriptor) {
  StatusOr<std::vector<ArtifactGemm>> gemms =
      gemmsOf(buildPipelineArtifact(PipelineSpec{}));
  ASSERT_TRUE(gemms.isOk()) << gemms.status().message();
  ASSERT_EQ(gemms->size(), 1u);
  EXPECT_EQ((*gemms)[0].calls,
            (std::vector<std::pair<std::string, int64_t>>{
                {"stage 0: forward", 1}, {"stage 1: forward", 1}}));
  EXPECT_EQ((*gemms)[0].totalCalls(), 2);
  EXPECT_EQ((*gemms)[0].firstUse,
            "function stage 0: forward, instruction 0 (matmul at output)");
}

TEST(ArtifactGemmsTest, AnArtifactWithoutMatmulsHasNoGemms) {
  StatusOr<std::vector<ArtifactGemm>> gemms =
      gemmsOf(testing_support::buildCacheArtifact({}));
  ASSERT_TRUE(gemms.isOk()) << gemms.status().message();
  EXPECT_TRUE(gemms->empty());
}

TEST(ArtifactGemmsTest, AMatmulWhoseShapesDisagreeIsThePreparationsError) {
  Spec spec;
  spec.matmulOperands = {4, 4}; // x[2,8] x[2,8]^T is [2,2], y is [2,4]
  StatusOr<std::vector<ArtifactGemm>> gemms = gemmsOf(buildArtifact(spec));
  ASSERT_FALSE(gemms.isOk());
  EXPECT_NE(gemms.status().message().find("t.strata"), std::string::npos)
      << gemms.status().message();
  EXPECT_NE(gemms.status().message().find("instruction 0"), std::string::npos)
      << gemms.status().message();
}

} // namespace
} // namespace strata::runtime

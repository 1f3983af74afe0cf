//===- RecomputePolicyTest.cpp - reading the policy, choosing layers ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Recompute/RecomputePolicy.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::strata;

namespace {

class RecomputePolicyTest : public ::testing::Test {
protected:
  /// A tfm.config with the three keys as the frontend writes them; an
  /// empty string leaves a key out.
  DictionaryAttr config(StringRef granularity, StringRef method,
                        int64_t numLayers) {
    Builder b(&context);
    SmallVector<NamedAttribute> entries;
    if (!granularity.empty())
      entries.push_back(b.getNamedAttr("activations_checkpoint_granularity",
                                       b.getStringAttr(granularity)));
    if (!method.empty())
      entries.push_back(b.getNamedAttr("activations_checkpoint_method",
                                       b.getStringAttr(method)));
    entries.push_back(b.getNamedAttr("activations_checkpoint_num_layers",
                                     b.getI64IntegerAttr(numLayers)));
    return b.getDictionaryAttr(entries);
  }

  /// Reads |dict|; the text of an error, if any, goes to |error|.
  FailureOr<RecomputePolicy> read(DictionaryAttr dict, std::string &error) {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      error = diag.str();
      return success();
    });
    return readRecomputePolicy(
        dict, [&] { return emitError(UnknownLoc::get(&context)); });
  }

  MLIRContext context;
};

TEST_F(RecomputePolicyTest, NoConfigOrNullRecomputesNothing) {
  std::string error;
  FailureOr<RecomputePolicy> none = read(DictionaryAttr(), error);
  ASSERT_TRUE(succeeded(none));
  EXPECT_EQ(none->granularity, RecomputeGranularity::None);
  EXPECT_FALSE(none->recomputesLayers());

  FailureOr<RecomputePolicy> null = read(config("null", "null", 0), error);
  ASSERT_TRUE(succeeded(null));
  EXPECT_EQ(null->granularity, RecomputeGranularity::None);
  EXPECT_TRUE(selectRecomputeGroups(*null, 4).empty());

  FailureOr<RecomputePolicy> missing = read(config("", "", 0), error);
  ASSERT_TRUE(succeeded(missing));
  EXPECT_EQ(missing->granularity, RecomputeGranularity::None);
}

TEST_F(RecomputePolicyTest, SelectiveRewritesNoLayer) {
  std::string error;
  FailureOr<RecomputePolicy> selective =
      read(config("selective", "null", 0), error);
  ASSERT_TRUE(succeeded(selective));
  EXPECT_EQ(selective->granularity, RecomputeGranularity::Selective);
  EXPECT_FALSE(selective->recomputesLayers());
  EXPECT_TRUE(selectRecomputeGroups(*selective, 4).empty());
}

TEST_F(RecomputePolicyTest, ReadsFull) {
  std::string error;
  FailureOr<RecomputePolicy> uniform =
      read(config("full", "uniform", 2), error);
  ASSERT_TRUE(succeeded(uniform)) << error;
  EXPECT_EQ(uniform->granularity, RecomputeGranularity::Full);
  EXPECT_EQ(uniform->method, RecomputeMethod::Uniform);
  EXPECT_EQ(uniform->numLayers, 2);
  FailureOr<RecomputePolicy> block = read(config("full", "block", 3), error);
  ASSERT_TRUE(succeeded(block)) << error;
  EXPECT_EQ(block->method, RecomputeMethod::Block);
  EXPECT_EQ(block->numLayers, 3);
}

TEST_F(RecomputePolicyTest, RejectsWhatTheFrontendWouldReject) {
  std::string error;
  EXPECT_TRUE(failed(read(config("partial", "null", 0), error)));
  EXPECT_EQ(error, "unknown tfm.config activations_checkpoint_granularity "
                   "'partial'; expected null, selective or full");
  EXPECT_TRUE(failed(read(config("full", "unifrom", 1), error)));
  EXPECT_EQ(error, "unknown tfm.config activations_checkpoint_method "
                   "'unifrom'; expected null, uniform or block");
  EXPECT_TRUE(failed(read(config("full", "null", 1), error)));
  EXPECT_EQ(error, "activations_checkpoint_granularity full requires "
                   "activations_checkpoint_method uniform or block");
  EXPECT_TRUE(failed(read(config("full", "block", 0), error)));
  EXPECT_EQ(error, "activations_checkpoint_granularity full requires "
                   "activations_checkpoint_num_layers >= 1, got 0");

  Builder b(&context);
  auto notAString = b.getDictionaryAttr({b.getNamedAttr(
      "activations_checkpoint_granularity", b.getI64IntegerAttr(1))});
  EXPECT_TRUE(failed(read(notAString, error)));
  EXPECT_EQ(error, "tfm.config activations_checkpoint_granularity must be a "
                   "string, got 1 : i64");
}

using Groups = std::vector<std::vector<int64_t>>;

TEST(RecomputeGroupsTest, UniformMakesGroupsOfConsecutiveLayers) {
  RecomputePolicy policy{RecomputeGranularity::Full, RecomputeMethod::Uniform,
                         1};
  EXPECT_EQ(selectRecomputeGroups(policy, 3), (Groups{{0}, {1}, {2}}));
  policy.numLayers = 2;
  EXPECT_EQ(selectRecomputeGroups(policy, 4), (Groups{{0, 1}, {2, 3}}));
  // Megatron-LM's uniform method: the last group takes what is left.
  EXPECT_EQ(selectRecomputeGroups(policy, 5), (Groups{{0, 1}, {2, 3}, {4}}));
  policy.numLayers = 4;
  EXPECT_EQ(selectRecomputeGroups(policy, 4), (Groups{{0, 1, 2, 3}}));
}

TEST(RecomputeGroupsTest, BlockRecomputesTheFirstLayersEachOnItsOwn) {
  RecomputePolicy policy{RecomputeGranularity::Full, RecomputeMethod::Block, 2};
  EXPECT_EQ(selectRecomputeGroups(policy, 5), (Groups{{0}, {1}}));
  policy.numLayers = 5;
  EXPECT_EQ(selectRecomputeGroups(policy, 5),
            (Groups{{0}, {1}, {2}, {3}, {4}}));
  policy.numLayers = 7;
  EXPECT_EQ(selectRecomputeGroups(policy, 3), (Groups{{0}, {1}, {2}}));
}

} // namespace

//===- link_model_test.cc - groups on links, ring costs -------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/cost/link_model.h"

#include <gtest/gtest.h>

namespace strata::tuner {
namespace {

strata::frontend::ClusterDescription dgx() {
  strata::frontend::ClusterDescription c;
  c.gpusPerNode = 8;
  c.intraNode = {300e9, 3e-6};
  c.interNode = {25e9, 8e-6};
  return c;
}

TEST(LinkModel, TensorParallelWithinANodeUsesNvlink) {
  Link link = groupLink({4, 2, 8, 8}, {"tp"}, dgx());
  EXPECT_FALSE(link.acrossNodes);
  EXPECT_DOUBLE_EQ(link.bandwidthBytesPerS, 300e9);
}

TEST(LinkModel, DataParallelAcrossNodesSharesTheNicsOfItsMembers) {
  // tp 8: one dp member per node, one NIC.
  Link one = groupLink({32, 1, 8, 8}, {"dp"}, dgx());
  EXPECT_TRUE(one.acrossNodes);
  EXPECT_DOUBLE_EQ(one.bandwidthBytesPerS, 25e9);
  // tp 2: four members per node, four NICs.
  Link four = groupLink({32, 1, 2, 8}, {"dp"}, dgx());
  EXPECT_DOUBLE_EQ(four.bandwidthBytesPerS, 100e9);
  // dp 4 x tp 2 fits one node.
  EXPECT_FALSE(groupLink({4, 1, 2, 8}, {"dp"}, dgx()).acrossNodes);
}

TEST(LinkModel, PipelineNeighboursCrossANodeWhenTheStageFillsIt) {
  EXPECT_TRUE(pipelineLink({1, 4, 8, 8}, 0, 1, dgx()).acrossNodes);
  EXPECT_FALSE(pipelineLink({1, 4, 2, 8}, 0, 1, dgx()).acrossNodes);
  EXPECT_TRUE(pipelineLink({1, 8, 2, 8}, 3, 4, dgx()).acrossNodes);
}

TEST(LinkModel, RingCostsAreBytesOverBandwidthPlusLatencyPerStep) {
  mlir::strata::CollectiveRecord allReduce;
  allReduce.kind = "all_reduce";
  allReduce.groupSize = 8;
  allReduce.count = 2;
  allReduce.sentBytes = 3'000'000'000;
  const Link link{300e9, 1e-6, false};
  EXPECT_DOUBLE_EQ(collectiveSeconds(allReduce, link), 2 * 2 * 7 * 1e-6 + 0.01);
  mlir::strata::CollectiveRecord gather = allReduce;
  gather.kind = "all_gather";
  EXPECT_DOUBLE_EQ(collectiveSeconds(gather, link), 2 * 7 * 1e-6 + 0.01);
  mlir::strata::CollectiveRecord send = allReduce;
  send.kind = "send";
  EXPECT_DOUBLE_EQ(collectiveSeconds(send, link), 2 * 1e-6 + 0.01);
}

TEST(LinkModel, GradientReductionsPayOneLatencyPerBucket) {
  mlir::strata::CollectiveRecord grads;
  grads.kind = "reduce_grads (all_reduce)";
  grads.groupSize = 2;
  grads.count = 300;                      // parameters
  grads.payloadBytes = int64_t(40) << 20; // 2.5 buckets of 16 MiB
  grads.sentBytes = 0;
  EXPECT_DOUBLE_EQ(collectiveSeconds(grads, {1e9, 1e-3, true}), 3 * 2e-3);
  grads.kind = "all_reduce"; // not bucketed
  EXPECT_DOUBLE_EQ(collectiveSeconds(grads, {1e9, 1e-3, true}), 300 * 2e-3);
}

} // namespace
} // namespace strata::tuner

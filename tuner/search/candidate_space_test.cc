//===- candidate_space_test.cc - the divisibility rules and the space -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/search/candidate_space.h"

#include <gtest/gtest.h>

#include <set>
#include <tuple>

using namespace strata::tuner;

TEST(CandidateRules, TensorParallelDividesHeadsAndNodeUpToEight) {
  EXPECT_TRUE(tensorParallelFits(8, 96, 8));
  EXPECT_TRUE(tensorParallelFits(1, 3, 8));
  EXPECT_FALSE(tensorParallelFits(8, 12, 8));  // 12 heads
  EXPECT_FALSE(tensorParallelFits(4, 4, 2));   // node of 2
  EXPECT_FALSE(tensorParallelFits(16, 32, 16)); // > 8
  EXPECT_FALSE(tensorParallelFits(3, 96, 8));
}

TEST(CandidateRules, PipelineDividesLayers) {
  EXPECT_TRUE(pipelineDividesLayers(16, 96));
  EXPECT_FALSE(pipelineDividesLayers(5, 96));
  EXPECT_TRUE(pipelineDividesLayers(1, 7));
}

TEST(CandidateRules, VirtualStagesNeedPipelineLayersAndMicroBatches) {
  EXPECT_TRUE(virtualStagesAllowed(1, 1, 4, 1));
  EXPECT_FALSE(virtualStagesAllowed(2, 1, 4, 4));  // pp 1
  EXPECT_TRUE(virtualStagesAllowed(2, 2, 4, 4));
  EXPECT_FALSE(virtualStagesAllowed(3, 2, 4, 4));  // 4 % 6
  EXPECT_FALSE(virtualStagesAllowed(2, 2, 4, 3));  // 3 micro-batches % 2
  EXPECT_TRUE(virtualStagesAllowed(3, 16, 96, 32));
}

TEST(CandidateRules, DataParallelFromDevices) {
  EXPECT_EQ(dataParallelSize(1024, 8, 16), 8);
  EXPECT_EQ(dataParallelSize(1024, 8, 3), 0);
  EXPECT_EQ(dataParallelSize(2, 1, 1), 2);
}

TEST(CandidateRules, MicroBatchDividesBatch) {
  EXPECT_TRUE(microBatchDividesBatch(1536, 8, 2));
  EXPECT_FALSE(microBatchDividesBatch(1536, 128, 5));
  EXPECT_FALSE(microBatchDividesBatch(7, 2, 1));
}

TEST(CandidateRules, SequenceParallelOnlyWithTensorParallel) {
  EXPECT_TRUE(sequenceParallelAllowed(false, 1));
  EXPECT_FALSE(sequenceParallelAllowed(true, 1));
  EXPECT_TRUE(sequenceParallelAllowed(true, 2));
}

TEST(CandidateRules, DistributedOptimizerOnlyWithDataParallel) {
  EXPECT_FALSE(distributedOptimizerAllowed(true, 1));
  EXPECT_TRUE(distributedOptimizerAllowed(true, 2));
  EXPECT_TRUE(distributedOptimizerAllowed(false, 1));
}

TEST(CandidateSpace, EveryCandidateObeysEveryRuleAndIsUnique) {
  SpaceInput in;
  in.layers = 96;
  in.heads = 96;
  in.nodes = 128;
  in.gpusPerNode = 8;
  in.globalBatch = 1536;
  std::vector<Candidate> all = enumerateCandidates(in);
  ASSERT_FALSE(all.empty());
  std::set<std::string> labels;
  for (const Candidate &c : all) {
    EXPECT_TRUE(tensorParallelFits(c.tp, in.heads, in.gpusPerNode));
    EXPECT_TRUE(pipelineDividesLayers(c.pp, in.layers));
    EXPECT_EQ(c.tp * c.pp * c.dp, 1024);
    EXPECT_EQ(c.microBatches * c.dp * c.microBatchSize, 1536);
    EXPECT_TRUE(virtualStagesAllowed(c.vp, c.pp, in.layers, c.microBatches));
    EXPECT_TRUE(sequenceParallelAllowed(c.sequenceParallel, c.tp));
    EXPECT_TRUE(distributedOptimizerAllowed(c.distributedOptimizer, c.dp));
    EXPECT_LE(c.microBatchSize, in.maxMicroBatchSize);
    EXPECT_TRUE(labels.insert(c.label()).second) << c.label();
  }
  // Narayanan et al.'s GPT-3 layout is among them.
  EXPECT_TRUE(labels.count("tp8 pp16 dp8 mbs1"));
}

TEST(CandidateSpace, TinyModelOnTwoRanksCountedByHand) {
  // 4 layers, 4 heads, 2 devices, batch 8, mbs <= 2.
  SpaceInput in;
  in.layers = 4;
  in.heads = 4;
  in.gpusPerNode = 2;
  in.globalBatch = 8;
  in.maxMicroBatchSize = 2;
  std::vector<Candidate> all = enumerateCandidates(in);
  // tp1 pp1 dp2: mbs {1,2} x rc {none, full} x dopt 2 = 8
  // tp1 pp2 dp1: mbs {1,2} x vp {1,2} x rc 2 = 8 (vp 2: 4 % 4, m 8 or 4)
  // tp2 pp1 dp1: mbs {1,2} x sp 2 x rc 2 = 8
  EXPECT_EQ(all.size(), 24u);
}

TEST(CandidateSpace, RestrictedRecomputeAndOptimizer) {
  // The tiny space above with full recompute only and no distributed
  // optimizer: 2 (tp1 pp1 dp2) + 4 (tp1 pp2) + 4 (tp2) = 10.
  SpaceInput in;
  in.layers = 4;
  in.heads = 4;
  in.gpusPerNode = 2;
  in.globalBatch = 8;
  in.maxMicroBatchSize = 2;
  in.recomputes = {Recompute::Full};
  in.distributedOptimizers = {false};
  std::vector<Candidate> all = enumerateCandidates(in);
  EXPECT_EQ(all.size(), 10u);
  for (const Candidate &c : all) {
    EXPECT_EQ(c.recompute, Recompute::Full);
    EXPECT_FALSE(c.distributedOptimizer);
  }
}

TEST(CandidateSpace, ParseRecompute) {
  Recompute r = Recompute::None;
  EXPECT_TRUE(parseRecompute("selective", r));
  EXPECT_EQ(r, Recompute::Selective);
  EXPECT_TRUE(parseRecompute("full", r));
  EXPECT_EQ(r, Recompute::Full);
  EXPECT_FALSE(parseRecompute("some", r));
  EXPECT_EQ(r, Recompute::Full);
}

TEST(CandidateSpace, EmptySpaceSaysWhy) {
  SpaceInput in;
  in.layers = 4;
  in.heads = 4;
  in.gpusPerNode = 2;
  in.globalBatch = 7;
  in.maxMicroBatchSize = 2;
  // dp 2 (tp1 pp1) does not divide 7... but dp 1 does: not empty.
  EXPECT_EQ(emptySpaceReason(in), "");
  in.nodes = 2; // 4 devices: dp in {4, 2} never divides 7
  in.heads = 1; // tp 1 only
  in.layers = 1;
  EXPECT_TRUE(enumerateCandidates(in).empty());
  EXPECT_EQ(emptySpaceReason(in),
            "global batch 7 is not divisible by dp x micro-batch size for "
            "any dp in {4} and micro-batch size <= 2");
}

TEST(CandidateSpace, SelectiveIsDroppedBesideNone) {
  using R = Recompute;
  EXPECT_EQ(distinctRecomputePrograms({R::None, R::Selective, R::Full}),
            (std::vector<R>{R::None, R::Full}));
  EXPECT_EQ(distinctRecomputePrograms({R::Selective, R::None}),
            (std::vector<R>{R::None}));
  // Asked for alone (the setting of a NeMo config), selective stays.
  EXPECT_EQ(distinctRecomputePrograms({R::Selective, R::Full}),
            (std::vector<R>{R::Selective, R::Full}));
  // A kind listed twice is tried once.
  EXPECT_EQ(distinctRecomputePrograms({R::Full, R::Full}),
            (std::vector<R>{R::Full}));
}

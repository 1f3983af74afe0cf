//===- pipeline_simulation_test.cc - the bubble of 1F1B and interleaving --===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/cost/pipeline_simulation.h"

#include <gtest/gtest.h>

namespace strata::tuner {
namespace {

PipelineSimulation simulate(int stages, int chunks, int64_t m,
                            const PipelineTimes &times) {
  Checked<PipelineSimulation> sim = simulatePipeline(stages, chunks, m, times);
  EXPECT_TRUE(sim.isOk()) << (sim.isOk() ? "" : sim.error());
  return sim.isOk() ? *sim : PipelineSimulation{};
}

// Narayanan et al. 2021, section 2.2.1: with uniform passes the 1F1B bubble
// is (p - 1) (tf + tb), a fraction (p - 1) / (m + p - 1) of the step.
class OneFOneBBubble
    : public ::testing::TestWithParam<std::pair<int, int64_t>> {};

TEST_P(OneFOneBBubble, IsPMinusOneOverMPlusPMinusOne) {
  const auto [p, m] = GetParam();
  const double tf = 1.0, tb = 2.0;
  PipelineSimulation sim =
      simulate(p, 1, m, uniformPipelineTimes(p, 1, tf, tb));
  EXPECT_DOUBLE_EQ(sim.makespanSeconds, double(m + p - 1) * (tf + tb));
  EXPECT_DOUBLE_EQ(sim.bubbleSeconds, double(p - 1) * (tf + tb));
  EXPECT_NEAR(sim.bubbleSeconds / sim.makespanSeconds,
              double(p - 1) / double(m + p - 1), 1e-12);
  for (int s = 0; s < p; ++s)
    EXPECT_DOUBLE_EQ(sim.busySeconds[s], double(m) * (tf + tb));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, OneFOneBBubble,
    ::testing::Values(std::make_pair(1, int64_t(4)), std::make_pair(2, 1),
                      std::make_pair(2, 8), std::make_pair(4, 4),
                      std::make_pair(4, 16), std::make_pair(8, 3),
                      std::make_pair(16, 96)));

// Section 2.2.2: v chunks per stage cut the bubble by v (each chunk's passes
// take 1/v of the stage's time).
TEST(PipelineSimulation, InterleavingDividesTheBubbleByTheChunks) {
  const int p = 4;
  const int64_t m = 16;
  const double tf = 1.0, tb = 2.0;
  const double plain =
      simulate(p, 1, m, uniformPipelineTimes(p, 1, tf, tb)).bubbleSeconds;
  for (int v : {2, 4}) {
    PipelineSimulation sim =
        simulate(p, v, m, uniformPipelineTimes(p, v, tf / v, tb / v));
    EXPECT_NEAR(sim.bubbleSeconds, plain / v, 0.05 * plain / v) << "v " << v;
    EXPECT_DOUBLE_EQ(sim.busySeconds[0], double(m) * (tf + tb));
  }
}

TEST(PipelineSimulation, TransfersDelayTheReceiverNotTheSender) {
  PipelineTimes times = uniformPipelineTimes(2, 1, 1.0, 2.0);
  times.forwardSend[0][0] = 0.5;   // stage 0 -> 1
  times.backwardSend[1][0] = 0.25; // stage 1 -> 0
  PipelineSimulation sim = simulate(2, 1, 1, times);
  // f0 [0,1], +0.5, f1 [1.5,2.5], b1 [2.5,4.5], +0.25, b0 [4.75,6.75].
  EXPECT_DOUBLE_EQ(sim.finishSeconds[1], 4.5);
  EXPECT_DOUBLE_EQ(sim.finishSeconds[0], 6.75);
  EXPECT_DOUBLE_EQ(sim.makespanSeconds, 6.75);
  EXPECT_DOUBLE_EQ(sim.busySeconds[0], 3.0);
}

TEST(PipelineSimulation, TheSlowestStageSetsTheSteadyState) {
  PipelineTimes times = uniformPipelineTimes(3, 1, 1.0, 2.0);
  times.forward[1][0] = 2.0;
  times.backward[1][0] = 4.0;
  const int64_t m = 32;
  PipelineSimulation sim = simulate(3, 1, m, times);
  EXPECT_EQ(sim.busiestStage, 1);
  EXPECT_GE(sim.makespanSeconds, double(m) * 6.0);
  EXPECT_LT(sim.makespanSeconds, double(m) * 6.0 + 2 * 3.0 + 1e-9);
}

TEST(PipelineSimulation, ErrorsNameTheShapeOrTheSchedule) {
  Checked<PipelineSimulation> wrongShape =
      simulatePipeline(2, 1, 4, uniformPipelineTimes(3, 1, 1, 2));
  ASSERT_FALSE(wrongShape.isOk());
  EXPECT_NE(wrongShape.error().find("2 stages x 1 chunks"), std::string::npos);
  Checked<PipelineSimulation> interleaved =
      simulatePipeline(4, 2, 6, uniformPipelineTimes(4, 2, 1, 2));
  ASSERT_FALSE(interleaved.isOk());
  EXPECT_NE(interleaved.error().find("multiple"), std::string::npos);
}

} // namespace
} // namespace strata::tuner

//===- scheduler_test.cc - continuous batching decisions ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/scheduler.h"
#include "runtime/serving/step_inputs.h"

#include <gtest/gtest.h>

#include <numeric>

namespace strata::runtime::serving {
namespace {

std::vector<int32_t> prompt(int n, int32_t first = 1) {
  std::vector<int32_t> p(n);
  std::iota(p.begin(), p.end(), first);
  return p;
}

/// Split steps: a prefill call of |prefillBatch| rows of |P| tokens and a
/// decode call of |maxRunning| rows, over a context of |T| positions.
SchedulerLimits split(int64_t prefillBatch, int64_t maxRunning, int64_t P,
                      int64_t T) {
  SchedulerLimits l;
  l.prefillBatch = prefillBatch;
  l.maxRunning = maxRunning;
  l.prefillLength = P;
  l.contextLength = T;
  return l;
}

/// Mixed steps: one call of |budget| tokens.
SchedulerLimits mixed(int64_t maxRunning, int64_t budget, int64_t T) {
  SchedulerLimits l;
  l.maxRunning = maxRunning;
  l.tokenBudget = budget;
  l.contextLength = T;
  return l;
}

/// Runs a plan as the engine would: complete, then every sampling row
/// appends |token|.
void finishStep(Scheduler &s, const StepPlan &plan, int32_t token = 7) {
  s.complete(plan);
  for (const auto *rows : {&plan.prefill, &plan.decode})
    for (const ScheduledRow &row : *rows)
      if (row.samples)
        s.append(row.sequence, token);
}

TEST(KVBlockPool, HandsOutAndTakesBackBlocksKeepingScratch) {
  KVBlockPool pool(5, 4); // 4 usable + scratch
  EXPECT_EQ(pool.capacity(), 4);
  EXPECT_EQ(pool.scratchBlock(), 4);
  std::vector<int32_t> a, b;
  EXPECT_TRUE(pool.grow(a, 5)); // 2 blocks
  EXPECT_EQ(a, (std::vector<int32_t>{0, 1}));
  EXPECT_TRUE(pool.grow(a, 8)); // still 2
  EXPECT_EQ(a.size(), 2u);
  EXPECT_FALSE(pool.grow(b, 9)); // 3 > 2 free: unchanged
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(pool.grow(b, 8));
  EXPECT_EQ(pool.freeBlocks(), 0);
  pool.release(a);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(pool.freeBlocks(), 2);
  EXPECT_EQ(pool.usedBlocks(), 2);
}

TEST(Scheduler, PrefillsInChunksThenDecodesBesideNewArrivals) {
  KVBlockPool pool(17, 4);
  Scheduler s(split(/*prefillBatch=*/1, /*maxRunning=*/4, /*P=*/4, /*T=*/32),
              pool);
  s.add(1, prompt(6));
  StepPlan p1 = s.schedule();
  ASSERT_EQ(p1.prefill.size(), 1u);
  EXPECT_EQ(p1.prefill[0].start, 0);
  EXPECT_EQ(p1.prefill[0].count, 4);
  EXPECT_FALSE(p1.prefill[0].samples);
  EXPECT_TRUE(p1.decode.empty());
  finishStep(s, p1);
  s.add(2, prompt(3)); // arrives while 1 is mid-prompt
  StepPlan p2 = s.schedule();
  ASSERT_EQ(p2.prefill.size(), 1u); // one prefill row: 1 goes first
  EXPECT_EQ(p2.prefill[0].sequence, 1u);
  EXPECT_EQ(p2.prefill[0].start, 4);
  EXPECT_EQ(p2.prefill[0].count, 2);
  EXPECT_TRUE(p2.prefill[0].samples);
  finishStep(s, p2);
  EXPECT_EQ(s.tokens(1).size(), 7u);
  StepPlan p3 = s.schedule(); // 1 decodes while 2 prefills
  ASSERT_EQ(p3.decode.size(), 1u);
  EXPECT_EQ(p3.decode[0].sequence, 1u);
  EXPECT_EQ(p3.decode[0].start, 6);
  EXPECT_EQ(p3.decode[0].count, 1);
  ASSERT_EQ(p3.prefill.size(), 1u);
  EXPECT_EQ(p3.prefill[0].sequence, 2u);
  EXPECT_EQ(p3.prefill[0].count, 3);
  finishStep(s, p3);
  StepPlan p4 = s.schedule();
  EXPECT_TRUE(p4.prefill.empty());
  EXPECT_EQ(p4.decode.size(), 2u);
}

TEST(Scheduler, AdmitsOnlyIntoFreeDecodeRowsFirstComeFirstServed) {
  KVBlockPool pool(65, 4);
  Scheduler s(split(2, 2, 8, 64), pool);
  for (uint64_t id = 1; id <= 3; ++id)
    s.add(id, prompt(2));
  StepPlan p = s.schedule();
  EXPECT_EQ(s.runningCount(), 2u);
  EXPECT_EQ(s.waitingCount(), 1u);
  ASSERT_EQ(p.prefill.size(), 2u);
  EXPECT_EQ(p.prefill[0].sequence, 1u);
  EXPECT_EQ(p.prefill[1].sequence, 2u);
  finishStep(s, p);
  s.remove(1); // finished: its row is free at the next step
  StepPlan q = s.schedule();
  EXPECT_EQ(s.runningCount(), 2u);
  ASSERT_EQ(q.prefill.size(), 1u);
  EXPECT_EQ(q.prefill[0].sequence, 3u);
  ASSERT_EQ(q.decode.size(), 1u);
  EXPECT_EQ(q.decode[0].sequence, 2u);
}

TEST(Scheduler, PreemptsTheNewestWhenBlocksRunOutAndRecomputesIt) {
  // 4 usable blocks of 2 positions; two sequences of 4 tokens take 2 each.
  KVBlockPool pool(5, 2);
  Scheduler s(split(2, 2, 8, 16), pool);
  s.add(1, prompt(4));
  s.add(2, prompt(4, 10));
  StepPlan p = s.schedule();
  ASSERT_EQ(p.prefill.size(), 2u);
  EXPECT_EQ(pool.freeBlocks(), 0);
  finishStep(s, p); // both sampled: 5 tokens each
  StepPlan q = s.schedule(); // both need a block for position 4: none free
  ASSERT_EQ(q.preempted.size(), 1u);
  EXPECT_EQ(q.preempted[0], 2u); // the newest
  ASSERT_EQ(q.decode.size(), 1u);
  EXPECT_EQ(q.decode[0].sequence, 1u);
  EXPECT_EQ(s.blocks(1).size(), 3u); // grown for position 4
  EXPECT_TRUE(s.blocks(2).empty());
  EXPECT_EQ(s.waitingCount(), 1u);
  EXPECT_EQ(s.preemptions(), 1);
  finishStep(s, q);
  s.remove(1);
  StepPlan r = s.schedule(); // 2 comes back with prompt and generated token
  ASSERT_EQ(r.prefill.size(), 1u);
  EXPECT_EQ(r.prefill[0].sequence, 2u);
  EXPECT_EQ(r.prefill[0].start, 0);
  EXPECT_EQ(r.prefill[0].count, 5);
  EXPECT_TRUE(r.prefill[0].samples);
  EXPECT_EQ(s.tokens(2), (std::vector<int32_t>{10, 11, 12, 13, 7}));
}

TEST(Scheduler, RemovingAWaitingOrRunningSequenceFreesItsBlocks) {
  KVBlockPool pool(9, 4);
  Scheduler s(split(1, 1, 4, 32), pool);
  s.add(1, prompt(9));
  s.add(2, prompt(2));
  s.schedule();
  EXPECT_EQ(pool.usedBlocks(), 3);
  s.remove(2); // waiting
  s.remove(1); // running
  EXPECT_EQ(pool.usedBlocks(), 0);
  EXPECT_TRUE(s.idle());
  s.remove(42); // unknown: ignored
}

TEST(StepInputs, PadsRowsIntoScratchAndClampsPositions) {
  KVBlockPool pool(9, 4);
  Scheduler s(split(2, 2, 4, 8), pool);
  s.add(1, prompt(6, 100));
  StepPlan p = s.schedule();
  finishStep(s, p); // 4 computed
  p = s.schedule(); // start 4, count 2
  CallShape shape{2, 4, 8, 2, pool.scratchBlock()};
  CallInputs in;
  buildCallInputs(p.prefill, s, shape, in);
  EXPECT_EQ(in.tokens, (std::vector<int32_t>{104, 105, 0, 0, 0, 0, 0, 0}));
  // Row 0 continues at 4..7; the unused row writes 0..3 into scratch.
  EXPECT_EQ(in.positions, (std::vector<int32_t>{4, 5, 6, 7, 0, 1, 2, 3}));
  EXPECT_EQ(in.blockTable, (std::vector<int32_t>{0, 1, 8, 8}));
  EXPECT_EQ(in.last, (std::vector<int32_t>{1, 0}));
  ScheduledRow late{1, 6, 1, true};
  buildCallInputs({late}, s, shape, in); // positions clamp at T - 1
  EXPECT_EQ(in.positions[0], 6);
  EXPECT_EQ(in.positions[3], 7);
}

TEST(Scheduler, MixedStepsGiveDecodersTheirTokenFirstAndPromptsTheRest) {
  KVBlockPool pool(33, 4);
  Scheduler s(mixed(/*maxRunning=*/3, /*budget=*/6, /*T=*/64), pool);
  s.add(1, prompt(4));
  s.add(2, prompt(5, 20));
  StepPlan p1 = s.schedule(); // budget 6: all of 1, 2 of 2
  ASSERT_EQ(p1.prefill.size(), 2u);
  EXPECT_EQ(p1.prefill[0].count, 4);
  EXPECT_TRUE(p1.prefill[0].samples);
  EXPECT_EQ(p1.prefill[1].sequence, 2u);
  EXPECT_EQ(p1.prefill[1].count, 2);
  EXPECT_FALSE(p1.prefill[1].samples);
  finishStep(s, p1);
  s.add(3, prompt(9, 40));
  StepPlan p2 = s.schedule(); // 1 decodes; 2 finishes its prompt; 3 starts
  ASSERT_EQ(p2.decode.size(), 1u);
  EXPECT_EQ(p2.decode[0].sequence, 1u);
  EXPECT_EQ(p2.decode[0].start, 4);
  ASSERT_EQ(p2.prefill.size(), 2u);
  EXPECT_EQ(p2.prefill[0].sequence, 2u);
  EXPECT_EQ(p2.prefill[0].start, 2);
  EXPECT_EQ(p2.prefill[0].count, 3);
  EXPECT_TRUE(p2.prefill[0].samples);
  EXPECT_EQ(p2.prefill[1].sequence, 3u);
  EXPECT_EQ(p2.prefill[1].count, 2); // 6 - 1 - 3
  finishStep(s, p2);
  s.add(4, prompt(2)); // waits: 3 sequences run
  StepPlan p3 = s.schedule();
  EXPECT_EQ(s.runningCount(), 3u);
  EXPECT_EQ(s.waitingCount(), 1u);
  EXPECT_EQ(p3.decode.size(), 2u);
  ASSERT_EQ(p3.prefill.size(), 1u);
  EXPECT_EQ(p3.prefill[0].count, 4); // the budget left by 2 decoders
}

TEST(StepInputs, TokenRowsLayDecodersThenPromptTokensOnePerRow) {
  KVBlockPool pool(9, 2);
  Scheduler s(mixed(2, 5, 16), pool);
  s.add(1, prompt(2, 100));
  StepPlan p = s.schedule();
  finishStep(s, p, 7); // 1: 100 101 7
  s.add(2, prompt(4, 200));
  p = s.schedule(); // decode 1 at 2; 2's prompt 0..3
  CallShape shape{/*batch=*/6, 1, 16, /*W=*/8, pool.scratchBlock()};
  CallInputs in;
  std::vector<int64_t> sampleRows;
  buildTokenRowInputs(p, s, shape, in, sampleRows);
  EXPECT_EQ(in.tokens, (std::vector<int32_t>{7, 200, 201, 202, 203, 0}));
  EXPECT_EQ(in.positions, (std::vector<int32_t>{2, 0, 1, 2, 3, 0}));
  // Each row reads its sequence's blocks; the spare row only scratch.
  const std::vector<int32_t> one = s.blocks(1), two = s.blocks(2);
  ASSERT_EQ(one.size(), 2u);
  ASSERT_EQ(two.size(), 2u);
  for (int row = 0; row < 6; ++row) {
    const std::vector<int32_t> expected =
        row == 0 ? one : row < 5 ? two : std::vector<int32_t>{};
    for (int w = 0; w < 8; ++w)
      EXPECT_EQ(in.blockTable[row * 8 + w],
                w < static_cast<int>(expected.size()) ? expected[w]
                                                      : pool.scratchBlock())
          << "row " << row << " entry " << w;
  }
  // Decode rows then prefill rows, each sampled at its last token's row.
  EXPECT_EQ(sampleRows, (std::vector<int64_t>{0, 4}));
}

} // namespace
} // namespace strata::runtime::serving

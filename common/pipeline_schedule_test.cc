//===- pipeline_schedule_test.cc - exact orders and a deadlock simulation -===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Exact orders for small cases (worked out by hand from Megatron-LM's
// rules), the invariants of every order, and a simulation of all stages
// running together with the runtime's communication: Send never blocks,
// Recv waits, messages of one channel arrive in the order they were sent.
//
//===----------------------------------------------------------------------===//
#include "common/pipeline_schedule.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <sstream>
#include <string>
#include <tuple>

namespace strata {
namespace {

using Kind = PipelineAction::Kind;

PipelineAction F(int chunk, int64_t microBatch) {
  return {Kind::Forward, chunk, microBatch};
}
PipelineAction B(int chunk, int64_t microBatch) {
  return {Kind::Backward, chunk, microBatch};
}

std::string text(const std::vector<PipelineAction> &schedule) {
  std::ostringstream os;
  for (const PipelineAction &a : schedule)
    os << (a.kind == Kind::Forward ? " F" : " B") << a.chunk << "."
       << a.microBatch;
  return os.str();
}

std::vector<PipelineAction> scheduleOf(int stages, int stage, int chunks,
                                       int64_t microBatches) {
  auto schedule = pipelineSchedule(stages, stage, chunks, microBatches);
  EXPECT_TRUE(schedule.isOk()) << schedule.error();
  return schedule.isOk() ? *schedule : std::vector<PipelineAction>();
}

//===----------------------------------------------------------------------===//
// Exact orders
//===----------------------------------------------------------------------===//

TEST(PipelineScheduleTest, OneFOneBOfTwoStages) {
  // Stage 0 runs one warmup forward; the last stage alternates at once.
  EXPECT_EQ(text(scheduleOf(2, 0, 1, 4)),
            text({F(0, 0), F(0, 1), B(0, 0), F(0, 2), B(0, 1), F(0, 3), B(0, 2),
                  B(0, 3)}));
  EXPECT_EQ(text(scheduleOf(2, 1, 1, 4)),
            text({F(0, 0), B(0, 0), F(0, 1), B(0, 1), F(0, 2), B(0, 2), F(0, 3),
                  B(0, 3)}));
}

TEST(PipelineScheduleTest, OneFOneBOfTheFirstOfFourStages) {
  EXPECT_EQ(text(scheduleOf(4, 0, 1, 4)),
            text({F(0, 0), F(0, 1), F(0, 2), F(0, 3), B(0, 0), B(0, 1), B(0, 2),
                  B(0, 3)}));
  EXPECT_EQ(text(scheduleOf(4, 0, 1, 6)),
            text({F(0, 0), F(0, 1), F(0, 2), F(0, 3), B(0, 0), F(0, 4), B(0, 1),
                  F(0, 5), B(0, 2), B(0, 3), B(0, 4), B(0, 5)}));
  // Fewer micro-batches than warmup forwards: all forwards first.
  EXPECT_EQ(text(scheduleOf(4, 0, 1, 2)),
            text({F(0, 0), F(0, 1), B(0, 0), B(0, 1)}));
}

TEST(PipelineScheduleTest, InterleavedTwoStagesTwoChunks) {
  // Warmup (2 - s - 1) * 2 + (2 - 1) * 2: 4 forwards on stage 0, 2 on
  // stage 1; micro-batches go through a chunk in groups of 2 (the stages).
  EXPECT_EQ(text(scheduleOf(2, 0, 2, 4)),
            text({F(0, 0), F(0, 1), F(1, 0), F(1, 1), //
                  F(0, 2), B(1, 0), F(0, 3), B(1, 1), //
                  F(1, 2), B(0, 0), F(1, 3), B(0, 1), //
                  B(1, 2), B(1, 3), B(0, 2), B(0, 3)}));
  EXPECT_EQ(text(scheduleOf(2, 1, 2, 4)),
            text({F(0, 0), F(0, 1),                   //
                  F(1, 0), B(1, 0), F(1, 1), B(1, 1), //
                  F(0, 2), B(0, 0), F(0, 3), B(0, 1), //
                  F(1, 2), B(1, 2), F(1, 3), B(1, 3), //
                  B(0, 2), B(0, 3)}));
}

TEST(PipelineScheduleTest, OneStageRunsForwardThenBackward) {
  EXPECT_EQ(text(scheduleOf(1, 0, 1, 3)),
            text({F(0, 0), B(0, 0), F(0, 1), B(0, 1), F(0, 2), B(0, 2)}));
}

TEST(PipelineScheduleTest, BadArgumentsAreNamed) {
  auto uneven = pipelineSchedule(2, 0, 2, 3);
  ASSERT_FALSE(uneven.isOk());
  EXPECT_NE(uneven.error().find(
                "stages 2, stage 0, chunks 2, micro-batches 3: the "
                "interleaved schedule needs the micro-batches to be a "
                "multiple of the stages"),
            std::string::npos)
      << uneven.error();
  // Without interleaving any count of micro-batches works.
  EXPECT_TRUE(pipelineSchedule(2, 0, 1, 3).isOk());
  for (auto [stages, stage, chunks, m] : {std::tuple{0, 0, 1, 4},
                                          {2, 2, 1, 4},
                                          {2, -1, 1, 4},
                                          {2, 0, 0, 4},
                                          {2, 0, 1, 0}}) {
    auto bad = pipelineSchedule(stages, stage, chunks, m);
    EXPECT_FALSE(bad.isOk()) << stages << " " << stage << " " << chunks << " " << m;
  }
}

//===----------------------------------------------------------------------===//
// Invariants
//===----------------------------------------------------------------------===//

/// Calls |check|(chunks, m, schedule) on the schedule of every stage of up
/// to 4 stages, 3 chunks and 12 micro-batches (those the schedules allow).
void forEachSchedule(
    const std::function<void(int, int64_t, const std::vector<PipelineAction> &)>
        &check) {
  for (int stages = 1; stages <= 4; ++stages)
    for (int chunks = 1; chunks <= 3; ++chunks)
      for (int64_t m = 1; m <= 12; ++m) {
        if (chunks > 1 && m % stages != 0)
          continue;
        for (int stage = 0; stage < stages; ++stage) {
          SCOPED_TRACE(testing::Message()
                       << "stages " << stages << " stage " << stage
                       << " chunks " << chunks << " m " << m);
          check(chunks, m, scheduleOf(stages, stage, chunks, m));
        }
      }
}

TEST(PipelineScheduleTest, EveryPassRunsOnceAndBackwardFollowsForward) {
  forEachSchedule(
      [](int chunks, int64_t m, const std::vector<PipelineAction> &schedule) {
        ASSERT_EQ(schedule.size(), size_t(2 * chunks * m));
        // 0: not run, 1: forward ran, 2: backward ran too.
        std::vector<std::vector<int>> state(chunks, std::vector<int>(m, 0));
        for (const PipelineAction &a : schedule) {
          ASSERT_GE(a.chunk, 0);
          ASSERT_LT(a.chunk, chunks);
          ASSERT_GE(a.microBatch, 0);
          ASSERT_LT(a.microBatch, m);
          int &s = state[a.chunk][a.microBatch];
          EXPECT_EQ(s, a.kind == Kind::Forward ? 0 : 1) << text({a});
          s = a.kind == Kind::Forward ? 1 : 2;
        }
        for (const auto &row : state)
          for (int s : row)
            EXPECT_EQ(s, 2);
      });
}

TEST(PipelineScheduleTest, OneFOneBKeepsAtMostStagesMinusStageInFlight) {
  for (int stages = 1; stages <= 6; ++stages)
    for (int stage = 0; stage < stages; ++stage)
      for (int64_t m = 1; m <= 10; ++m)
        EXPECT_EQ(inFlightMicroBatches(scheduleOf(stages, stage, 1, m), 1),
                  std::vector<int64_t>{std::min<int64_t>(stages - stage, m)})
            << "stages " << stages << " stage " << stage << " m " << m;
}

TEST(PipelineScheduleTest, InFlightCountsPerChunk) {
  EXPECT_EQ(inFlightMicroBatches(scheduleOf(2, 0, 2, 4), 2),
            (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(inFlightMicroBatches(scheduleOf(2, 1, 2, 4), 2),
            (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(inFlightMicroBatches({F(0, 0), F(5, 0), B(0, 0)}, 1),
            std::vector<int64_t>{1});
  EXPECT_EQ(inFlightMicroBatches({}, 2), (std::vector<int64_t>{0, 0}));
}

TEST(PipelineScheduleTest, StashSlotsReuseTheLowestFreeSlot) {
  // Stage 0 of 2 stages: micro-batch 2 takes the slot micro-batch 0 freed.
  auto slots = stashSlots(scheduleOf(2, 0, 1, 4), 1);
  ASSERT_TRUE(slots.isOk()) << slots.error();
  // F0 F1 B0 F2 B1 F3 B2 B3
  EXPECT_EQ(*slots, (std::vector<int64_t>{0, 1, 0, 0, 1, 1, 0, 1}));
}

TEST(PipelineScheduleTest, StashSlotsAreAsManyAsInFlightAndPairUp) {
  forEachSchedule([](int chunks, int64_t,
                     const std::vector<PipelineAction> &schedule) {
    auto slots = stashSlots(schedule, chunks);
    ASSERT_TRUE(slots.isOk()) << slots.error();
    ASSERT_EQ(slots->size(), schedule.size());
    std::vector<int64_t> used(chunks, 0);
    // Per chunk and slot, the micro-batch in it (-1: none).
    std::vector<std::vector<int64_t>> in(chunks, std::vector<int64_t>(64, -1));
    for (size_t i = 0; i < schedule.size(); ++i) {
      const PipelineAction &a = schedule[i];
      const int64_t slot = (*slots)[i];
      ASSERT_GE(slot, 0);
      ASSERT_LT(slot, 64);
      used[a.chunk] = std::max(used[a.chunk], slot + 1);
      int64_t &holder = in[a.chunk][slot];
      if (a.kind == Kind::Forward) {
        EXPECT_EQ(holder, -1) << text({a}) << " takes a held slot";
        holder = a.microBatch;
      } else {
        EXPECT_EQ(holder, a.microBatch) << text({a});
        holder = -1;
      }
    }
    EXPECT_EQ(used, inFlightMicroBatches(schedule, chunks));
  });
}

TEST(PipelineScheduleTest, StashSlotsRejectBrokenSchedules) {
  auto orphan = stashSlots({F(0, 0), B(0, 1)}, 1);
  EXPECT_EQ(orphan.error(),
            "stash slots: the backward of micro-batch 1 on chunk 0 has no "
            "forward before it");
  auto twice = stashSlots({F(0, 0), F(0, 0)}, 1);
  EXPECT_EQ(twice.error(),
            "stash slots: the forward of micro-batch 0 on chunk 0 runs again "
            "before its backward");
  auto outside = stashSlots({F(2, 0)}, 2);
  EXPECT_EQ(outside.error(),
            "stash slots: the forward of micro-batch 0 on chunk 2 is outside "
            "chunks [0, 2)");
}

//===----------------------------------------------------------------------===//
// Simulation of all stages together
//===----------------------------------------------------------------------===//

/// Runs every stage's schedule in order with the runtime's rules and returns
/// "" when all finish, else why not. The forward of global chunk g > 0 of
/// micro-batch i receives the activation the forward of g - 1 sent; the
/// backward of g < last receives the gradient the backward of g + 1 sent;
/// every backward needs its own chunk's forward. Messages of one channel
/// (one tag) are received in the order they were sent.
std::string simulate(const std::vector<std::vector<PipelineAction>> &schedules,
                     int chunks, int64_t m) {
  const int stages = static_cast<int>(schedules.size());
  const int globalChunks = stages * chunks;
  // Messages into global chunk g: activations from g - 1, gradients from
  // g + 1 (the micro-batch they belong to).
  std::vector<std::deque<int64_t>> activations(globalChunks),
      gradients(globalChunks);
  std::vector<std::vector<bool>> forwardRan(globalChunks,
                                            std::vector<bool>(m, false));
  std::vector<size_t> next(stages, 0);
  std::ostringstream errors;
  /// Receives the message of |i| from |channel|, or says it is not there.
  auto receive = [&](std::deque<int64_t> &channel, int64_t i, int g,
                     const char *what) {
    if (channel.empty())
      return false;
    if (channel.front() != i)
      errors << "global chunk " << g << " received the " << what << " of "
             << channel.front() << " for micro-batch " << i << "; ";
    channel.pop_front();
    return true;
  };
  for (bool progress = true; progress;) {
    progress = false;
    for (int s = 0; s < stages; ++s)
      while (next[s] < schedules[s].size()) {
        const PipelineAction &a = schedules[s][next[s]];
        const int g = a.chunk * stages + s;
        const int64_t i = a.microBatch;
        if (a.kind == Kind::Forward) {
          if (g > 0 && !receive(activations[g], i, g, "activation"))
            break;
          forwardRan[g][i] = true;
          if (g + 1 < globalChunks)
            activations[g + 1].push_back(i);
        } else {
          if (!forwardRan[g][i])
            break; // waits forever: only this stage could run it
          if (g + 1 < globalChunks && !receive(gradients[g], i, g, "gradient"))
            break;
          if (g > 0)
            gradients[g - 1].push_back(i);
        }
        ++next[s];
        progress = true;
      }
  }
  for (int s = 0; s < stages; ++s)
    if (next[s] < schedules[s].size())
      errors << "stage " << s << " blocks at" << text({schedules[s][next[s]]})
             << " (action " << next[s] << "); ";
  for (int g = 0; g < globalChunks; ++g)
    if (!activations[g].empty() || !gradients[g].empty())
      errors << "messages into global chunk " << g << " were never received; ";
  return errors.str();
}

TEST(PipelineScheduleTest, AllStagesTogetherNeverDeadlock) {
  // Up to 8 stages of 4 chunks: well past the meshes the tests run, and
  // fast (about 2000 simulations of at most 256 actions per stage).
  int simulated = 0;
  for (int stages = 1; stages <= 8; ++stages)
    for (int chunks = 1; chunks <= 4; ++chunks)
      for (int64_t m = 1; m <= 32; ++m) {
        if (chunks > 1 && m % stages != 0)
          continue;
        std::vector<std::vector<PipelineAction>> schedules;
        for (int s = 0; s < stages; ++s)
          schedules.push_back(scheduleOf(stages, s, chunks, m));
        EXPECT_EQ(simulate(schedules, chunks, m), "")
            << "stages " << stages << " chunks " << chunks << " m " << m;
        ++simulated;
      }
  EXPECT_EQ(simulated, 8 * 32 + 3 * (32 + 16 + 10 + 8 + 6 + 5 + 4 + 4));
}

TEST(PipelineScheduleTest, TheSimulationCatchesDeadlocksAndMismatches) {
  // Stage 0 without its warmup forward waits for a gradient while stage 1
  // waits for the second activation.
  EXPECT_EQ(simulate({{F(0, 0), B(0, 0), F(0, 1), B(0, 1)},
                      {F(0, 0), F(0, 1), B(0, 0), B(0, 1)}},
                     1, 2),
            "stage 0 blocks at B0.0 (action 1); stage 1 blocks at F0.1 "
            "(action 1); ");
  // A backward before its own forward.
  EXPECT_EQ(simulate({{B(0, 0), F(0, 0)}}, 1, 1),
            "stage 0 blocks at B0.0 (action 0); ");
  // Stage 1 takes the micro-batches in another order than stage 0 sent
  // them: with one tag per channel it would receive the wrong activation.
  EXPECT_EQ(
      simulate({scheduleOf(2, 0, 1, 2), {F(0, 1), B(0, 1), F(0, 0), B(0, 0)}},
               1, 2),
      "global chunk 1 received the activation of 0 for micro-batch 1; "
      "global chunk 1 received the activation of 1 for micro-batch 0; "
      "global chunk 0 received the gradient of 1 for micro-batch 0; "
      "global chunk 0 received the gradient of 0 for micro-batch 1; ");
}

} // namespace
} // namespace strata

//===- stash_slots_test.cc - tests of the saved-value slots ---------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/stash_slots.h"

#include "runtime/executor/pipeline_schedule.h"

#include <gtest/gtest.h>

#include <cstring>

namespace strata::runtime {
namespace {

TEST(StashSlotsTest, AcquireFindRelease) {
  StashSlots stash;
  ASSERT_TRUE(stash.reserve({16, 8}, {2, 1}).isOk());
  EXPECT_EQ(stash.chunks(), 2);
  EXPECT_EQ(stash.slots(0), 2);
  EXPECT_EQ(stash.allocatedBytes(), 2u * 16 + 8);
  StatusOr<uint8_t *> a = stash.acquire(0, 5);
  StatusOr<uint8_t *> b = stash.acquire(0, 6);
  ASSERT_TRUE(a.isOk() && b.isOk());
  EXPECT_NE(*a, *b);
  std::memset(*a, 0xab, 16);
  StatusOr<uint8_t *> found = stash.find(0, 5);
  ASSERT_TRUE(found.isOk());
  EXPECT_EQ(*found, *a);
  EXPECT_EQ((*found)[15], 0xab);
  EXPECT_EQ(stash.inUse(), 2);
  ASSERT_TRUE(stash.release(0, 5).isOk());
  EXPECT_EQ(stash.inUse(), 1);
  // The freed slot serves the next micro-batch.
  StatusOr<uint8_t *> c = stash.acquire(0, 7);
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(*c, *a);
}

TEST(StashSlotsTest, MisuseIsAnError) {
  StashSlots stash;
  ASSERT_TRUE(stash.reserve({4}, {1}).isOk());
  ASSERT_TRUE(stash.acquire(0, 0).isOk());
  EXPECT_NE(stash.acquire(0, 0).status().message().find(
                "micro-batch 0 of chunk 0 already holds a slot"),
            std::string::npos);
  EXPECT_NE(stash.acquire(0, 1).status().message().find(
                "no free slot for micro-batch 1 of chunk 0 (all 1 held)"),
            std::string::npos);
  EXPECT_NE(stash.find(0, 3).status().message().find("holds no slot"),
            std::string::npos);
  EXPECT_FALSE(stash.release(0, 3).isOk());
  EXPECT_FALSE(stash.acquire(1, 0).isOk());
  EXPECT_FALSE(stash.find(-1, 0).isOk());
  EXPECT_FALSE(stash.reserve({8}, {1}).isOk()) << "slot size changed";
  EXPECT_FALSE(stash.reserve({4, 4}, {1}).isOk());
}

TEST(StashSlotsTest, GrowsKeepingWhatItHolds) {
  StashSlots stash;
  ASSERT_TRUE(stash.reserve({4}, {1}).isOk());
  StatusOr<uint8_t *> a = stash.acquire(0, 0);
  ASSERT_TRUE(a.isOk());
  std::memset(*a, 7, 4);
  ASSERT_TRUE(stash.reserve({4, 2}, {3, 2}).isOk());
  EXPECT_EQ(stash.slots(0), 3);
  EXPECT_EQ(stash.slots(1), 2);
  StatusOr<uint8_t *> again = stash.find(0, 0);
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ((*again)[3], 7);
  // Reserving less keeps the slots.
  ASSERT_TRUE(stash.reserve({4, 2}, {1, 1}).isOk());
  EXPECT_EQ(stash.slots(0), 3);
}

// Every stage of 1F1B and of the interleaved schedule runs within the slots
// inFlightMicroBatches counts, and each backward step finds the values of
// its own forward step.
TEST(StashSlotsTest, SchedulesFitTheirInFlightCount) {
  for (int stages : {1, 2, 4})
    for (int chunks : {1, 2, 3})
      for (int64_t microBatches : {4, 8, 12}) {
        if (chunks > 1 && microBatches % stages != 0)
          continue;
        for (int stage = 0; stage < stages; ++stage) {
          StatusOr<std::vector<PipelineAction>> schedule =
              pipelineSchedule(stages, stage, chunks, microBatches);
          ASSERT_TRUE(schedule.isOk()) << schedule.status().toString();
          StashSlots stash;
          const std::vector<int64_t> inFlight =
              inFlightMicroBatches(*schedule, chunks);
          ASSERT_TRUE(
              stash.reserve(std::vector<size_t>(chunks, 8), inFlight).isOk());
          const std::string where =
              "stages " + std::to_string(stages) + " stage " +
              std::to_string(stage) + " chunks " + std::to_string(chunks) +
              " micro-batches " + std::to_string(microBatches);
          for (const PipelineAction &action : *schedule) {
            const int64_t mark = action.microBatch * 10 + action.chunk;
            if (action.kind == PipelineAction::Kind::Forward) {
              StatusOr<uint8_t *> slot =
                  stash.acquire(action.chunk, action.microBatch);
              ASSERT_TRUE(slot.isOk())
                  << where << ": " << slot.status().toString();
              std::memcpy(*slot, &mark, sizeof(mark));
            } else {
              StatusOr<uint8_t *> slot =
                  stash.find(action.chunk, action.microBatch);
              ASSERT_TRUE(slot.isOk()) << where;
              int64_t read;
              std::memcpy(&read, *slot, sizeof(read));
              EXPECT_EQ(read, mark) << where;
              ASSERT_TRUE(
                  stash.release(action.chunk, action.microBatch).isOk());
            }
          }
          EXPECT_EQ(stash.inUse(), 0) << where;
        }
      }
}

} // namespace
} // namespace strata::runtime

//===- MemoryPlannerTest.cpp - tests of the static memory planner ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Planning/MemoryPlanner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace strata::planning {
namespace {

using Category = BufferCategory;

Buffer transientBuffer(int64_t id, size_t size, int64_t firstUse,
                       int64_t lastUse, size_t alignment = 1,
                       Category category = Category::Activation) {
  Buffer buffer;
  buffer.id = id;
  buffer.size = size;
  buffer.alignment = alignment;
  buffer.category = category;
  buffer.firstUse = firstUse;
  buffer.lastUse = lastUse;
  return buffer;
}

Buffer persistentBuffer(int64_t id, Category category, size_t size,
                        size_t alignment = 1) {
  Buffer buffer;
  buffer.id = id;
  buffer.size = size;
  buffer.alignment = alignment;
  buffer.category = category;
  return buffer;
}

Buffer aliasBuffer(int64_t id, int64_t of, size_t size, int64_t firstUse,
                   int64_t lastUse) {
  Buffer buffer = transientBuffer(id, size, firstUse, lastUse);
  buffer.aliasOf = of;
  return buffer;
}

PlannerOptions unalignedArena() {
  PlannerOptions options;
  options.arenaAlignment = 1;
  return options;
}

/// Plans |buffers|, failing the test if planning or verify() fails.
MemoryPlan planAndVerify(const std::vector<Buffer> &buffers,
                         const PlannerOptions &options = unalignedArena()) {
  std::string error;
  std::optional<MemoryPlan> plan = planMemory(buffers, options, &error);
  if (!plan) {
    ADD_FAILURE() << "planning failed: " << error;
    return {};
  }
  if (std::optional<std::string> problem = verify(*plan, buffers))
    ADD_FAILURE() << "verify failed: " << *problem;
  return *plan;
}

std::string planError(const std::vector<Buffer> &buffers) {
  std::string error;
  EXPECT_FALSE(planMemory(buffers, {}, &error).has_value());
  return error;
}

//===----------------------------------------------------------------------===//
// Reference computations for the property tests, written independently of
// the planner: alias groups by chasing aliasOf, live bytes by instruction.
//===----------------------------------------------------------------------===//

struct ReferenceGroup {
  size_t size = 0;
  size_t alignment = 1;
  int64_t firstUse = std::numeric_limits<int64_t>::max();
  int64_t lastUse = std::numeric_limits<int64_t>::min();
  bool pinned = false;
  Category rootCategory = Category::Activation;
};

std::map<int64_t, ReferenceGroup>
referenceGroups(const std::vector<Buffer> &buffers) {
  std::map<int64_t, const Buffer *> byId;
  for (const Buffer &buffer : buffers)
    byId[buffer.id] = &buffer;
  std::map<int64_t, ReferenceGroup> groups;
  for (const Buffer &buffer : buffers) {
    const Buffer *root = &buffer;
    while (root->aliasOf)
      root = byId.at(*root->aliasOf);
    ReferenceGroup &group = groups[root->id];
    group.rootCategory = root->category;
    group.size = std::max(group.size, buffer.size);
    group.alignment = std::max(group.alignment, buffer.alignment);
    if (isPersistent(buffer.category)) {
      group.pinned = true;
    } else {
      group.firstUse = std::min(group.firstUse, buffer.firstUse);
      group.lastUse = std::max(group.lastUse, buffer.lastUse);
    }
  }
  return groups;
}

/// Max over instructions of the transient bytes live there, overall and for
/// |only| when given.
size_t referencePeak(const std::vector<Buffer> &buffers,
                     std::optional<Category> only = std::nullopt) {
  std::map<int64_t, ReferenceGroup> groups = referenceGroups(buffers);
  size_t peak = 0;
  for (const Buffer &buffer : buffers) {
    int64_t instruction = buffer.firstUse;
    size_t live = 0;
    for (const auto &[id, group] : groups)
      if (!group.pinned && group.firstUse <= instruction &&
          instruction <= group.lastUse &&
          (!only || group.rootCategory == *only))
        live += group.size;
    peak = std::max(peak, live);
  }
  return peak;
}

//===----------------------------------------------------------------------===//
// Hand-made programs with known optimal plans
//===----------------------------------------------------------------------===//

TEST(MemoryPlannerTest, EmptyProgram) {
  MemoryPlan plan = planAndVerify({});
  EXPECT_EQ(plan.arenaBytes, 0u);
  EXPECT_EQ(plan.transientLowerBound, 0u);
  EXPECT_EQ(plan.lowerBoundRatio(), 1.0);
}

TEST(MemoryPlannerTest, DisjointChainReusesOneSlot) {
  std::vector<Buffer> buffers;
  for (int64_t i = 0; i < 5; ++i)
    buffers.push_back(transientBuffer(i, 100, i, i));
  MemoryPlan plan = planAndVerify(buffers);
  for (size_t offset : plan.offsets)
    EXPECT_EQ(offset, 0u);
  EXPECT_EQ(plan.arenaBytes, 100u);
  EXPECT_EQ(plan.transientLowerBound, 100u);
  EXPECT_EQ(plan.transientSumBytes, 500u);
  EXPECT_EQ(plan.peak(Category::Activation), 100u);
}

TEST(MemoryPlannerTest, ProducerConsumerChainUsesTwoSlots) {
  // Each op reads its predecessor's output while writing its own: buffers
  // i and i+1 overlap at instruction i+1, so two slots alternate.
  std::vector<Buffer> buffers;
  for (int64_t i = 0; i < 6; ++i)
    buffers.push_back(transientBuffer(i, 64, i, i + 1));
  MemoryPlan plan = planAndVerify(buffers);
  EXPECT_EQ(plan.arenaBytes, 128u);
  EXPECT_EQ(plan.transientLowerBound, 128u);
  for (size_t i = 2; i < buffers.size(); ++i)
    EXPECT_EQ(plan.offsets[i], plan.offsets[i - 2]) << "buffer " << i;
}

TEST(MemoryPlannerTest, TwoOverlappingBuffersStack) {
  std::vector<Buffer> buffers = {transientBuffer(1, 100, 0, 2),
                                 transientBuffer(2, 50, 1, 3)};
  MemoryPlan plan = planAndVerify(buffers);
  EXPECT_EQ(plan.offsets[0], 0u); // the larger first
  EXPECT_EQ(plan.offsets[1], 100u);
  EXPECT_EQ(plan.arenaBytes, 150u);
  EXPECT_EQ(plan.transientLowerBound, 150u);
  EXPECT_EQ(plan.transientPeakInstruction, 1);
}

TEST(MemoryPlannerTest, BestFitPicksTheSmallestGap) {
  // Long-lived buffers at [0,160), [280,380) and [430,475) with holes
  // where the short-lived ones were: 120 bytes at 160 and 50 at 380. The
  // last buffer (40 bytes) takes the 50-byte hole, not the lower one.
  std::vector<Buffer> holes = {
      transientBuffer(1, 160, 0, 9), // [0,160)
      transientBuffer(2, 120, 0, 1), // [160,280), dies early
      transientBuffer(3, 100, 0, 9), // [280,380)
      transientBuffer(4, 50, 0, 1),  // [380,430), dies early
      transientBuffer(5, 45, 0, 9),  // [430,475)
      transientBuffer(6, 40, 5, 6),
  };
  MemoryPlan second = planAndVerify(holes);
  EXPECT_EQ(second.offsets[0], 0u);
  EXPECT_EQ(second.offsets[1], 160u);
  EXPECT_EQ(second.offsets[2], 280u);
  EXPECT_EQ(second.offsets[3], 380u);
  EXPECT_EQ(second.offsets[4], 430u);
  EXPECT_EQ(second.offsets[5], 380u) << "best fit takes the 50-byte hole";
  EXPECT_EQ(second.arenaBytes, 475u);
}

TEST(MemoryPlannerTest, GreedyBySizeAvoidsFragmentation) {
  // Placed in program order, 1 goes above 0 (at 50) and 2 no longer fits
  // below it: 160 bytes. By size, 2 and 0 share offset 0 and 1 sits above
  // them: 110 bytes, the lower bound.
  std::vector<Buffer> buffers = {transientBuffer(0, 50, 0, 0),
                                 transientBuffer(1, 10, 0, 1),
                                 transientBuffer(2, 100, 1, 1)};
  MemoryPlan plan = planAndVerify(buffers);
  EXPECT_EQ(plan.offsets[0], 0u);
  EXPECT_EQ(plan.offsets[1], 100u);
  EXPECT_EQ(plan.offsets[2], 0u);
  EXPECT_EQ(plan.arenaBytes, 110u);
  EXPECT_EQ(plan.transientLowerBound, 110u);
}

TEST(MemoryPlannerTest, AliasSharesOffsetAndExtendsLiveness) {
  // 2 is an in-place op on 1; 3 is an in-place op on 2. The group lives
  // over [0, 6], so 4 (live at 5) cannot reuse its bytes, though it could
  // have reused 1's alone.
  std::vector<Buffer> buffers = {
      transientBuffer(1, 64, 0, 2), aliasBuffer(2, 1, 64, 2, 4),
      aliasBuffer(3, 2, 64, 4, 6), transientBuffer(4, 64, 5, 7),
      transientBuffer(5, 64, 8, 9)};
  MemoryPlan plan = planAndVerify(buffers);
  EXPECT_EQ(plan.offsets[1], plan.offsets[0]);
  EXPECT_EQ(plan.offsets[2], plan.offsets[0]);
  EXPECT_NE(plan.offsets[3], plan.offsets[0]);
  EXPECT_EQ(plan.offsets[4], 0u);
  EXPECT_EQ(plan.arenaBytes, 128u);
  // The group counts once: 64 bytes, not 192.
  EXPECT_EQ(plan.transientSumBytes, 64u * 3);
  EXPECT_EQ(plan.peak(Category::Activation), 128u);
}

TEST(MemoryPlannerTest, AliasGroupTakesLargestSizeAndAlignment) {
  std::vector<Buffer> buffers = {transientBuffer(1, 10, 0, 1),
                                 aliasBuffer(2, 1, 40, 1, 2),
                                 transientBuffer(3, 30, 0, 0)};
  buffers[1].alignment = 32;
  MemoryPlan plan = planAndVerify(buffers);
  EXPECT_EQ(plan.offsets[0], plan.offsets[1]);
  EXPECT_EQ(plan.offsets[0] % 32, 0u);
  // Group (40 bytes) at 0; buffer 3 (overlapping at 0) above it.
  EXPECT_EQ(plan.offsets[0], 0u);
  EXPECT_EQ(plan.offsets[2], 40u);
}

TEST(MemoryPlannerTest, AliasOfPersistentBufferIsPinned) {
  // An in-place update of a parameter (an activation-typed view of it)
  // lives in the parameter's slot, not in the transient region.
  std::vector<Buffer> buffers = {persistentBuffer(1, Category::Parameter, 96),
                                 aliasBuffer(2, 1, 96, 3, 4),
                                 transientBuffer(3, 32, 3, 4)};
  MemoryPlan plan = planAndVerify(buffers);
  EXPECT_EQ(plan.offsets[0], 0u);
  EXPECT_EQ(plan.offsets[1], 0u);
  EXPECT_EQ(plan.offsets[2], 96u);
  EXPECT_EQ(plan.peak(Category::Parameter), 96u);
  EXPECT_EQ(plan.peak(Category::Activation), 32u);
}

//===----------------------------------------------------------------------===//
// Persistent layout, alignment and peaks
//===----------------------------------------------------------------------===//

TEST(MemoryPlannerTest, PersistentBuffersByCategoryThenId) {
  std::vector<Buffer> buffers = {
      persistentBuffer(9, Category::Output, 4),
      persistentBuffer(5, Category::Gradient, 100),
      transientBuffer(1, 50, 0, 1),
      persistentBuffer(3, Category::Parameter, 100),
      persistentBuffer(2, Category::Parameter, 10),
      persistentBuffer(7, Category::Input, 8),
      persistentBuffer(6, Category::OptimizerState, 200),
      persistentBuffer(8, Category::PipelineStash, 16),
  };
  MemoryPlan plan = planAndVerify(buffers);
  // parameter 2, parameter 3, gradient 5, optimizer state 6, stash 8,
  // input 7, output 9, then the transient region.
  EXPECT_EQ(plan.offsets[4], 0u);
  EXPECT_EQ(plan.offsets[3], 10u);
  EXPECT_EQ(plan.offsets[1], 110u);
  EXPECT_EQ(plan.offsets[6], 210u);
  EXPECT_EQ(plan.offsets[7], 410u);
  EXPECT_EQ(plan.offsets[5], 426u);
  EXPECT_EQ(plan.offsets[0], 434u);
  EXPECT_EQ(plan.persistentBytes, 438u);
  EXPECT_EQ(plan.transientBase, 438u);
  EXPECT_EQ(plan.offsets[2], 438u);
  EXPECT_EQ(plan.arenaBytes, 488u);
  EXPECT_EQ(plan.peak(Category::Parameter), 110u);
  EXPECT_EQ(plan.peak(Category::Gradient), 100u);
  EXPECT_EQ(plan.peak(Category::OptimizerState), 200u);
  EXPECT_EQ(plan.peak(Category::PipelineStash), 16u);
  EXPECT_EQ(plan.peak(Category::Input), 8u);
  EXPECT_EQ(plan.peak(Category::Output), 4u);
  EXPECT_EQ(plan.peak(Category::Activation), 50u);
  EXPECT_EQ(plan.peak(Category::Workspace), 0u);
}

TEST(MemoryPlannerTest, PersistentBuffersIgnoreTheirIntervals) {
  // A persistent buffer lives throughout, whatever its interval says: the
  // transient buffer may not reuse its bytes.
  std::vector<Buffer> buffers = {persistentBuffer(1, Category::Parameter, 64),
                                 transientBuffer(2, 64, 10, 20)};
  buffers[0].firstUse = 5;
  buffers[0].lastUse = 0; // nonsense, and ignored
  MemoryPlan plan = planAndVerify(buffers);
  EXPECT_EQ(plan.offsets[1], 64u);
}

TEST(MemoryPlannerTest, OffsetsHonourAlignment) {
  std::vector<Buffer> buffers = {
      persistentBuffer(1, Category::Parameter, 3),
      persistentBuffer(2, Category::Parameter, 5, 16),
      transientBuffer(3, 7, 0, 2, 1),
      transientBuffer(4, 9, 0, 2, 64),
      transientBuffer(5, 33, 1, 2, 256),
      transientBuffer(6, 1, 2, 2, 8),
  };
  PlannerOptions options;
  options.arenaAlignment = 512;
  MemoryPlan plan = planAndVerify(buffers, options);
  for (size_t i = 0; i < buffers.size(); ++i)
    EXPECT_EQ(plan.offsets[i] % buffers[i].alignment, 0u) << "buffer " << i;
  EXPECT_EQ(plan.offsets[1], 16u);
  EXPECT_EQ(plan.persistentBytes, 21u);
  EXPECT_EQ(plan.transientBase, 256u); // the largest transient alignment
  EXPECT_EQ(plan.arenaBytes % 512, 0u);
  EXPECT_GE(plan.arenaBytes, plan.transientBase + plan.transientBytes);
}

TEST(MemoryPlannerTest, CategoryPeaksAreTakenSeparately) {
  // Activations peak at instruction 1 (30), workspaces at 3 (50); the
  // transient lower bound is the peak of their sum (instruction 3: 60).
  std::vector<Buffer> buffers = {
      transientBuffer(1, 10, 0, 3), transientBuffer(2, 20, 1, 1),
      transientBuffer(3, 25, 3, 3, 1, Category::Workspace),
      transientBuffer(4, 25, 2, 4, 1, Category::Workspace)};
  MemoryPlan plan = planAndVerify(buffers);
  EXPECT_EQ(plan.peak(Category::Activation), 30u);
  EXPECT_EQ(plan.peak(Category::Workspace), 50u);
  EXPECT_EQ(plan.transientLowerBound, 60u);
  EXPECT_EQ(plan.transientPeakInstruction, 3);
  EXPECT_EQ(plan.arenaBytes, 60u);
}

TEST(MemoryPlannerTest, GradientBucketsReuseActivationsDeadAtTheirInstruction) {
  // A gradient collective's bucket lives at its instruction (5) only: it
  // takes the bytes of the activations of instructions 0-2, and costs
  // arena only when it is larger than they are.
  EXPECT_FALSE(isPersistent(Category::GradientBucket));
  EXPECT_STREQ(stringifyBufferCategory(Category::GradientBucket),
               "gradient_bucket");
  EXPECT_EQ(kAllBufferCategories.back(), Category::GradientBucket);
  std::vector<Buffer> buffers = {
      persistentBuffer(1, Category::Gradient, 64),
      transientBuffer(2, 100, 0, 2), transientBuffer(3, 60, 1, 2),
      transientBuffer(4, 120, 5, 5, 1, Category::GradientBucket)};
  MemoryPlan plan = planAndVerify(buffers);
  EXPECT_EQ(plan.offsets[3], plan.transientBase);
  EXPECT_EQ(plan.arenaBytes, 64u + 160u);
  EXPECT_EQ(plan.peak(Category::Activation), 160u);
  EXPECT_EQ(plan.peak(Category::GradientBucket), 120u);
  buffers[3].size = 200;
  plan = planAndVerify(buffers);
  EXPECT_EQ(plan.arenaBytes, 64u + 200u);
  EXPECT_EQ(plan.transientPeakInstruction, 5);
}

TEST(MemoryPlannerTest, ZeroSizedBuffersTakeNoSpace) {
  std::vector<Buffer> buffers = {transientBuffer(1, 0, 0, 5),
                                 transientBuffer(2, 16, 0, 5),
                                 persistentBuffer(3, Category::Output, 0)};
  MemoryPlan plan = planAndVerify(buffers);
  EXPECT_EQ(plan.arenaBytes, 16u);
}

TEST(MemoryPlannerTest, SummaryNamesTheNumbers) {
  std::vector<Buffer> buffers = {persistentBuffer(1, Category::Parameter, 2048),
                                 transientBuffer(2, 1024, 0, 0),
                                 transientBuffer(3, 1024, 1, 1)};
  std::string summary = formatPlanSummary(planAndVerify(buffers));
  EXPECT_NE(summary.find("arena: 3.00 KiB (3072 bytes)"), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("plan/lower bound 1.000"), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("reuse saves 50.0%"), std::string::npos) << summary;
  EXPECT_NE(summary.find("parameter: 2.00 KiB"), std::string::npos) << summary;
}

//===----------------------------------------------------------------------===//
// Invalid input
//===----------------------------------------------------------------------===//

TEST(MemoryPlannerTest, RejectsInvalidBuffers) {
  EXPECT_EQ(
      planError({transientBuffer(4, 8, 0, 1), transientBuffer(4, 8, 0, 1)}),
      "buffers at positions 0 and 1 share id 4");

  Buffer named = transientBuffer(3, 8, 0, 1, 24);
  named.name = "layer0.qkv";
  EXPECT_EQ(planError({named}),
            "buffer 3 \"layer0.qkv\": alignment 24 is not a power of two");
  EXPECT_EQ(planError({transientBuffer(3, 8, 0, 1, 0)}),
            "buffer 3: alignment 0 is not a power of two");

  EXPECT_EQ(planError({transientBuffer(5, 8, 4, 2)}),
            "buffer 5: live interval [4, 2] ends before it starts");

  EXPECT_EQ(planError({aliasBuffer(6, 6, 8, 0, 1)}), "buffer 6 aliases itself");
  EXPECT_EQ(planError({aliasBuffer(6, 7, 8, 0, 1)}),
            "buffer 6 aliases unknown buffer 7");
  EXPECT_EQ(planError({transientBuffer(0, 8, 0, 1), aliasBuffer(1, 2, 8, 0, 1),
                       aliasBuffer(2, 3, 8, 0, 1), aliasBuffer(3, 1, 8, 0, 1)}),
            "alias cycle: buffer 1 -> buffer 2 -> buffer 3 -> buffer 1");

  size_t quarter = std::numeric_limits<size_t>::max() / 4;
  EXPECT_EQ(planError({transientBuffer(1, quarter / 2, 0, 1),
                       transientBuffer(2, quarter / 2, 0, 1)}),
            "buffer 2: sizes and alignments add up to more than " +
                std::to_string(quarter) + " bytes");

  PlannerOptions options;
  options.arenaAlignment = 100;
  std::string error;
  EXPECT_FALSE(planMemory({}, options, &error).has_value());
  EXPECT_EQ(error, "arena alignment 100 is not a power of two");
}

//===----------------------------------------------------------------------===//
// verify() on corrupted plans
//===----------------------------------------------------------------------===//

class CorruptedPlanTest : public ::testing::Test {
protected:
  void SetUp() override {
    buffers = {persistentBuffer(1, Category::Parameter, 64, 64),
               transientBuffer(2, 64, 0, 3, 64),
               transientBuffer(3, 64, 2, 5, 64), aliasBuffer(4, 3, 64, 5, 6),
               transientBuffer(5, 64, 7, 8, 64)};
    buffers[0].name = "wte";
    buffers[1].name = "h0";
    buffers[2].name = "h1";
    PlannerOptions options;
    options.arenaAlignment = 64;
    plan = planAndVerify(buffers, options);
    ASSERT_EQ(plan.arenaBytes, 192u);
  }

  std::string verifyError() {
    std::optional<std::string> error = verify(plan, buffers);
    EXPECT_TRUE(error.has_value());
    return error.value_or("");
  }

  std::vector<Buffer> buffers;
  MemoryPlan plan;
};

TEST_F(CorruptedPlanTest, MissingOffsets) {
  plan.offsets.pop_back();
  EXPECT_EQ(verifyError(), "plan has 4 offsets for 5 buffers");
}

TEST_F(CorruptedPlanTest, Misaligned) {
  plan.offsets[4] = 32;
  EXPECT_EQ(verifyError(), "buffer 5 at offset 32 is not aligned to 64");
}

TEST_F(CorruptedPlanTest, OutsideTheArena) {
  plan.offsets[4] = 192;
  EXPECT_EQ(verifyError(), "buffer 5 at bytes [192, 256) extends past the end "
                           "of the 192-byte arena");
  plan.offsets[4] = size_t(1) << 63;
  EXPECT_EQ(verifyError(), "buffer 5 at offset 9223372036854775808 extends "
                           "past the end of the 192-byte arena");
}

TEST_F(CorruptedPlanTest, ArenaSizeNotAligned) {
  plan.arenaBytes += 1;
  EXPECT_EQ(verifyError(),
            "arena size 193 is not a multiple of the arena alignment 64");
}

TEST_F(CorruptedPlanTest, AliasAwayFromItsRoot) {
  plan.offsets[3] = plan.offsets[2] == 64 ? 128 : 64;
  std::string error = verifyError();
  EXPECT_NE(error.find("buffer 4 aliases buffer 3 \"h1\" but is at offset"),
            std::string::npos)
      << error;
}

TEST_F(CorruptedPlanTest, TransientBuffersOverlap) {
  // h0 and h1 are both live at instructions 2 and 3.
  plan.offsets[2] = plan.offsets[3] = plan.offsets[1];
  EXPECT_EQ(verifyError(),
            "buffer 2 \"h0\" at bytes [64, 128) live over [0, 3] and "
            "buffer 3 \"h1\" (with 1 alias) at bytes [64, 128) live over "
            "[2, 6] overlap in memory while both live");
}

TEST_F(CorruptedPlanTest, PartialOverlapIsCaught) {
  plan.arenaBytes = 1024;
  plan.offsets[1] = 256;
  plan.offsets[2] = plan.offsets[3] = 256 + 64; // touching is fine
  EXPECT_FALSE(verify(plan, buffers).has_value());
  buffers[1].size = 65; // now one byte overlaps
  EXPECT_NE(verifyError().find("buffer 2 \"h0\" at bytes [256, 321)"),
            std::string::npos);
}

TEST_F(CorruptedPlanTest, TransientOverPersistent) {
  // Buffer 5 lives only at [7, 8], but the parameter is live throughout.
  plan.offsets[4] = plan.offsets[0];
  EXPECT_EQ(verifyError(),
            "buffer 1 \"wte\" at bytes [0, 64) live throughout and buffer 5 "
            "at bytes [0, 64) live over [7, 8] overlap in memory while both "
            "live");
}

TEST_F(CorruptedPlanTest, InvalidBuffers) {
  buffers[2].aliasOf = 4; // 3 -> 4 -> 3
  EXPECT_EQ(verifyError(), "invalid buffers: alias cycle: buffer 3 \"h1\" "
                           "-> buffer 4 -> buffer 3 \"h1\"");
}

TEST_F(CorruptedPlanTest, DisjointLifetimesMayShareBytes) {
  // Buffer 5 starts after the alias group of 3 ends: sharing is correct.
  plan.offsets[4] = plan.offsets[2];
  EXPECT_FALSE(verify(plan, buffers).has_value());
}

//===----------------------------------------------------------------------===//
// Determinism and randomized properties
//===----------------------------------------------------------------------===//

struct RandomProgramOptions {
  size_t maxBuffers = 40;
  int64_t maxInstructions = 30;
  bool alignedBuffers = true;
};

std::vector<Buffer> randomProgram(std::mt19937_64 &rng,
                                  const RandomProgramOptions &options) {
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  size_t count = static_cast<size_t>(uniform(0, options.maxBuffers));
  int64_t instructions = uniform(1, options.maxInstructions);
  // Ids are unique, sparse and in no particular order.
  std::vector<int64_t> ids(count);
  for (size_t i = 0; i < count; ++i)
    ids[i] = static_cast<int64_t>(i) * 3 - 20;
  std::shuffle(ids.begin(), ids.end(), rng);

  std::vector<Buffer> buffers;
  for (size_t i = 0; i < count; ++i) {
    Buffer buffer;
    buffer.id = ids[i];
    buffer.category = uniform(0, 9) < 7 ? (uniform(0, 3) ? Category::Activation
                                                         : Category::Workspace)
                                        : kAllBufferCategories[uniform(0, 6)];
    // Log-uniform sizes from 0 to 64 KiB.
    buffer.size = static_cast<size_t>(uniform(0, 1) << uniform(0, 16)) +
                  static_cast<size_t>(uniform(0, 1000));
    if (uniform(0, 20) == 0)
      buffer.size = 0;
    buffer.alignment =
        options.alignedBuffers ? size_t(1) << uniform(0, 8) : size_t(1);
    buffer.firstUse = uniform(0, instructions - 1);
    buffer.lastUse = std::min(instructions - 1,
                              buffer.firstUse + uniform(0, 1) * uniform(0, 12));
    if (i > 0 && uniform(0, 6) == 0)
      buffer.aliasOf = ids[uniform(0, static_cast<int64_t>(i) - 1)];
    buffers.push_back(buffer);
  }
  return buffers;
}

void checkRandomProgramProperties(const std::vector<Buffer> &buffers,
                                  const PlannerOptions &options,
                                  bool alignedBuffers) {
  ASSERT_FALSE(validateBuffers(buffers).has_value());
  MemoryPlan plan = planAndVerify(buffers, options);

  // The lower bound and the peaks against a brute-force sweep.
  EXPECT_EQ(plan.transientLowerBound, referencePeak(buffers));
  EXPECT_EQ(plan.peak(Category::Activation),
            referencePeak(buffers, Category::Activation));
  EXPECT_EQ(plan.peak(Category::Workspace),
            referencePeak(buffers, Category::Workspace));

  size_t persistentSum = 0, transientSum = 0, slackSum = 0;
  for (const auto &[id, group] : referenceGroups(buffers)) {
    (group.pinned ? persistentSum : transientSum) += group.size;
    slackSum += group.alignment - 1;
  }
  EXPECT_EQ(plan.transientSumBytes, transientSum);
  EXPECT_GE(plan.transientBytes, plan.transientLowerBound);
  EXPECT_GE(plan.arenaBytes, persistentSum + plan.transientLowerBound);
  if (alignedBuffers) {
    // Each group costs at most its size plus alignment padding, and the
    // transient base at most the largest alignment.
    EXPECT_LE(plan.transientBytes, transientSum + slackSum);
    EXPECT_LE(plan.arenaBytes, persistentSum + transientSum + 2 * slackSum +
                                   options.arenaAlignment);
  } else {
    EXPECT_LE(plan.transientBytes, transientSum);
    EXPECT_LE(plan.arenaBytes,
              (persistentSum + transientSum + options.arenaAlignment - 1) /
                  options.arenaAlignment * options.arenaAlignment);
  }
}

TEST(MemoryPlannerPropertyTest, RandomProgramsWithAlignment) {
  std::mt19937_64 rng(20240601);
  PlannerOptions options;
  options.arenaAlignment = 128;
  for (int program = 0; program < 1000; ++program) {
    std::vector<Buffer> buffers = randomProgram(rng, {});
    SCOPED_TRACE("program " + std::to_string(program));
    checkRandomProgramProperties(buffers, options, /*alignedBuffers=*/true);
    if (::testing::Test::HasFailure())
      return;
  }
}

TEST(MemoryPlannerPropertyTest, RandomProgramsWithoutAlignment) {
  std::mt19937_64 rng(7);
  RandomProgramOptions programOptions;
  programOptions.alignedBuffers = false;
  programOptions.maxBuffers = 80;
  programOptions.maxInstructions = 60;
  for (int program = 0; program < 1000; ++program) {
    std::vector<Buffer> buffers = randomProgram(rng, programOptions);
    SCOPED_TRACE("program " + std::to_string(program));
    checkRandomProgramProperties(buffers, unalignedArena(),
                                 /*alignedBuffers=*/false);
    if (::testing::Test::HasFailure())
      return;
  }
}

/// The greedy-by-size best fit as written in the paper: for each group,
/// scan every placed group, keep those live at the same time, sort them by
/// offset and take the smallest gap (empty groups take no bytes, so they
/// split no gap). O(n^2 log n); returns the offsets of transient groups by
/// root id, relative to the transient base.
std::map<int64_t, size_t> referencePacking(const std::vector<Buffer> &buffers) {
  std::vector<std::pair<int64_t, ReferenceGroup>> order;
  for (const auto &entry : referenceGroups(buffers))
    if (!entry.second.pinned)
      order.push_back(entry);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto &a, const auto &b) {
                     return a.second.size > b.second.size;
                   });
  std::map<int64_t, size_t> offsets;
  std::vector<std::pair<size_t, size_t>> placed; // offset, end
  for (size_t i = 0; i < order.size(); ++i) {
    const ReferenceGroup &group = order[i].second;
    placed.clear();
    for (size_t j = 0; j < i; ++j) {
      const ReferenceGroup &other = order[j].second;
      if (other.size != 0 && other.firstUse <= group.lastUse &&
          group.firstUse <= other.lastUse)
        placed.push_back(
            {offsets[order[j].first], offsets[order[j].first] + other.size});
    }
    std::sort(placed.begin(), placed.end());
    size_t cursor = 0, best = SIZE_MAX, bestSlack = SIZE_MAX;
    auto alignUp = [&](size_t value) {
      return (value + group.alignment - 1) / group.alignment * group.alignment;
    };
    for (const auto &[begin, end] : placed) {
      size_t start = alignUp(cursor);
      if (begin > cursor && start + group.size <= begin &&
          begin - start < bestSlack) {
        best = start;
        bestSlack = begin - start;
      }
      cursor = std::max(cursor, end);
    }
    offsets[order[i].first] = best != SIZE_MAX ? best : alignUp(cursor);
  }
  return offsets;
}

TEST(MemoryPlannerPropertyTest, MatchesAQuadraticReferencePacker) {
  std::mt19937_64 rng(31337);
  RandomProgramOptions programOptions;
  programOptions.maxBuffers = 150;
  programOptions.maxInstructions = 80;
  for (int program = 0; program < 300; ++program) {
    std::vector<Buffer> buffers = randomProgram(rng, programOptions);
    MemoryPlan plan = planAndVerify(buffers);
    std::map<int64_t, size_t> expected = referencePacking(buffers);
    std::map<int64_t, size_t> position;
    for (size_t i = 0; i < buffers.size(); ++i)
      position[buffers[i].id] = i;
    for (const auto &[rootId, offset] : expected)
      ASSERT_EQ(plan.offsets[position[rootId]] - plan.transientBase, offset)
          << "program " << program << ", group of buffer " << rootId;
  }
}

TEST(MemoryPlannerPropertyTest, DeterministicAndIndependentOfInputOrder) {
  std::mt19937_64 rng(99);
  for (int program = 0; program < 200; ++program) {
    std::vector<Buffer> buffers = randomProgram(rng, {});
    MemoryPlan first = planAndVerify(buffers);
    MemoryPlan again = planAndVerify(buffers);
    EXPECT_EQ(first.offsets, again.offsets);
    EXPECT_EQ(first.arenaBytes, again.arenaBytes);

    // Shuffle positions: every id keeps its offset.
    std::vector<size_t> permutation(buffers.size());
    for (size_t i = 0; i < permutation.size(); ++i)
      permutation[i] = i;
    std::shuffle(permutation.begin(), permutation.end(), rng);
    std::vector<Buffer> shuffled;
    for (size_t i : permutation)
      shuffled.push_back(buffers[i]);
    MemoryPlan reordered = planAndVerify(shuffled);
    EXPECT_EQ(reordered.arenaBytes, first.arenaBytes);
    for (size_t i = 0; i < permutation.size(); ++i)
      EXPECT_EQ(reordered.offsets[i], first.offsets[permutation[i]])
          << "program " << program << ", buffer " << shuffled[i].id;
  }
}

//===----------------------------------------------------------------------===//
// Transformer-shaped programs
//===----------------------------------------------------------------------===//

/// One training step of a GPT-style decoder on one tensor-parallel rank:
/// per micro-batch the forward pass over every layer (saving activations
/// for the backward pass), the loss, and the backward pass, with weight
/// gradients accumulated into persistent gradient buffers; then AdamW.
/// Buffer sizes follow the tensor shapes; in-place ops (rotary embedding,
/// all-reduce, head split/merge views, activation backward) are aliases.
struct TransformerShape {
  int64_t layers = 4;
  int64_t microBatches = 1;
  size_t batch = 1;
  size_t sequence = 2048;
  size_t hidden = 12288;
  size_t heads = 96;
  size_t vocabulary = 50304;
  size_t tensorParallel = 8;
  size_t elementBytes = 2;
};

class TransformerProgramBuilder {
public:
  explicit TransformerProgramBuilder(const TransformerShape &shape)
      : shape(shape) {}

  std::vector<Buffer> build() {
    const TransformerShape &s = shape;
    size_t h = s.hidden, tp = s.tensorParallel, e = s.elementBytes;
    // Parameters, gradients and two AdamW moments (fp32) per weight.
    auto addWeight = [&](const std::string &name, size_t elements) {
      int64_t param = persistent(name, Category::Parameter, elements * e);
      int64_t grad =
          persistent(name + ".grad", Category::Gradient, elements * e);
      persistent(name + ".m", Category::OptimizerState, elements * 4);
      persistent(name + ".v", Category::OptimizerState, elements * 4);
      weights.push_back({param, grad});
      return weights.size() - 1;
    };
    size_t embedding = addWeight("wte", s.vocabulary / tp * h);
    std::vector<std::array<size_t, 8>> layerWeights;
    for (int64_t l = 0; l < s.layers; ++l) {
      std::string p = "layer" + std::to_string(l) + ".";
      layerWeights.push_back(
          {addWeight(p + "ln1", 2 * h), addWeight(p + "qkv", 3 * h * h / tp),
           addWeight(p + "proj", h * h / tp), addWeight(p + "ln2", 2 * h),
           addWeight(p + "fc1", 4 * h * h / tp),
           addWeight(p + "fc2", 4 * h * h / tp),
           addWeight(p + "qkv.bias", 3 * h / tp),
           addWeight(p + "fc1.bias", 4 * h / tp)});
    }
    size_t finalNorm = addWeight("ln_f", 2 * h);
    int64_t tokens = persistent("tokens", Category::Input,
                                s.batch * s.sequence * 4 * s.microBatches);
    int64_t labels = persistent("labels", Category::Input,
                                s.batch * s.sequence * 4 * s.microBatches);
    int64_t loss = persistent("loss", Category::Output, 4);

    size_t tokensBytes = s.batch * s.sequence;
    size_t act = tokensBytes * h * e;   // [b, s, h]
    size_t actTp = act / tp;            // [b, s, h / tp]
    size_t stats = tokensBytes * 2 * 4; // mean and rstd, fp32
    size_t scores = s.batch * (s.heads / tp) * s.sequence * s.sequence * e;
    size_t mask = scores / 2; // dropout mask, 1 byte
    size_t logits = tokensBytes * (s.vocabulary / tp) * e;
    size_t gemmWorkspace = 32 << 20;

    for (int64_t mb = 0; mb < s.microBatches; ++mb) {
      prefix = "mb" + std::to_string(mb) + ".";
      struct Saved {
        int64_t x, ln1, ln1Stats, qkv, probs, dropMask, dropped, ctx, h1,
            attnMask, ln2, ln2Stats, fc1, gelu, mlpMask;
      };
      std::vector<Saved> saved;

      // Forward.
      int64_t x = op("embed", act, {tokens, param(embedding)});
      for (int64_t l = 0; l < s.layers; ++l) {
        prefix = "mb" + std::to_string(mb) + ".layer" + std::to_string(l) + ".";
        const auto &w = layerWeights[l];
        Saved sv;
        sv.x = x;
        sv.ln1 = op("ln1", act, {x, param(w[0])});
        sv.ln1Stats = sideOutput("ln1.stats", stats);
        int64_t ws = workspace("qkv.ws", gemmWorkspace);
        sv.qkv = op("qkv", 3 * actTp, {sv.ln1, param(w[1]), param(w[6]), ws});
        int64_t heads = inPlace("qkv.heads", sv.qkv);
        int64_t roped = inPlace("qkv.rope", heads);
        int64_t raw = op("scores", scores, {roped});
        sv.probs = op("softmax", scores, {raw});
        sv.dropped = op("attn.dropout", scores, {sv.probs});
        sv.dropMask = sideOutput("attn.dropout.mask", mask);
        sv.ctx = op("context", actTp, {sv.dropped, roped});
        int64_t merged = inPlace("context.merge", sv.ctx);
        ws = workspace("proj.ws", gemmWorkspace);
        int64_t proj = op("proj", act, {merged, param(w[2]), ws});
        int64_t reduced = inPlace("proj.allreduce", proj);
        sv.h1 = op("attn.residual", act, {reduced, x});
        sv.attnMask = sideOutput("attn.residual.mask", act / 2);
        sv.ln2 = op("ln2", act, {sv.h1, param(w[3])});
        sv.ln2Stats = sideOutput("ln2.stats", stats);
        ws = workspace("fc1.ws", gemmWorkspace);
        sv.fc1 = op("fc1", 4 * actTp, {sv.ln2, param(w[4]), param(w[7]), ws});
        sv.gelu = op("gelu", 4 * actTp, {sv.fc1});
        ws = workspace("fc2.ws", gemmWorkspace);
        int64_t fc2 = op("fc2", act, {sv.gelu, param(w[5]), ws});
        int64_t fc2Reduced = inPlace("fc2.allreduce", fc2);
        x = op("mlp.residual", act, {fc2Reduced, sv.h1});
        sv.mlpMask = sideOutput("mlp.residual.mask", act / 2);
        saved.push_back(sv);
      }

      // Loss.
      prefix = "mb" + std::to_string(mb) + ".head.";
      int64_t normed = op("ln_f", act, {x, param(finalNorm)});
      int64_t normStats = sideOutput("ln_f.stats", stats);
      int64_t ws = workspace("logits.ws", gemmWorkspace);
      int64_t logit = op("logits", logits, {normed, param(embedding), ws});
      int64_t lossPart = op("cross_entropy", 4 * tokensBytes, {logit, labels});
      use(loss);
      int64_t dLogits = op("cross_entropy.grad", logits, {logit, lossPart});
      ws = workspace("logits.grad.ws", gemmWorkspace);
      int64_t dNormed = op("logits.grad", act, {dLogits, param(embedding), ws});
      accumulateGradient(embedding, dLogits, normed);
      int64_t dy = op("ln_f.grad", act, {dNormed, x, normStats});
      accumulateGradient(finalNorm, dNormed, normed);

      // Backward.
      for (int64_t l = s.layers - 1; l >= 0; --l) {
        prefix =
            "mb" + std::to_string(mb) + ".layer" + std::to_string(l) + ".grad.";
        const auto &w = layerWeights[l];
        const Saved &sv = saved[l];
        int64_t dFc2 = op("mlp.residual", act, {dy, sv.mlpMask});
        int64_t dFc2Reduced = inPlace("fc2.scatter", dFc2);
        ws = workspace("fc2.ws", gemmWorkspace);
        int64_t dGelu = op("fc2", 4 * actTp, {dFc2Reduced, param(w[5]), ws});
        accumulateGradient(w[5], dFc2Reduced, sv.gelu);
        use(sv.fc1);
        int64_t dFc1 = inPlace("gelu", dGelu);
        ws = workspace("fc1.ws", gemmWorkspace);
        int64_t dLn2 = op("fc1", act, {dFc1, param(w[4]), ws});
        accumulateGradient(w[4], dFc1, sv.ln2);
        accumulateGradient(w[7], dFc1, dFc1);
        int64_t dLn2Reduced = inPlace("fc1.allreduce", dLn2);
        int64_t dH1 =
            op("ln2", act, {dLn2Reduced, sv.h1, sv.ln2Stats, param(w[3]), dy});
        accumulateGradient(w[3], dLn2Reduced, sv.ln2Stats);
        int64_t dProj = op("attn.residual", act, {dH1, sv.attnMask});
        ws = workspace("proj.ws", gemmWorkspace);
        int64_t dCtx = op("proj", actTp, {dProj, param(w[2]), ws});
        accumulateGradient(w[2], dProj, sv.ctx);
        int64_t dCtxHeads = inPlace("context.split", dCtx);
        int64_t dDropped = op("context.probs", scores, {dCtxHeads, sv.qkv});
        int64_t dV = op("context.v", actTp, {sv.dropped, dCtxHeads});
        use(sv.dropMask);
        int64_t dProbs = inPlace("attn.dropout", dDropped);
        use(sv.probs);
        int64_t dScores = inPlace("softmax", dProbs);
        int64_t dQ = op("scores.q", actTp, {dScores, sv.qkv});
        int64_t dK = op("scores.k", actTp, {dScores, sv.qkv});
        int64_t dQRope = inPlace("rope.q", dQ);
        int64_t dKRope = inPlace("rope.k", dK);
        int64_t dQkv = op("qkv.concat", 3 * actTp, {dQRope, dKRope, dV});
        ws = workspace("qkv.ws", gemmWorkspace);
        int64_t dLn1 = op("qkv", act, {dQkv, param(w[1]), ws});
        accumulateGradient(w[1], dQkv, sv.ln1);
        accumulateGradient(w[6], dQkv, dQkv);
        int64_t dLn1Reduced = inPlace("qkv.allreduce", dLn1);
        dy = op("ln1", act, {dLn1Reduced, sv.x, sv.ln1Stats, param(w[0]), dH1});
        accumulateGradient(w[0], dLn1Reduced, sv.ln1Stats);
      }
      prefix = "mb" + std::to_string(mb) + ".embed.grad.";
      accumulateGradient(embedding, dy, dy);
    }

    // AdamW over every weight, with a workspace for the global grad norm.
    prefix = "optimizer.";
    int64_t norm = workspace("grad_norm", 4 * weights.size());
    for (const auto &[paramId, gradId] : weights) {
      use(gradId);
      use(norm);
      ++now;
      use(paramId);
      ++now;
    }
    return std::move(buffers);
  }

private:
  int64_t newBuffer(const std::string &name, Category category, size_t size) {
    Buffer buffer;
    buffer.id = static_cast<int64_t>(buffers.size());
    buffer.name = prefix + name;
    buffer.category = category;
    buffer.size = size;
    buffer.alignment = 256;
    buffer.firstUse = buffer.lastUse = now;
    buffers.push_back(std::move(buffer));
    return buffers.back().id;
  }
  int64_t persistent(const std::string &name, Category category, size_t size) {
    return newBuffer(name, category, size);
  }
  void use(int64_t id) { buffers[id].lastUse = now; }
  int64_t param(size_t weight) { return weights[weight].first; }

  /// One instruction reading |inputs| and writing a new activation.
  int64_t op(const std::string &name, size_t size,
             std::initializer_list<int64_t> inputs) {
    for (int64_t input : inputs)
      use(input);
    int64_t result = newBuffer(name, Category::Activation, size);
    ++now;
    return result;
  }
  /// A second result of the previous instruction.
  int64_t sideOutput(const std::string &name, size_t size) {
    --now;
    int64_t result = newBuffer(name, Category::Activation, size);
    ++now;
    return result;
  }
  /// A scratch buffer for the next instruction.
  int64_t workspace(const std::string &name, size_t size) {
    return newBuffer(name, Category::Workspace, size);
  }
  /// One instruction updating |of| in place.
  int64_t inPlace(const std::string &name, int64_t of) {
    use(of);
    int64_t result = newBuffer(name, Category::Activation, buffers[of].size);
    buffers[result].aliasOf = of;
    ++now;
    return result;
  }
  /// dW += outputGrad^T @ input, through a workspace for this
  /// micro-batch's partial gradient.
  void accumulateGradient(size_t weight, int64_t outputGrad, int64_t input) {
    const Buffer &grad = buffers[weights[weight].second];
    int64_t partial = workspace("dW", grad.size);
    use(outputGrad);
    use(input);
    ++now;
    use(partial);
    use(weights[weight].second);
    ++now;
  }

  TransformerShape shape;
  std::vector<Buffer> buffers;
  std::vector<std::pair<int64_t, int64_t>> weights; // parameter, gradient
  std::string prefix;
  int64_t now = 0;
};

std::vector<Buffer> transformerTrainingStep(const TransformerShape &shape) {
  return TransformerProgramBuilder(shape).build();
}

size_t sumOfSizes(const std::vector<Buffer> &buffers, Category category) {
  size_t sum = 0;
  for (const Buffer &buffer : buffers)
    if (buffer.category == category)
      sum += buffer.size;
  return sum;
}

TEST(MemoryPlannerTransformerTest, LivenessReuseLowersTheActivationPeak) {
  TransformerShape shape;
  shape.layers = 4;
  shape.microBatches = 2;
  std::vector<Buffer> buffers = transformerTrainingStep(shape);
  PlannerOptions options;
  MemoryPlan plan = planAndVerify(buffers, options);

  // Activations: saved ones pile up over the forward pass and drain in the
  // backward pass; the peak is well below holding all of them at once.
  size_t allActivations = sumOfSizes(buffers, Category::Activation);
  EXPECT_LT(plan.peak(Category::Activation), allActivations / 2);
  EXPECT_LT(plan.transientBytes, plan.transientSumBytes / 2);
  // Micro-batches don't add up: a second one costs no transient memory.
  TransformerShape single = shape;
  single.microBatches = 1;
  MemoryPlan singlePlan = planAndVerify(transformerTrainingStep(single));
  EXPECT_EQ(plan.transientLowerBound, singlePlan.transientLowerBound);
  // Persistent memory is exactly parameters, gradients, two fp32 moments.
  EXPECT_EQ(plan.peak(Category::OptimizerState),
            4 * plan.peak(Category::Parameter));
  EXPECT_EQ(plan.peak(Category::Gradient), plan.peak(Category::Parameter));

  EXPECT_LE(plan.lowerBoundRatio(), 1.10);
  std::printf("[ transformer ] 4 layers x 2 micro-batches, %zu buffers\n%s",
              buffers.size(), formatPlanSummary(plan).c_str());
}

TEST(MemoryPlannerTransformerTest, ScalesTo100kBuffers) {
  // A 96-layer GPT-3-sized step with 17 micro-batches of gradient
  // accumulation: about 100k buffers. Timings are printed, not asserted.
  TransformerShape shape;
  shape.layers = 96;
  shape.microBatches = 17;
  std::vector<Buffer> buffers = transformerTrainingStep(shape);
  ASSERT_GE(buffers.size(), 100000u);

  // Wall time, and processor time (std::clock), which a loaded machine
  // disturbs less.
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  std::clock_t startCpu = std::clock();
  std::optional<MemoryPlan> plan = planMemory(buffers);
  auto planned = Clock::now();
  std::clock_t plannedCpu = std::clock();
  ASSERT_TRUE(plan.has_value());
  std::optional<std::string> error = verify(*plan, buffers);
  auto verified = Clock::now();
  std::clock_t verifiedCpu = std::clock();
  EXPECT_FALSE(error.has_value()) << *error;

  auto ms = [](Clock::duration duration) {
    return std::chrono::duration<double, std::milli>(duration).count();
  };
  auto cpuMs = [](std::clock_t ticks) {
    return 1000.0 * static_cast<double>(ticks) / CLOCKS_PER_SEC;
  };
  std::printf("[ transformer ] 96 layers x 17 micro-batches, %zu buffers: "
              "plan %.1f ms (cpu %.1f ms), verify %.1f ms (cpu %.1f ms), "
              "plan/lower bound %.4f\n%s",
              buffers.size(), ms(planned - start), cpuMs(plannedCpu - startCpu),
              ms(verified - planned), cpuMs(verifiedCpu - plannedCpu),
              plan->lowerBoundRatio(), formatPlanSummary(*plan).c_str());
}

} // namespace
} // namespace strata::planning

//===- optimizer_shards_test.cc -------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/fake_peer_communicator.h"
#include "runtime/executor/optimizer_shards.h"

#include <gtest/gtest.h>

#include <flatbuffers/flatbuffers.h>

#include <cstring>
#include <numeric>

namespace strata::runtime {
namespace {

TEST(OptimizerShardsTest, BucketsKeepOrderAndPutLargeSlotsAlone) {
  const std::vector<size_t> bytes = {8, 8, 16, 40, 8, 24, 8};
  const std::vector<SlotBucket> buckets = bucketSlots(bytes, 32);
  ASSERT_EQ(buckets.size(), 4u);
  EXPECT_EQ(buckets[0].begin, 0u); // 8 + 8 + 16 = 32
  EXPECT_EQ(buckets[0].end, 3u);
  EXPECT_FALSE(buckets[0].alone);
  EXPECT_EQ(buckets[1].begin, 3u); // 40 > 32
  EXPECT_EQ(buckets[1].end, 4u);
  EXPECT_TRUE(buckets[1].alone);
  EXPECT_EQ(buckets[2].begin, 4u); // 8 + 24
  EXPECT_EQ(buckets[2].end, 6u);
  EXPECT_EQ(buckets[3].begin, 6u);
  EXPECT_EQ(buckets[3].end, 7u);
  EXPECT_TRUE(bucketSlots({}, 32).empty());
}

TEST(OptimizerShardsTest, PackBlocksIsRankMajorAndUnpackInvertsIt) {
  // Two slots of 4 and 8 bytes over 2 ranks: blocks of 2 and 4 bytes.
  std::vector<uint8_t> a = {0, 1, 2, 3}, b = {10, 11, 12, 13, 14, 15, 16, 17};
  const std::vector<uint8_t *> slots = {a.data(), b.data()};
  const std::vector<size_t> bytes = {4, 8};
  std::vector<uint8_t> packed(12);
  for (int64_t r = 0; r < 2; ++r)
    packBlocks(slots, bytes, 2, r, packed.data() + r * 6);
  EXPECT_EQ(packed, (std::vector<uint8_t>{0, 1, 10, 11, 12, 13, //
                                          2, 3, 14, 15, 16, 17}));
  std::vector<uint8_t> c(4), d(8);
  const std::vector<uint8_t *> into = {c.data(), d.data()};
  unpackBlocks(packed.data() + 6, bytes, 2, 1, into);
  EXPECT_EQ(c, (std::vector<uint8_t>{0, 0, 2, 3}));
  EXPECT_EQ(d, (std::vector<uint8_t>{0, 0, 0, 0, 14, 15, 16, 17}));
}

/// Rank 1 of 2 whose peer holds the same data as this rank: a
/// reduce-scatter doubles this rank's block; an all-gather fills the peer's
/// block with -1.
class MirrorPeer final : public FakePeerCommunicator {
public:
  Status allGather(const void *send, void *recv, size_t count,
                   ElementType) override {
    auto *out = static_cast<float *>(recv);
    std::vector<float> own(static_cast<const float *>(send),
                           static_cast<const float *>(send) + count);
    std::fill(out, out + count, -1.0f);
    std::copy(own.begin(), own.end(), out + count);
    ++calls;
    return Status::ok();
  }
  Status reduceScatter(const void *send, void *recv, size_t count, ElementType,
                       ReduceOp) override {
    const auto *in = static_cast<const float *>(send);
    std::vector<float> sum(in + count, in + 2 * count);
    for (float &x : sum)
      x *= 2.0f;
    std::copy(sum.begin(), sum.end(), static_cast<float *>(recv));
    ++calls;
    return Status::ok();
  }
  int calls = 0;
};

/// Three trainable parameters of 4, 8 and 6 floats, each value buffer
/// followed by its gradient slot in the arena.
struct ThreeParameters {
  ThreeParameters() {
    flatbuffers::FlatBufferBuilder b;
    std::vector<flatbuffers::Offset<artifact::Buffer>> buffers;
    std::vector<flatbuffers::Offset<artifact::Parameter>> parameters;
    uint64_t offset = 0;
    for (int64_t n : {4, 8, 6}) {
      std::vector<int64_t> shape = {n};
      const uint32_t value = uint32_t(buffers.size());
      for (auto category : {artifact::BufferCategory::Parameter,
                            artifact::BufferCategory::Gradient}) {
        buffers.push_back(artifact::CreateBufferDirect(
            b, "slot", category, artifact::DType::F32, &shape, offset,
            uint64_t(n) * 4));
        offset += uint64_t(n) * 4;
      }
      parameters.push_back(
          artifact::CreateParameterDirect(b, "p", value, int32_t(value + 1)));
    }
    b.Finish(artifact::CreateArtifactDirect(b, 0, 5, "m", "", "", "", 1,
                                            &buffers, &parameters));
    bytes.assign(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
    arena.resize(offset / 4);
    std::iota(arena.begin(), arena.end(), 1.0f);
    instruction.parameterList = {0, 1, 2};
    instruction.where = "test";
  }
  const artifact::Artifact &root() const {
    return *flatbuffers::GetRoot<artifact::Artifact>(bytes.data());
  }
  uint8_t *base() { return reinterpret_cast<uint8_t *>(arena.data()); }

  std::vector<uint8_t> bytes;
  std::vector<float> arena;
  PreparedInstruction instruction;
};

TEST(OptimizerShardsTest, ReduceScatterFillsTheRanksBlockBucketedOrAlone) {
  // Scratch for everything (one bucket), or for less than the largest
  // slot (the 8-float slot alone, in place).
  for (size_t scratchBytes : {size_t(72), size_t(24)}) {
    ThreeParameters t;
    t.instruction.scratchBytes = scratchBytes;
    std::vector<uint8_t> scratch(scratchBytes);
    MirrorPeer comm;
    ASSERT_TRUE(reduceScatterGradients(t.instruction, t.base(), scratch.data(),
                                       comm, ElementType::F32, t.root())
                    .isOk());
    // Gradient slots at floats [4, 8), [16, 24), [30, 36) of the arena;
    // rank 1's block: the second half of each, doubled.
    const std::vector<float> &a = t.arena;
    EXPECT_EQ(std::vector<float>(a.begin() + 6, a.begin() + 8),
              (std::vector<float>{14, 16}));
    EXPECT_EQ(std::vector<float>(a.begin() + 20, a.begin() + 24),
              (std::vector<float>{42, 44, 46, 48}));
    EXPECT_EQ(std::vector<float>(a.begin() + 33, a.begin() + 36),
              (std::vector<float>{68, 70, 72}));
    EXPECT_EQ(comm.calls, scratchBytes == 72 ? 1 : 3);
  }
}

TEST(OptimizerShardsTest, GatherParametersFillsThePeersBlocks) {
  for (size_t scratchBytes : {size_t(72), size_t(24)}) {
    ThreeParameters t;
    t.instruction.scratchBytes = scratchBytes;
    std::vector<uint8_t> scratch(scratchBytes);
    MirrorPeer comm;
    ASSERT_TRUE(gatherParameters(t.instruction, t.base(), scratch.data(), comm,
                                 ElementType::F32, t.root())
                    .isOk());
    // Values at floats [0, 4), [8, 16), [24, 30): block 0 from the peer
    // (-1), block 1 this rank's own.
    const std::vector<float> &a = t.arena;
    EXPECT_EQ(std::vector<float>(a.begin(), a.begin() + 4),
              (std::vector<float>{-1, -1, 3, 4}));
    EXPECT_EQ(std::vector<float>(a.begin() + 8, a.begin() + 16),
              (std::vector<float>{-1, -1, -1, -1, 13, 14, 15, 16}));
    EXPECT_EQ(std::vector<float>(a.begin() + 24, a.begin() + 30),
              (std::vector<float>{-1, -1, -1, 28, 29, 30}));
    // Gradient slots untouched.
    EXPECT_EQ(a[4], 5.0f);
  }
}

} // namespace
} // namespace strata::runtime

//===- optimizer_shards_test.cc -------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cpu/cpu_device.h"
#include "runtime/executor/fake_peer_communicator.h"
#include "runtime/executor/optimizer_shards.h"

#include <gtest/gtest.h>

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
  CpuDevice device;
  Stream &stream = device.defaultStream();
  std::vector<uint8_t> a = {0, 1, 2, 3}, b = {10, 11, 12, 13, 14, 15, 16, 17};
  const std::vector<DevicePtr> slots = {DevicePtr(a.data()),
                                        DevicePtr(b.data())};
  const std::vector<size_t> bytes = {4, 8};
  std::vector<uint8_t> packed(12);
  for (int64_t r = 0; r < 2; ++r)
    ASSERT_TRUE(packBlocks(device, stream, slots, bytes, 2, r,
                           DevicePtr(packed.data() + r * 6))
                    .isOk());
  EXPECT_EQ(packed, (std::vector<uint8_t>{0, 1, 10, 11, 12, 13, //
                                          2, 3, 14, 15, 16, 17}));
  std::vector<uint8_t> c(4), d(8);
  const std::vector<DevicePtr> into = {DevicePtr(c.data()),
                                       DevicePtr(d.data())};
  ASSERT_TRUE(unpackBlocks(device, stream, DevicePtr(packed.data() + 6), bytes,
                           2, 1, into)
                  .isOk());
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
/// followed by its gradient slot in the arena, and the descriptor of a
/// ReduceScatterGradients or GatherParameters over them.
struct ThreeParameters {
  ThreeParameters(Kernel kernel, size_t bucketBytes) {
    descriptor.kernel = kernel;
    descriptor.where = "test";
    CollectiveShape &shape = descriptor.shape.emplace<CollectiveShape>();
    shape.bucketBytes = bucketBytes;
    descriptor.scratchBytes = bucketBytes;
    uint64_t offset = 0;
    for (int64_t n : {4, 8, 6}) {
      const BufferRef value{0, offset, n, DType::F32};
      const BufferRef grad{0, offset + uint64_t(n) * 4, n, DType::F32};
      shape.slots.push_back(kernel == Kernel::GatherParameters ? value : grad);
      offset += 2 * uint64_t(n) * 4;
    }
    arena.resize(offset / 4);
    std::iota(arena.begin(), arena.end(), 1.0f);
    scratch.resize(bucketBytes);
  }
  /// Runs the descriptor as rank 1 of 2 with |comm|.
  Status run(Communicator &comm) {
    CpuDevice device;
    HostMemoryCommunicator onDevice(comm);
    std::vector<DeviceCommunicator *> communicators = {&onDevice};
    const CollectiveContext context{device, device.defaultStream(),
                                    DevicePtr(arena.data()),
                                    DevicePtr(scratch.data()), communicators};
    return descriptor.kernel == Kernel::GatherParameters
               ? gatherParameters(descriptor, context, onDevice)
               : reduceScatterGradients(descriptor, context, onDevice);
  }

  std::vector<float> arena;
  std::vector<uint8_t> scratch;
  KernelDescriptor descriptor;
};

TEST(OptimizerShardsTest, ReduceScatterFillsTheRanksBlockBucketedOrAlone) {
  // Scratch for everything (one bucket), or for less than the largest
  // slot (the 8-float slot alone, in place).
  for (size_t scratchBytes : {size_t(72), size_t(24)}) {
    ThreeParameters t(Kernel::ReduceScatterGradients, scratchBytes);
    MirrorPeer comm;
    ASSERT_TRUE(t.run(comm).isOk());
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
    ThreeParameters t(Kernel::GatherParameters, scratchBytes);
    MirrorPeer comm;
    ASSERT_TRUE(t.run(comm).isOk());
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

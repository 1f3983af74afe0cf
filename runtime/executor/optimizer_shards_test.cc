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
/// followed by its gradient slot in the arena, then the gradient bucket of
/// |bucketBytes|, and the descriptor of a ReduceGradients,
/// ReduceScatterGradients or GatherParameters over them.
struct ThreeParameters {
  ThreeParameters(Kernel kernel, size_t bucketBytes) {
    descriptor.kernel = kernel;
    descriptor.where = "test";
    CollectiveShape &shape = descriptor.shape.emplace<CollectiveShape>();
    shape.bucketBytes = bucketBytes;
    uint64_t offset = 0;
    for (int64_t n : {4, 8, 6}) {
      const BufferRef value{0, offset, n, DType::F32};
      const BufferRef grad{0, offset + uint64_t(n) * 4, n, DType::F32};
      shape.slots.push_back(kernel == Kernel::GatherParameters ? value : grad);
      offset += 2 * uint64_t(n) * 4;
    }
    shape.bucket = {1, offset, int64_t(bucketBytes / 4), DType::F32};
    arena.resize((offset + bucketBytes) / 4);
    std::iota(arena.begin(), arena.end(), 1.0f);
  }
  /// Runs the descriptor as rank 1 of 2 with |comm|; no workspace.
  Status run(Communicator &comm) {
    CpuDevice device;
    HostMemoryCommunicator onDevice(comm);
    std::vector<DeviceCommunicator *> communicators = {&onDevice};
    const CollectiveContext context{device, device.defaultStream(),
                                    DevicePtr(arena.data()), DevicePtr(),
                                    communicators};
    return runCollective(descriptor, context);
  }

  std::vector<float> arena;
  KernelDescriptor descriptor;
};

TEST(OptimizerShardsTest, ReduceScatterFillsTheRanksBlockBucketedOrAlone) {
  // A bucket for everything (one collective), or for less than the
  // largest slot (the 8-float slot alone, in place).
  for (size_t bucketBytes : {size_t(72), size_t(24)}) {
    ThreeParameters t(Kernel::ReduceScatterGradients, bucketBytes);
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
    EXPECT_EQ(comm.calls, bucketBytes == 72 ? 1 : 3);
  }
}

TEST(OptimizerShardsTest, GatherParametersFillsThePeersBlocks) {
  for (size_t bucketBytes : {size_t(72), size_t(24)}) {
    ThreeParameters t(Kernel::GatherParameters, bucketBytes);
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

/// Rank 1 of 2 whose peer holds the same data: an all-reduce doubles.
class DoublingPeer final : public FakePeerCommunicator {
public:
  Status allReduce(void *data, size_t count, ElementType, ReduceOp) override {
    auto *x = static_cast<float *>(data);
    for (size_t i = 0; i < count; ++i)
      x[i] *= 2.0f;
    counts.push_back(count);
    return Status::ok();
  }
  std::vector<size_t> counts;
};

TEST(OptimizerShardsTest, ReduceGradientsPacksThroughTheArenasBucket) {
  // One bucket of all 18 floats, or (24 bytes) 4 floats packed, 8 alone in
  // place, 6 packed.
  for (size_t bucketBytes : {size_t(72), size_t(24)}) {
    ThreeParameters t(Kernel::ReduceGradients, bucketBytes);
    DoublingPeer comm;
    ASSERT_TRUE(t.run(comm).isOk());
    const std::vector<float> &a = t.arena;
    EXPECT_EQ(std::vector<float>(a.begin() + 4, a.begin() + 8),
              (std::vector<float>{10, 12, 14, 16}));
    EXPECT_EQ(std::vector<float>(a.begin() + 16, a.begin() + 24),
              (std::vector<float>{34, 36, 38, 40, 42, 44, 46, 48}));
    EXPECT_EQ(std::vector<float>(a.begin() + 30, a.begin() + 36),
              (std::vector<float>{62, 64, 66, 68, 70, 72}));
    EXPECT_EQ(a[0], 1.0f); // values untouched
    const std::vector<size_t> counts = bucketBytes == 72
                                           ? std::vector<size_t>{18}
                                           : std::vector<size_t>{4, 8, 6};
    EXPECT_EQ(comm.counts, counts);
  }
}

} // namespace
} // namespace strata::runtime

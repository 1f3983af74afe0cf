//===- parameter_split_test.cc --------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/fake_peer_communicator.h"
#include "runtime/executor/parameter_split.h"

#include <gtest/gtest.h>

#include <flatbuffers/flatbuffers.h>

namespace strata::runtime {
namespace {

/// A parameter whose optimizer state is split over mesh axis |axis|.
struct OneParameter {
  explicit OneParameter(int32_t axis) {
    flatbuffers::FlatBufferBuilder b;
    b.Finish(artifact::CreateParameterDirect(
        b, "w", 0, 1, 2, 3, artifact::InitKind::Zeros, 0.0, true, true, nullptr,
        -1, -1, -1, axis));
    bytes.assign(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  }
  const artifact::Parameter &get() const {
    return *flatbuffers::GetRoot<artifact::Parameter>(bytes.data());
  }
  std::vector<uint8_t> bytes;
};

/// Rank 1 of 2 whose peer's block holds -1 everywhere.
class PeerOfMinusOnes final : public FakePeerCommunicator {
public:
  Status allGather(const void *send, void *recv, size_t count,
                   ElementType) override {
    auto *out = static_cast<float *>(recv);
    std::fill(out, out + count, -1.0f);
    std::memcpy(out + count, send, count * sizeof(float));
    return Status::ok();
  }
};

/// Mesh dp=2 x pp=1 x tp=2 at coordinates (1, 0, 0).
RankMesh meshAt(Communicator *dp) {
  RankMesh mesh;
  mesh.axes = {"dp", "pp", "tp"};
  mesh.shape = {2, 1, 2};
  mesh.coords = {1, 0, 0};
  mesh.communicators = {dp, nullptr, nullptr};
  return mesh;
}

TEST(ParameterSplitTest, OptimizerSplitIsABlockOfTheFlatLocalTensor) {
  const RankMesh mesh = meshAt(nullptr);
  const ParameterSplit split =
      optimizerSplitOf(OneParameter(0).get(), {3, 4}, mesh);
  ASSERT_TRUE(split.isSplit());
  EXPECT_EQ(split.dim, 0);
  EXPECT_EQ(split.localShape, (std::vector<int64_t>{6}));
  EXPECT_EQ(split.globalShape, (std::vector<int64_t>{12}));
  EXPECT_EQ(split.block, 1);
  // No optimizer split, or a size the axis does not divide: whole.
  EXPECT_FALSE(
      optimizerSplitOf(OneParameter(-1).get(), {3, 4}, mesh).isSplit());
  EXPECT_FALSE(optimizerSplitOf(OneParameter(0).get(), {3, 3}, mesh).isSplit());
}

TEST(ParameterSplitTest, OptimizerBlocksRoundTripThroughTheLocalTensor) {
  PeerOfMinusOnes peer;
  const RankMesh mesh = meshAt(&peer);
  const ParameterSplit split =
      optimizerSplitOf(OneParameter(0).get(), {2, 3}, mesh);
  const io::HostTensor local = io::HostTensor::fromVector<float>(
      io::DType::F32, {2, 3}, {0, 1, 2, 3, 4, 5});
  // This rank's moments: the second half of the flat tensor.
  const io::HostTensor block = optimizerBlock(local, split);
  EXPECT_EQ(block.shape(), (std::vector<int64_t>{3}));
  EXPECT_EQ(std::vector<float>(block.data<float>(), block.data<float>() + 3),
            (std::vector<float>{3, 4, 5}));
  // Gathered from the block (moments) or from the slot's block (gradient).
  for (bool fromWhole : {false, true}) {
    StatusOr<io::HostTensor> gathered = gatherOptimizerBlocks(
        fromWhole ? local : block, fromWhole, split, {2, 3}, mesh);
    ASSERT_TRUE(gathered.isOk()) << gathered.status().message();
    EXPECT_EQ(gathered->shape(), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(std::vector<float>(gathered->data<float>(),
                                 gathered->data<float>() + 6),
              (std::vector<float>{-1, -1, -1, 3, 4, 5}));
  }
}

} // namespace
} // namespace strata::runtime

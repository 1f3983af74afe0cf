//===- lora_merge_test.cc - LoRA adapters merged into their projections ---===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/lora_merge.h"

#include <gtest/gtest.h>

#include <numeric>

namespace strata::runtime {
namespace {

io::HostTensor iota(std::vector<int64_t> shape, float start, float step) {
  io::HostTensor t(io::DType::F32, std::move(shape));
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.data<float>()[i] = start + step * float(i);
  return t;
}

/// W + scale * B A over the flattened [O, I], [O, r], [r, I], in f64.
std::vector<double> reference(const io::HostTensor &w, const io::HostTensor &a,
                              const io::HostTensor &b, int64_t r,
                              double scale) {
  const int64_t in = a.numElements() / r, out = b.numElements() / r;
  std::vector<double> merged(w.numElements());
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i) {
      double sum = 0;
      for (int64_t k = 0; k < r; ++k)
        sum += double(b.data<float>()[o * r + k]) *
               double(a.data<float>()[k * in + i]);
      merged[o * in + i] = double(w.data<float>()[o * in + i]) + scale * sum;
    }
  return merged;
}

void expectNear(const io::HostTensor &got, const std::vector<double> &want) {
  ASSERT_EQ(got.numElements(), int64_t(want.size()));
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_FLOAT_EQ(got.data<float>()[i], float(want[i])) << "element " << i;
}

TEST(LoraMergeTest, SharedLinearInMergesIntoEachProjection) {
  // Q [heads 2, head_dim 2, hidden 3], K [groups 1, 2, 3], linear_in [r 2, 3].
  io::TensorMap t;
  t["q.weight"] = iota({2, 2, 3}, -1.0f, 0.25f);
  t["k.weight"] = iota({1, 2, 3}, 0.5f, -0.125f);
  t["a"] = iota({2, 3}, 0.1f, 0.2f);
  t["bq"] = iota({2, 2, 2}, -0.3f, 0.1f);
  t["bk"] = iota({1, 2, 2}, 0.7f, -0.2f);
  t["other"] = iota({4}, 0, 1);
  const auto wantQ = reference(t["q.weight"], t["a"], t["bq"], 2, 1.5);
  const auto wantK = reference(t["k.weight"], t["a"], t["bk"], 2, 1.5);
  LoraMergePlan plan{
      1.5, 2, {{"q.weight", "a", "bq"}, {"k.weight", "a", "bk"}}};
  ASSERT_TRUE(mergeLora(t, plan, "c.safetensors").isOk());
  expectNear(t["q.weight"], wantQ);
  expectNear(t["k.weight"], wantK);
  // The adapters are consumed; the rest is untouched.
  EXPECT_EQ(t.size(), 3u);
  EXPECT_TRUE(t.count("other"));
}

TEST(LoraMergeTest, RowParallelLayoutContractsTwoDimensions) {
  // The attention output [hidden 3, heads 2, head_dim 2]: linear_in
  // [r, heads, head_dim], linear_out [hidden, r].
  io::TensorMap t;
  t["dense"] = iota({3, 2, 2}, 0.0f, 0.5f);
  t["a"] = iota({1, 2, 2}, 1.0f, -0.5f);
  t["b"] = iota({3, 1}, 2.0f, 1.0f);
  const auto want = reference(t["dense"], t["a"], t["b"], 1, 0.25);
  ASSERT_TRUE(
      mergeLora(t, {0.25, 1, {{"dense", "a", "b"}}}, "c.safetensors").isOk());
  expectNear(t["dense"], want);
}

TEST(LoraMergeTest, SixteenBitTargetsAreRoundedOnce) {
  io::TensorMap t;
  t["w"] = io::convertTensor(iota({2, 2}, 1.0f, 1.0f), io::DType::BF16).value();
  t["a"] = iota({1, 2}, 1.0f, 0.0f);
  t["b"] = iota({2, 1}, 0.001953125f, 0.0f); // 2^-9: below bf16's step at 1
  ASSERT_TRUE(mergeLora(t, {1.0, 1, {{"w", "a", "b"}}}, "c").isOk());
  EXPECT_EQ(t["w"].dtype(), io::DType::BF16);
  io::HostTensor w = io::convertTensor(t["w"], io::DType::F32).value();
  EXPECT_EQ(w.data<float>()[0], 1.0f); // 1 + 2^-9 rounds to 1 in bf16
  EXPECT_EQ(w.data<float>()[3], 4.0f);
}

TEST(LoraMergeTest, MissingTensorsAndWrongShapesAreListed) {
  io::TensorMap t;
  t["w"] = iota({4, 3}, 0, 1);
  t["a"] = iota({2, 3}, 0, 1);
  Status missing = mergeLora(t, {1.0, 2, {{"w", "a", "b"}}}, "c.safetensors");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.message(),
            "c.safetensors does not hold the LoRA adapters an artifact "
            "compiled with --merge-lora merges into its projections:\n"
            "  missing b");
  t["b"] = iota({4, 8}, 0, 1); // rank 8, not 2
  const io::TensorMap before = t;
  Status shape = mergeLora(t, {1.0, 2, {{"w", "a", "b"}}}, "c.safetensors");
  ASSERT_FALSE(shape.isOk());
  EXPECT_NE(shape.message().find(
                "w [4, 3] does not take b [4, 8] times a [2, 3] at rank 2"),
            std::string::npos)
      << shape.message();
  EXPECT_EQ(t.size(), before.size());
  EXPECT_TRUE(t["w"].bitwiseEquals(before.at("w")));
}

} // namespace
} // namespace strata::runtime

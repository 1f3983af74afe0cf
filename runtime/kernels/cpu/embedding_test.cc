//===- embedding_test.cc - tests of embedding.h -------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/embedding.h"

#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

namespace strata::runtime::cpu {
namespace {

using namespace testing;

constexpr int64_t V = 37, H = 10;

TEST(EmbeddingKernelTest, ForwardGathersRows) {
  const auto table = randomVector(V * H, 1);
  const std::vector<int32_t> ids = {3, 0, 36, 3, 17, 5, 5};
  const int64_t count = int64_t(ids.size());
  std::vector<double> out(count * H);
  embeddingForward<double>(table.data(), ids.data(), count, V, H, out.data());
  for (int64_t i = 0; i < count; ++i)
    for (int64_t h = 0; h < H; ++h)
      EXPECT_EQ(out[i * H + h], table[ids[i] * H + h]);
}

TEST(EmbeddingKernelTest, BackwardScatterAdds) {
  const std::vector<int32_t> ids = {3, 0, 36, 3, 17, 5, 5, 3, 9, 11, 0, 2, 3};
  const int64_t count = int64_t(ids.size());
  const auto dout = randomVector(count * H, 2);
  std::vector<double> ref(V * H, 0.0);
  for (int64_t i = 0; i < count; ++i)
    for (int64_t h = 0; h < H; ++h)
      ref[ids[i] * H + h] += dout[i * H + h];
  std::vector<double> dtable(V * H, NAN); // overwritten
  embeddingBackward<double>(dout.data(), ids.data(), count, V, H,
                            dtable.data());
  EXPECT_LT(relativeError(dtable, ref), 1e-15);
  // Accumulate into an existing gradient (a tied table).
  std::vector<double> acc(V * H, 1.0);
  embeddingBackward<double>(dout.data(), ids.data(), count, V, H, acc.data(),
                            /*accumulate=*/true);
  for (size_t i = 0; i < acc.size(); ++i)
    EXPECT_NEAR(acc[i], ref[i] + 1.0, 1e-15);
  // The embedding is linear: finite differences agree trivially; float vs
  // double.
  const auto doutF = convert<float>(dout);
  std::vector<float> dtableF(V * H);
  embeddingBackward<float>(doutF.data(), ids.data(), count, V, H,
                           dtableF.data());
  EXPECT_LT(relativeError(dtableF, ref), 1e-6);
}

TEST(EmbeddingKernelTest, ValidateIdsAndBadIds) {
  std::vector<int32_t> ids = {1, 2, 37, -1};
  EXPECT_TRUE(validateIds(ids.data(), 2, V).isOk());
  const Status s = validateIds(ids.data(), 4, V);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "id 37 at position 2 is outside the embedding table [0, 37)");
  // Unchecked kernels neither crash nor touch memory out of bounds.
  const auto table = convert<float>(randomVector(V * H, 3));
  std::vector<float> out(4 * H);
  embeddingForward<float>(table.data(), ids.data(), 4, V, H, out.data());
  EXPECT_TRUE(std::isnan(out[2 * H]) && std::isnan(out[3 * H]));
  std::vector<float> dtable(V * H);
  embeddingBackward<float>(out.data(), ids.data(), 2, V, H, dtable.data());
  embeddingBackward<float>(out.data(), ids.data() + 2, 2, V, H, dtable.data());
  for (float v : dtable)
    EXPECT_FALSE(std::isnan(v));
}

TEST(EmbeddingKernelTest, BitwiseIndependentOfThreadCount) {
  const int64_t vocab = 1000, hidden = 200, count = 4000;
  std::vector<int32_t> ids(count);
  std::mt19937 gen(4);
  for (auto &id : ids)
    id = int32_t(gen() % 50); // many repeats
  const auto dout = convert<float>(randomVector(count * hidden, 5));
  std::vector<float> one(vocab * hidden), two(vocab * hidden);
  withThreads(1, [&] {
    embeddingBackward<float>(dout.data(), ids.data(), count, vocab, hidden,
                             one.data());
  });
  withThreads(2, [&] {
    embeddingBackward<float>(dout.data(), ids.data(), count, vocab, hidden,
                             two.data());
  });
  EXPECT_TRUE(bitwiseEqual(one, two));
}

} // namespace
} // namespace strata::runtime::cpu

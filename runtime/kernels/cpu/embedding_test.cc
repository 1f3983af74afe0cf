//===- embedding_test.cc - tests of embedding.h -------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/embedding.h"

#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

#include <limits>

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

//===----------------------------------------------------------------------===//
// Vocabulary-parallel shards
//===----------------------------------------------------------------------===//

/// Ids hitting every row of a 12-row table, with repeats, at the first and
/// last row of every block for tp = 2, 3, 4 (blocks of 6, 4, 3 rows).
const std::vector<int32_t> kShardIds = {0, 11, 2,  3, 4,  5, 6, 7, 8, 9,
                                        3, 6,  11, 0, 10, 1, 8, 5, 9, 2};
constexpr int64_t kShardV = 12, kShardH = 5;

/// For tp = 1..4: the ranks' forward outputs summed on the host equal the
/// full lookup, and their table gradients concatenated equal the full
/// gradient (overwriting and accumulating), bitwise: each output row is one
/// rank's row plus zeros, and each gradient row sums the same terms in the
/// same order.
template <typename T>
void checkShardsMatchFullKernels() {
  const int64_t V = kShardV, H = kShardH;
  const int64_t count = int64_t(kShardIds.size());
  const int32_t *ids = kShardIds.data();
  const auto table = convert<T>(randomVector(V * H, 10));
  const auto dout = convert<T>(randomVector(count * H, 11));
  std::vector<T> full(count * H), fullGrad(V * H), fullAcc(V * H, T(0.5));
  embeddingForward<T>(table.data(), ids, count, V, H, full.data());
  embeddingBackward<T>(dout.data(), ids, count, V, H, fullGrad.data());
  embeddingBackward<T>(dout.data(), ids, count, V, H, fullAcc.data(),
                       /*accumulate=*/true);
  for (int64_t tp = 1; tp <= 4; ++tp) {
    SCOPED_TRACE("tp=" + std::to_string(tp));
    const int64_t Vl = V / tp;
    std::vector<T> sum(count * H, T(0)), grad(V * H, T(NAN)),
        acc(V * H, T(0.5));
    for (int64_t r = 0; r < tp; ++r) {
      std::vector<T> out(count * H, T(NAN));
      embeddingForwardShard<T>(table.data() + r * Vl * H, ids, count, r * Vl,
                               Vl, H, out.data());
      for (size_t i = 0; i < out.size(); ++i)
        sum[i] += out[i];
      embeddingBackwardShard<T>(dout.data(), ids, count, r * Vl, Vl, H,
                                grad.data() + r * Vl * H);
      embeddingBackwardShard<T>(dout.data(), ids, count, r * Vl, Vl, H,
                                acc.data() + r * Vl * H, /*accumulate=*/true);
    }
    EXPECT_TRUE(bitwiseEqual(sum, full));
    EXPECT_TRUE(bitwiseEqual(grad, fullGrad));
    EXPECT_TRUE(bitwiseEqual(acc, fullAcc));
  }
}

TEST(EmbeddingKernelTest, ShardsCombineToFullKernels) {
  checkShardsMatchFullKernels<float>();
  checkShardsMatchFullKernels<double>();
}

TEST(EmbeddingKernelTest, ShardIgnoresIdsOutsideWithoutOutOfBoundsAccess) {
  // Rank 1 of 3 of a 12-row table: rows [4, 8). The shard sits between NaN
  // guard rows, so a read outside it would show as NaN in |out| and a write
  // would overwrite a guard.
  const int64_t Vl = 4, H = kShardH, offset = 4;
  const int32_t big = std::numeric_limits<int32_t>::max(),
                small = std::numeric_limits<int32_t>::min();
  const std::vector<int32_t> ids = {3,  4,       7,          8,   -1,
                                    12, 1 << 30, -(1 << 30), big, small};
  const int64_t count = int64_t(ids.size());
  std::vector<float> table((Vl + 2) * H, NAN);
  const auto local = convert<float>(randomVector(Vl * H, 12));
  std::copy(local.begin(), local.end(), table.begin() + H);
  std::vector<float> out(count * H, 1.0f);
  embeddingForwardShard<float>(table.data() + H, ids.data(), count, offset, Vl,
                               H, out.data());
  for (int64_t i = 0; i < count; ++i)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t row = int64_t(ids[i]) - offset;
      const float want = row >= 0 && row < Vl ? local[row * H + h] : 0.0f;
      EXPECT_EQ(out[i * H + h], want) << "id " << ids[i];
    }
  const auto dout = convert<float>(randomVector(count * H, 13));
  std::vector<float> dtable((Vl + 2) * H, NAN);
  embeddingBackwardShard<float>(dout.data(), ids.data(), count, offset, Vl, H,
                                dtable.data() + H);
  for (int64_t h = 0; h < H; ++h) {
    EXPECT_TRUE(std::isnan(dtable[h]));                // guard before
    EXPECT_TRUE(std::isnan(dtable[(Vl + 1) * H + h])); // guard after
    EXPECT_EQ(dtable[H + h], dout[1 * H + h]);         // id 4: row 0
    EXPECT_EQ(dtable[Vl * H + h], dout[2 * H + h]);    // id 7: row 3
    EXPECT_EQ(dtable[2 * H + h], 0.0f);                // rows 1, 2: no id
    EXPECT_EQ(dtable[3 * H + h], 0.0f);
  }
}

} // namespace
} // namespace strata::runtime::cpu

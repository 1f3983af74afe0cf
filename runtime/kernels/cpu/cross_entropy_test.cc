//===- cross_entropy_test.cc - tests of cross_entropy.h -----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/cross_entropy.h"

#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

namespace strata::runtime::cpu {
namespace {

using namespace testing;

std::vector<int32_t> randomLabels(int64_t N, int64_t V, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<int32_t> labels(static_cast<size_t>(N));
  for (auto &l : labels)
    l = int32_t(gen() % uint32_t(V));
  return labels;
}

std::vector<double> referenceLoss(const std::vector<double> &logits,
                                  const std::vector<int32_t> &labels,
                                  int64_t N, int64_t V,
                                  std::vector<double> *lse = nullptr) {
  std::vector<double> loss(static_cast<size_t>(N));
  if (lse)
    lse->resize(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) {
    double s = 0.0;
    for (int64_t v = 0; v < V; ++v)
      s += std::exp(logits[n * V + v]);
    loss[n] = std::log(s) - logits[n * V + labels[n]];
    if (lse)
      (*lse)[n] = std::log(s);
  }
  return loss;
}

template <typename T>
std::vector<double> runBackward(const std::vector<double> &logits,
                                const std::vector<int32_t> &labels,
                                const std::vector<double> &dloss, int64_t N,
                                int64_t V) {
  const auto x = convert<T>(logits), dl = convert<T>(dloss);
  std::vector<T> loss(static_cast<size_t>(N)), lse(static_cast<size_t>(N)), dx(x.size());
  crossEntropyForward<T>(x.data(), labels.data(), N, V, loss.data(), lse.data());
  crossEntropyBackward<T>(x.data(), labels.data(), lse.data(), dl.data(), N, V,
                          dx.data());
  return convert<double>(dx);
}

TEST(CrossEntropyKernelTest, ForwardMatchesReference) {
  const int64_t N = 13, V = 37;
  const auto logits = randomVector(N * V, 1, -8.0, 8.0);
  const auto labels = randomLabels(N, V, 2);
  std::vector<double> refLse;
  const auto ref = referenceLoss(logits, labels, N, V, &refLse);
  std::vector<double> loss(N), lse(N);
  crossEntropyForward<double>(logits.data(), labels.data(), N, V, loss.data(),
                              lse.data());
  EXPECT_LT(relativeError(loss, ref), 1e-13);
  EXPECT_LT(relativeError(lse, refLse), 1e-13);
  const auto xf = convert<float>(logits);
  std::vector<float> lossF(N), lseF(N);
  crossEntropyForward<float>(xf.data(), labels.data(), N, V, lossF.data(),
                             lseF.data());
  EXPECT_LT(relativeError(lossF, ref), 1e-6);
  EXPECT_LT(relativeError(lseF, refLse), 1e-6);
}

TEST(CrossEntropyKernelTest, BackwardMatchesFiniteDifferences) {
  const int64_t N = 13, V = 37;
  const auto logits = randomVector(N * V, 3, -4.0, 4.0);
  const auto labels = randomLabels(N, V, 4);
  const auto w = randomVector(N, 5);
  const auto got = runBackward<double>(logits, labels, w, N, V);
  const auto fd = finiteDifferenceGradient(logits, w, [&](const auto &x) {
    return referenceLoss(x, labels, N, V);
  });
  EXPECT_LT(relativeError(got, fd), 1e-6);
  EXPECT_LT(relativeError(runBackward<float>(logits, labels, w, N, V), got),
            1e-4);
  // In place: dlogits over logits.
  auto x = convert<float>(logits);
  const auto dl = convert<float>(w);
  std::vector<float> loss(N), lse(N);
  crossEntropyForward<float>(x.data(), labels.data(), N, V, loss.data(),
                             lse.data());
  crossEntropyBackward<float>(x.data(), labels.data(), lse.data(), dl.data(),
                              N, V, x.data());
  EXPECT_TRUE(bitwiseEqual(x, convert<float>(runBackward<float>(logits, labels, w, N, V))));
}

TEST(CrossEntropyKernelTest, ValidateLabelsNamesPositionAndValue) {
  std::vector<int32_t> labels = {0, 36, 5, 2, 1};
  EXPECT_TRUE(validateLabels(labels.data(), 5, 37).isOk());
  labels[3] = 37;
  Status s = validateLabels(labels.data(), 5, 37);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "label 37 at position 3 is outside the vocabulary [0, 37)");
  labels[1] = -1;
  s = validateLabels(labels.data(), 5, 37);
  EXPECT_EQ(s.message(), "label -1 at position 1 is outside the vocabulary [0, 37)");
}

TEST(CrossEntropyKernelTest, BadLabelGivesNanWithoutOutOfBoundsAccess) {
  const int64_t N = 3, V = 5;
  const auto x = convert<float>(randomVector(N * V, 6));
  const std::vector<int32_t> labels = {1, 1 << 30, -7};
  std::vector<float> loss(N), lse(N), dx(N * V), dl(N, 1.0f);
  crossEntropyForward<float>(x.data(), labels.data(), N, V, loss.data(),
                             lse.data());
  crossEntropyBackward<float>(x.data(), labels.data(), lse.data(), dl.data(),
                              N, V, dx.data());
  EXPECT_FALSE(std::isnan(loss[0]));
  EXPECT_TRUE(std::isnan(loss[1]) && std::isnan(loss[2]));
  EXPECT_TRUE(std::isnan(dx[V]) && std::isnan(dx[2 * V]));
}

TEST(CrossEntropyKernelTest, BitwiseIndependentOfThreadCount) {
  const int64_t N = 301, V = 200;
  const auto logits = randomVector(N * V, 7, -5.0, 5.0);
  const auto labels = randomLabels(N, V, 8);
  const auto dl = randomVector(N, 9);
  std::vector<double> one, two;
  withThreads(1, [&] { one = runBackward<float>(logits, labels, dl, N, V); });
  withThreads(2, [&] { two = runBackward<float>(logits, labels, dl, N, V); });
  EXPECT_TRUE(bitwiseEqual(one, two));
}

} // namespace
} // namespace strata::runtime::cpu

//===- kernel_test_util.h - helpers for the CPU kernel tests ------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Random inputs, error measures, central finite differences, thread-count
// control and blocks of split tensors for the *_test.cc files beside the
// kernels.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_TESTING_KERNEL_TEST_UTIL_H
#define STRATA_RUNTIME_KERNELS_CPU_TESTING_KERNEL_TEST_UTIL_H

#include "runtime/kernels/cpu/mask_indexing.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

namespace strata::runtime::cpu::testing {

/// |n| values uniform in [lo, hi) from a fixed seed.
inline std::vector<double> randomVector(int64_t n, uint32_t seed,
                                        double lo = -1.0, double hi = 1.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<size_t>(n));
  for (double &x : v)
    x = dist(gen);
  return v;
}

template <typename To, typename From>
std::vector<To> convert(const std::vector<From> &v) {
  return std::vector<To>(v.begin(), v.end());
}

/// max_i |a[i] - b[i]| / max_i |b[i]|: the error relative to the size of
/// the reference |b| (0 when both are zero).
template <typename A, typename B>
double relativeError(const std::vector<A> &a, const std::vector<B> &b) {
  EXPECT_EQ(a.size(), b.size());
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    const double d = std::fabs(double(a[i]) - double(b[i]));
    if (std::isnan(d))
      return INFINITY;
    num = std::max(num, d);
    den = std::max(den, std::fabs(double(b[i])));
  }
  return den == 0.0 ? num : num / den;
}

/// The gradient of L(x) = sum_i f(x)[i] * w[i] by central differences:
/// g[j] = (L(x + h e_j) - L(x - h e_j)) / 2h, with h = |step| * max(1, |x_j|).
/// |f| maps x (by value) to the output vector.
inline std::vector<double> finiteDifferenceGradient(
    std::vector<double> x, const std::vector<double> &w,
    const std::function<std::vector<double>(const std::vector<double> &)> &f,
    double step = 1e-6) {
  std::vector<double> g(x.size());
  auto loss = [&](const std::vector<double> &xs) {
    const std::vector<double> y = f(xs);
    EXPECT_EQ(y.size(), w.size());
    double s = 0.0;
    for (size_t i = 0; i < y.size(); ++i)
      s += y[i] * w[i];
    return s;
  };
  for (size_t j = 0; j < x.size(); ++j) {
    const double orig = x[j];
    const double h = step * std::max(1.0, std::fabs(orig));
    x[j] = orig + h;
    const double up = loss(x);
    x[j] = orig - h;
    const double down = loss(x);
    x[j] = orig;
    g[j] = (up - down) / (2.0 * h);
  }
  return g;
}

/// Runs |fn| with omp_set_num_threads(|threads|), then restores the count.
template <typename F>
void withThreads(int threads, F fn) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  fn();
  omp_set_num_threads(saved);
}

/// Whether two vectors are bitwise identical.
template <typename T>
bool bitwiseEqual(const std::vector<T> &a, const std::vector<T> &b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

/// Entries [begin, begin + count) of the middle dimension of a row-major
/// x[outer, dim, inner]: e.g. a rank's heads of q, k, v, out (dim = heads,
/// inner = D or E) or of lse (dim = H, inner = S).
template <typename T>
std::vector<T> sliceMiddle(const std::vector<T> &x, int64_t dim, int64_t inner,
                           int64_t begin, int64_t count) {
  const int64_t outer = int64_t(x.size()) / (dim * inner);
  std::vector<T> out;
  out.reserve(size_t(outer * count * inner));
  for (int64_t o = 0; o < outer; ++o) {
    const auto first = x.begin() + (o * dim + begin) * inner;
    out.insert(out.end(), first, first + count * inner);
  }
  return out;
}

/// Rank |rank| of |ranks|'s block of a row-major tensor of global shape
/// |dims| split along dimension |dim|: rows [begin, end) there, with
/// begin = rank * D / ranks, end = (rank + 1) * D / ranks (D = dims[dim]:
/// uneven blocks, some empty, when ranks does not divide D).
struct SplitBlock {
  std::vector<int64_t> dims;
  int dim, ranks, rank;
  int64_t begin, end;

  int64_t rows() const { return end - begin; }
  int64_t outer() const {
    int64_t n = 1;
    for (int d = 0; d < dim; ++d)
      n *= dims[d];
    return n;
  }
  int64_t inner() const {
    int64_t n = 1;
    for (size_t d = size_t(dim) + 1; d < dims.size(); ++d)
      n *= dims[d];
    return n;
  }
  /// The shape of the rank's local tensor.
  std::vector<int64_t> localDims() const {
    std::vector<int64_t> local = dims;
    local[dim] = rows();
    return local;
  }
  int64_t localSize() const { return outer() * rows() * inner(); }
  /// The mask indexing of the local tensor.
  MaskIndexing indexing() const {
    const std::vector<int64_t> local = localDims();
    return MaskIndexing::split(local.data(), int(local.size()), dim, dims[dim],
                               begin);
  }
  /// Whether every local element sits at its own global position (an empty
  /// block or a leading one with nothing before it), so that a kernel
  /// without the indexing happens to draw the right mask.
  bool keepsPositions() const {
    return rows() == 0 || (begin == 0 && (outer() == 1 || rows() == dims[dim]));
  }
  /// The rank's block of a global tensor |x|.
  template <typename T>
  std::vector<T> slice(const std::vector<T> &x) const {
    return sliceMiddle(x, dims[dim], inner(), begin, rows());
  }
  std::string describe() const {
    return "dim " + std::to_string(dim) + ", rank " + std::to_string(rank) +
           " of " + std::to_string(ranks) + ": rows [" + std::to_string(begin) +
           ", " + std::to_string(end) + ")";
  }
};

/// Every rank's block of a tensor of shape |dims| split along each of its
/// dimensions over 1..|maxRanks| ranks, by dimension, then rank count, then
/// rank.
inline std::vector<SplitBlock> splitBlocks(const std::vector<int64_t> &dims,
                                           int maxRanks) {
  std::vector<SplitBlock> blocks;
  for (int dim = 0; dim < int(dims.size()); ++dim)
    for (int ranks = 1; ranks <= maxRanks; ++ranks)
      for (int rank = 0; rank < ranks; ++rank)
        blocks.push_back({dims, dim, ranks, rank, rank * dims[dim] / ranks,
                          (rank + 1) * dims[dim] / ranks});
  return blocks;
}

/// Runs |script| with the python3 named by STRATA_PYTHON3 (set by the test
/// target) and captures stdout and stderr; false when it fails (no python3,
/// no torch). Tests that cross-check against PyTorch skip on false.
inline bool runPython(const std::string &script, std::string *output) {
#ifndef STRATA_PYTHON3
#define STRATA_PYTHON3 "python3"
#endif
  const std::string path = ::testing::TempDir() + "strata_kernel_torch_" +
                           std::to_string(::getpid()) + ".py";
  std::ofstream(path) << script;
  FILE *pipe = popen((std::string(STRATA_PYTHON3) + " " + path + " 2>&1").c_str(), "r");
  if (!pipe)
    return false;
  char buf[4096];
  output->clear();
  while (size_t got = fread(buf, 1, sizeof(buf), pipe))
    output->append(buf, got);
  const int rc = pclose(pipe);
  std::remove(path.c_str());
  return rc == 0;
}

} // namespace strata::runtime::cpu::testing

#endif // STRATA_RUNTIME_KERNELS_CPU_TESTING_KERNEL_TEST_UTIL_H

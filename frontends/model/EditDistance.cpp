//===- EditDistance.cpp - "did you mean" suggestions ---------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Banded two-row Levenshtein: only cells within |limit| of the diagonal can
// hold a distance <= limit, so the others are never computed.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/EditDistance.h"

#include <algorithm>
#include <cctype>

namespace strata::frontend {

namespace {

char fold(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

} // namespace

size_t editDistance(std::string_view a, std::string_view b, size_t limit) {
  const size_t n = a.size(), m = b.size();
  const size_t over = limit + 1;
  if ((n > m ? n - m : m - n) > limit)
    return over;
  // prev[j] / cur[j]: distance between a[0..i) and b[0..j), capped at over.
  std::vector<size_t> prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j)
    prev[j] = std::min(j, over);
  for (size_t i = 1; i <= n; ++i) {
    size_t lo = i > limit ? i - limit : 1;
    size_t hi = std::min(m, i + limit);
    cur[0] = std::min(i, over);
    if (lo > 1)
      cur[lo - 1] = over;
    size_t rowBest = cur[0];
    for (size_t j = lo; j <= hi; ++j) {
      size_t substitute = prev[j - 1] + (fold(a[i - 1]) == fold(b[j - 1]) ? 0 : 1);
      size_t remove = prev[j] + 1;
      size_t insert = cur[j - 1] + 1;
      cur[j] = std::min({substitute, remove, insert, over});
      rowBest = std::min(rowBest, cur[j]);
    }
    if (hi < m)
      cur[hi + 1] = over;
    if (rowBest >= over)
      return over;
    std::swap(prev, cur);
  }
  return std::min(prev[m], over);
}

std::string closestMatch(std::string_view word,
                         const std::vector<std::string_view> &candidates) {
  const size_t limit = std::clamp<size_t>((word.size() + 2) / 3, 1, 3);
  std::string_view best;
  size_t bestDistance = limit + 1;
  for (std::string_view candidate : candidates) {
    size_t d = editDistance(word, candidate, limit);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return std::string(best);
}

} // namespace strata::frontend

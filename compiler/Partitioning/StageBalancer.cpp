//===- StageBalancer.cpp - layers onto pipeline stages --------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Partitioning/StageBalancer.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace strata::partitioning {

double StagePlan::maxCost() const {
  return cost.empty() ? 0.0 : *std::max_element(cost.begin(), cost.end());
}

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

/// Prefix sums of the layer costs and the cost of a chunk.
class ChunkCosts {
public:
  ChunkCosts(const PipelineCosts &costs, int64_t chunks)
      : costs(costs), chunks(chunks), prefix(costs.layers.size() + 1, 0.0) {
    for (size_t i = 0; i < costs.layers.size(); ++i)
      prefix[i + 1] = prefix[i] + costs.layers[i];
  }
  /// Chunk |c| holding layers [begin, end).
  double operator()(int64_t c, int64_t begin, int64_t end) const {
    double cost = prefix[end] - prefix[begin];
    if (c == 0)
      cost += costs.first;
    if (c == chunks - 1)
      cost += costs.last;
    return cost;
  }

private:
  const PipelineCosts &costs;
  int64_t chunks;
  std::vector<double> prefix;
};

} // namespace

std::optional<StagePlan> balanceStages(const PipelineCosts &costs,
                                       int64_t stages, int64_t virtualChunks,
                                       std::string *error) {
  auto fail = [&](const std::string &message) -> std::optional<StagePlan> {
    if (error)
      *error = message;
    return std::nullopt;
  };
  const int64_t layers = static_cast<int64_t>(costs.layers.size());
  if (stages < 1 || virtualChunks < 1)
    return fail("the pipeline needs at least one stage and one chunk per "
                "stage");
  const int64_t chunks = stages * virtualChunks;
  if (layers < chunks)
    return fail(std::to_string(layers) + " layers cannot fill " +
                std::to_string(stages) + " pipeline stages x " +
                std::to_string(virtualChunks) + " chunks = " +
                std::to_string(chunks) + " chunks of at least one layer");
  for (double c : costs.layers)
    if (!(c >= 0.0) || !std::isfinite(c))
      return fail("a layer cost is negative or not finite");
  if (!(costs.first >= 0.0 && costs.last >= 0.0) ||
      !std::isfinite(costs.first + costs.last))
    return fail("the first or last stage's extra cost is negative or not "
                "finite");

  const ChunkCosts cost(costs, chunks);
  // Pass 1: the least achievable largest chunk cost. best[c][j]: chunks
  // 0..c cover layers [0, j).
  std::vector<std::vector<double>> best(
      chunks, std::vector<double>(layers + 1, kInfinity));
  for (int64_t j = 1; j <= layers; ++j)
    best[0][j] = cost(0, 0, j);
  for (int64_t c = 1; c < chunks; ++c)
    for (int64_t j = c + 1; j <= layers; ++j)
      for (int64_t i = c; i < j; ++i)
        best[c][j] =
            std::min(best[c][j], std::max(best[c - 1][i], cost(c, i, j)));
  const double bound = best[chunks - 1][layers] * (1.0 + 1e-9) + 1e-12;

  // Pass 2: among the plans within that bound, the most even layer counts
  // (least sum of squared deviations from the mean).
  const double mean = double(layers) / double(chunks);
  std::vector<std::vector<double>> spread(
      chunks, std::vector<double>(layers + 1, kInfinity));
  std::vector<std::vector<int64_t>> cut(chunks,
                                        std::vector<int64_t>(layers + 1, -1));
  auto deviation = [&](int64_t count) {
    return (double(count) - mean) * (double(count) - mean);
  };
  for (int64_t j = 1; j <= layers; ++j)
    if (cost(0, 0, j) <= bound) {
      spread[0][j] = deviation(j);
      cut[0][j] = 0;
    }
  for (int64_t c = 1; c < chunks; ++c)
    for (int64_t j = c + 1; j <= layers; ++j)
      for (int64_t i = c; i < j; ++i) {
        if (spread[c - 1][i] == kInfinity || cost(c, i, j) > bound)
          continue;
        const double candidate = spread[c - 1][i] + deviation(j - i);
        if (candidate < spread[c][j] - 1e-12) {
          spread[c][j] = candidate;
          cut[c][j] = i;
        }
      }

  StagePlan plan;
  plan.stages = stages;
  plan.firstLayer.assign(chunks, 0);
  plan.layerCount.assign(chunks, 0);
  plan.cost.assign(chunks, 0.0);
  for (int64_t c = chunks - 1, end = layers; c >= 0; --c) {
    const int64_t begin = cut[c][end];
    plan.firstLayer[c] = begin;
    plan.layerCount[c] = end - begin;
    plan.cost[c] = cost(c, begin, end);
    end = begin;
  }
  return plan;
}

} // namespace strata::partitioning

//===- StageBalancer.h - layers onto pipeline stages ------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Pipeline parallelism cuts the layers into contiguous chunks, one per
// (virtual) stage, so that the slowest stage, which sets the pipeline's
// pace, is as fast as possible. The embedding runs on the first stage and
// the output layer and loss on the last, so their costs count there (the
// GPT-3 head is a third of a layer: with 96 layers on 16 stages the last
// stage could take one layer fewer than a uniform split would give it).
// With the interleaved schedule each of the pp stages holds v chunks:
// chunk c runs on stage c mod pp. Plain C++; the partitioner derives the
// costs from the IR (matmul and attention flops).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_PARTITIONING_STAGEBALANCER_H
#define STRATA_COMPILER_PARTITIONING_STAGEBALANCER_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata::partitioning {

struct PipelineCosts {
  /// Cost of the ops before the first layer (embedding) and after the last
  /// (final norm, output layer, loss).
  double first = 0.0;
  double last = 0.0;
  /// One entry per layer, in order.
  std::vector<double> layers;
};

struct StagePlan {
  /// Per chunk (stages x virtual chunks of the interleaved schedule, in
  /// model order): its first layer and the number of layers.
  std::vector<int64_t> firstLayer;
  std::vector<int64_t> layerCount;
  /// Per chunk: its cost, the embedding and head included.
  std::vector<double> cost;
  /// The (physical) stage of chunk c: c mod stages.
  int64_t stageOf(size_t chunk) const {
    return static_cast<int64_t>(chunk) % stages;
  }
  int64_t stages = 1;
  double maxCost() const;
};

/// Cuts the layers into |stages| x |virtualChunks| contiguous chunks of at
/// least one layer each, minimizing the largest chunk cost (exact: dynamic
/// programming over cut points). Ties go to the plan whose chunks' layer
/// counts are most even, earliest chunks first. An error message when there
/// are fewer layers than chunks or a cost is negative or not finite.
std::optional<StagePlan> balanceStages(const PipelineCosts &costs,
                                       int64_t stages, int64_t virtualChunks,
                                       std::string *error);

} // namespace strata::partitioning

#endif // STRATA_COMPILER_PARTITIONING_STAGEBALANCER_H

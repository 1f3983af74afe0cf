//===- link_model.cc - where a collective runs and how long ---------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/cost/link_model.h"

#include "common/gradient_buckets.h"

#include <algorithm>
#include <cmath>

namespace strata::tuner {

namespace {

int64_t strideOf(const MeshPlacement &mesh, const std::string &axis,
                 int64_t &size) {
  if (axis == "tp")
    return size = mesh.tp, 1;
  if (axis == "pp")
    return size = mesh.pp, mesh.tp;
  if (axis == "dp")
    return size = mesh.dp, mesh.tp * mesh.pp;
  return size = 1, 1;
}

} // namespace

Link groupLink(const MeshPlacement &mesh, const std::vector<std::string> &axes,
               const strata::frontend::ClusterDescription &cluster) {
  // The group's ranks: every combination of the axes' indices.
  std::vector<int64_t> ranks = {0};
  for (const std::string &axis : axes) {
    int64_t size = 1;
    const int64_t stride = strideOf(mesh, axis, size);
    std::vector<int64_t> grown;
    for (int64_t r : ranks)
      for (int64_t i = 0; i < size; ++i)
        grown.push_back(r + i * stride);
    ranks = std::move(grown);
  }
  const int64_t perNode = std::max<int64_t>(mesh.gpusPerNode, 1);
  const int64_t onFirstNode = std::count_if(
      ranks.begin(), ranks.end(), [&](int64_t r) { return r / perNode == 0; });
  if (onFirstNode == int64_t(ranks.size()))
    return {cluster.intraNode.bandwidthBytesPerS, cluster.intraNode.latencyS,
            false};
  return {std::min(cluster.intraNode.bandwidthBytesPerS,
                   double(onFirstNode) * cluster.interNode.bandwidthBytesPerS),
          cluster.interNode.latencyS, true};
}

Link pipelineLink(const MeshPlacement &mesh, int64_t from, int64_t to,
                  const strata::frontend::ClusterDescription &cluster) {
  const int64_t perNode = std::max<int64_t>(mesh.gpusPerNode, 1);
  if ((from * mesh.tp) / perNode == (to * mesh.tp) / perNode)
    return {cluster.intraNode.bandwidthBytesPerS, cluster.intraNode.latencyS,
            false};
  return {cluster.interNode.bandwidthBytesPerS, cluster.interNode.latencyS,
          true};
}

double collectiveSeconds(const mlir::strata::CollectiveRecord &collective,
                         const Link &link) {
  if (link.bandwidthBytesPerS <= 0)
    return 0;
  const std::string &kind = collective.kind;
  const int64_t g = std::max<int64_t>(collective.groupSize, 1);
  int64_t steps = 1; // send
  if (kind.find("all_reduce") != std::string::npos)
    steps = 2 * (g - 1);
  else if (kind != "send" && kind != "recv")
    steps = g - 1;
  // The analysis lists the data-parallel moves of gradients and parameters
  // one per parameter; the runtime packs them into buckets of
  // kGradientBucketCapacity (common/gradient_buckets.h), one collective each.
  int64_t calls = collective.count;
  if (kind.find("grads") != std::string::npos ||
      kind.find("params") != std::string::npos)
    calls = std::min<int64_t>(
        calls, std::max<int64_t>(
                   1, int64_t(std::ceil(double(collective.payloadBytes) /
                                        double(kGradientBucketCapacity)))));
  return double(calls * steps) * link.latencyS +
         double(collective.sentBytes) / link.bandwidthBytesPerS;
}

} // namespace strata::tuner

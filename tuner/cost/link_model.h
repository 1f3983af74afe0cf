//===- link_model.h - where a collective runs and how long ------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The ranks of a dp x pp x tp mesh are numbered with tp fastest and fill
// the nodes in order (gpusPerNode ranks per node). A group within one node
// uses the intra-node links; a group across nodes is limited by the
// inter-node links, of which it has one per member on a node (one NIC per
// device, as in a DGX): k members per node give k x the per-device
// inter-node bandwidth, capped by the intra-node links. A collective costs
// the bytes one rank sends over the link's bandwidth plus one latency per
// ring step (2 (g - 1) for an all-reduce, g - 1 for a gather or scatter,
// 1 for a point-to-point send). Gradient and parameter moves of the data
// parallel group count one collective per bucket (common/gradient_buckets.h),
// estimated as the payload over the bucket capacity.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_TUNER_COST_LINK_MODEL_H
#define STRATA_TUNER_COST_LINK_MODEL_H

#include "compiler/Api/CompileApi.h"
#include "frontends/cluster/ClusterDescription.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::tuner {

struct MeshPlacement {
  int64_t dp = 1, pp = 1, tp = 1;
  int64_t gpusPerNode = 1;
};

struct Link {
  double bandwidthBytesPerS = 0;
  double latencyS = 0;
  bool acrossNodes = false;
};

/// The link of the group over mesh axes |axes| ("dp", "pp", "tp") that
/// holds rank 0.
Link groupLink(const MeshPlacement &mesh, const std::vector<std::string> &axes,
               const strata::frontend::ClusterDescription &cluster);

/// The link between stage |from| and stage |to| (same dp and tp index).
Link pipelineLink(const MeshPlacement &mesh, int64_t from, int64_t to,
                  const strata::frontend::ClusterDescription &cluster);

/// Seconds of one call of the function that holds |collective|.
double collectiveSeconds(const mlir::strata::CollectiveRecord &collective,
                         const Link &link);

} // namespace strata::tuner

#endif // STRATA_TUNER_COST_LINK_MODEL_H

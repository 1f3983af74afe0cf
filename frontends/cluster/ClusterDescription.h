//===- ClusterDescription.h - the machines a job runs on --------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A cluster description (YAML) gives strata-tune's cost model the machine:
// nodes and devices per node, each device's memory, peak dense bf16 and f32
// FLOP/s and memory bandwidth, the links within a node and between nodes
// (bandwidth per device and direction, latency), and how close to peak the
// kernels come (a GEMM efficiency curve over the FLOPs of one call,
// attention and elementwise fractions), or a calibration file measured on
// the machine (strata-tune calibrate) that replaces them. Presets name the
// common machines (clusterPresetNames). Plain C++ on the model-description
// frontend's located YAML tree, so every error names the file, line, key
// and value at fault, the way model descriptions' errors do.
//
// Usage:
//   ClusterParseResult result = loadCluster("dgx-a100-80gb");  // or a path
//   for (const Diagnostic &d : result.diagnostics)
//     std::cerr << formatDiagnostic(d, result.sourceText);
//   if (!result.cluster) return 1;
//   double f = result.cluster->gemmEfficiencyAt(2e12);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_CLUSTER_CLUSTERDESCRIPTION_H
#define STRATA_FRONTENDS_CLUSTER_CLUSTERDESCRIPTION_H

#include "frontends/model/ModelDescriptionParser.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::frontend {

enum class DeviceKind { Gpu, Cpu };

/// One kind of link: bytes per second one device sends in one direction,
/// and the latency of one message.
struct LinkSpec {
  double bandwidthBytesPerS = 0;
  double latencyS = 0;
};

/// The fraction of peak a GEMM of |flops| FLOPs per call reaches.
struct EfficiencyPoint {
  double flops = 0;
  double fraction = 0;
};

struct ClusterDescription {
  std::string name;
  /// Where it was read from: a file path, or "preset:<name>".
  std::string source;
  int64_t nodes = 1;
  int64_t gpusPerNode = 1;
  DeviceKind deviceKind = DeviceKind::Gpu;
  int64_t deviceMemoryBytes = 0;
  double peakBf16FlopsPerS = 0;
  double peakF32FlopsPerS = 0;
  double memoryBandwidthBytesPerS = 0;
  LinkSpec intraNode, interNode;
  /// Ascending in flops; at least one point.
  std::vector<EfficiencyPoint> gemmEfficiency;
  /// Fractions of peak (attention) and of memory bandwidth (elementwise).
  double attentionEfficiency = 0;
  double elementwiseEfficiency = 0;
  /// A calibration profile (resolved against the description's folder), or
  /// empty for the curves above.
  std::string calibrationPath;

  int64_t devices() const { return nodes * gpusPerNode; }
  /// The GEMM curve at |flops|: linear in log(flops) between points, the
  /// end points' fractions beyond them.
  double gemmEfficiencyAt(double flops) const;
};

struct ClusterParseResult {
  /// Set only when there are no errors.
  std::optional<ClusterDescription> cluster;
  std::vector<Diagnostic> diagnostics;
  /// The text read, for formatDiagnostic's excerpts.
  std::string sourceText;
};

/// Parses a cluster description; |fileName| names it in diagnostics and
/// resolves a relative calibration path.
ClusterParseResult parseClusterDescription(std::string_view text,
                                           const std::string &fileName);

/// The built-in presets: dgx-a100-80gb, dgx-h100, h200-node, local.
std::vector<std::string> clusterPresetNames();

/// |nameOrPath| as a preset name when it is one, else as a file. An
/// unknown name that is not a file either is an error listing the presets.
ClusterParseResult loadCluster(const std::string &nameOrPath);

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_CLUSTER_CLUSTERDESCRIPTION_H

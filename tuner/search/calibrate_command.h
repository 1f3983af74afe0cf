//===- calibrate_command.h - strata-tune calibrate --------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Measures what the cost model needs on the device at hand, at the sizes a
// model's candidate layouts run:
//
//   1. one compile per distinct (tp, micro-batch size, sequence parallel) of
//      the candidate space (one stage, one data-parallel rank: the sizes of
//      a layer's kernels depend on nothing else) gives every GEMM (kind, m,
//      n, k), attention and cross-entropy the layouts run, and the size
//      classes of their bandwidth-bound ops;
//   2. these go to a shapes file (runtime/tooling/calibrate_command.h), with
//      all-reduce payloads from 4 KiB to 16 MiB when the device is the CPU
//      and a node has several ranks;
//   3. `strata-run --device D calibrate` (under `MPIRUN -np <ranks of a
//      node>` for the links) times them and writes the profile, which
//      `strata-tune --calibration PROFILE` (or `calibration:` in a cluster
//      description) prices layouts with.
//
// --shapes-only stops after step 2, to time the shapes on another machine
// (a GPU node: strata-run calibrate there, the profile back here).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_TUNER_SEARCH_CALIBRATE_COMMAND_H
#define STRATA_TUNER_SEARCH_CALIBRATE_COMMAND_H

#include "compiler/Api/CompileApi.h"
#include "tuner/search/tune_command.h"

#include <ostream>
#include <string>
#include <vector>

namespace strata::tuner {

struct CalibrateOptions {
  /// The profile to write.
  std::string out = "calibration.json";
  /// strata-run --device: cpu or cuda.
  std::string device = "cpu";
  /// Element type of the kernels; empty: the model's precision.
  std::string dtype;
  /// Kernel threads per rank (the local preset: one core per rank).
  int threads = 1;
  /// Seconds measured per shape.
  double minSeconds = 0.05;
  /// Write the shapes file here and stop.
  std::string shapesOnly;
};

/// The shapes file of the kernel calls in |analyses| (training-step
/// functions only), each distinct shape once: GEMMs, attention,
/// cross-entropies, an elementwise add per size class of the bandwidth-bound
/// ops (elements of |elementBytes| bytes), and |allReduceBytes|.
std::string calibrationShapesText(
    const std::vector<mlir::strata::CompileAnalysis> &analyses,
    int64_t elementBytes, const std::vector<int64_t> &allReduceBytes);

/// strata-tune calibrate: |search| gives the model, cluster and space (its
/// measure/json/emit fields are unused), |options| the rest.
int runCalibrate(const TuneOptions &search, const CalibrateOptions &options,
                 std::ostream &out, std::ostream &err);

} // namespace strata::tuner

#endif // STRATA_TUNER_SEARCH_CALIBRATE_COMMAND_H

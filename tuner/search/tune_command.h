//===- tune_command.h - strata-tune, as a function --------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What strata-tune does between parsing its flags and exiting: read the
// cluster and the model, enumerate the candidates, evaluate their exact
// memory, predict each step, rank, print the table and the rationale, and
// write --json and --emit. tools/strata-tune only parses flags.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_TUNER_SEARCH_TUNE_COMMAND_H
#define STRATA_TUNER_SEARCH_TUNE_COMMAND_H

#include "frontends/cluster/ClusterDescription.h"
#include "frontends/model/ModelDescription.h"
#include "tuner/cost/calibration_profile.h"
#include "tuner/search/candidate_space.h"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace strata::tuner {

struct TuneOptions {
  std::string modelPath;
  /// Hydra overrides of the model, applied before each layout's.
  std::vector<std::string> overrides;
  std::string cluster;
  /// A calibration profile (strata-tune calibrate) to price kernels and the
  /// intra-node link with; empty: the cluster description's, if any.
  std::string calibration;
  /// 0: the cluster description's nodes; the model's global batch.
  int64_t nodes = 0, globalBatch = 0;
  size_t top = 10;
  std::string jsonPath, emitPath;
  int threads = 2;
  int64_t maxMicroBatchSize = 8;
  int64_t maxVirtualStages = 8;
  /// Empty: every kind; else only these ("none", "selective", "full").
  std::vector<std::string> recomputes;
  /// "both" (default), "on" or "off".
  std::string distributedOptimizer = "both";
  /// --measure K: compile and run the top K feasible candidates here.
  size_t measure = 0;
  /// "top": the best K; "spread": K spaced over the feasible ranking.
  std::string measurePick = "top";
  int64_t measureSteps = 4;
  int64_t measureRepeats = 1;
  int64_t measureThreads = 1;
  std::string measureProfile;
  /// Where strata-compile and strata-run are (strata-tune's directory).
  std::string binDir;
  std::string mpirun = "mpirun";
  /// Draw a progress bar on |err| (when it is a terminal).
  bool progress = false;
};

/// Runs the search; returns the exit code (0, or 1 after an error on |err|
/// of the form "strata-tune: error: ...").
int runTune(const TuneOptions &options, std::ostream &out, std::ostream &err);

/// What a search (or a calibration) works from: the cluster, the model with
/// its overrides, the candidate space of the options' restrictions, and the
/// calibration profile if one is given.
struct SearchSetup {
  strata::frontend::ClusterDescription cluster;
  strata::frontend::ModelDescription model;
  SpaceInput space;
  int64_t nodes = 1;
  std::optional<CalibrationProfile> profile;
};

/// Reads the cluster, the model and the profile of |options|; errors (located
/// where the file formats allow) go to |err| and give nullopt.
std::optional<SearchSetup> prepareSearch(const TuneOptions &options,
                                         std::ostream &err);

} // namespace strata::tuner

#endif // STRATA_TUNER_SEARCH_TUNE_COMMAND_H

//===- measure_runner.h - compile a layout and time a few steps -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// strata-tune --measure: compile one candidate with strata-compile (the
// model, its overrides and the layout's overrides, as --emit writes them),
// write random tokens for a few steps, run `strata-run train --tokens` under
// mpirun on this machine and read the per-step times it prints. Plain C++:
// it runs the tools as processes.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_TUNER_MEASURE_MEASURE_RUNNER_H
#define STRATA_TUNER_MEASURE_MEASURE_RUNNER_H

#include <cstdint>
#include <string>
#include <vector>

namespace strata::tuner {

struct MeasureSetup {
  /// Directory holding strata-compile and strata-run.
  std::string binDir;
  /// The launcher of a multi-rank run ("mpirun" plus its flags); "-np N"
  /// follows it. One rank runs strata-run directly.
  std::string mpirun = "mpirun";
  /// Scratch directory for artifacts, tokens and checkpoints.
  std::string workDir;
  std::string modelPath;
  std::vector<std::string> modelOverrides;
  int64_t seqLength = 1, vocabSize = 2, globalBatch = 1;
  /// Steps run; the first |warmupSteps| are not counted.
  int64_t steps = 4, warmupSteps = 1;
  /// strata-run --threads per rank.
  int64_t threadsPerRank = 1;
  /// Runs of each candidate, round-robin over the candidates (so that a
  /// slow minute of a shared machine hits several of them a little, not one
  /// of them a lot); the fastest run's median counts (noise only adds).
  int64_t repeats = 1;
};

struct MeasureResult {
  /// Median step time of the counted steps (seconds); set when error is
  /// empty.
  double stepSeconds = 0;
  std::vector<double> allSteps;
  /// What failed: the command and the end of its output.
  std::string error;
};

/// Writes an int32 .npy of shape [rows, width] with tokens in [0, vocab),
/// from a fixed seed. False on a write error.
bool writeTokensNpy(const std::string &path, int64_t rows, int64_t width,
                    int64_t vocab, uint32_t seed);

/// |s| single-quoted for sh.
std::string shellQuote(const std::string &s);

/// Runs |command| with sh, stdout and stderr together into |output|;
/// returns its exit status (-1 when it could not start).
int runCommand(const std::string &command, std::string &output);

/// Compiles |layoutOverrides| (named |tag| in the work directory) for
/// |ranks| ranks and times setup.steps training steps.
MeasureResult measureLayout(const MeasureSetup &setup,
                            const std::vector<std::string> &layoutOverrides,
                            int64_t ranks, const std::string &tag);

} // namespace strata::tuner

#endif // STRATA_TUNER_MEASURE_MEASURE_RUNNER_H

//===- measure_command.h - strata-tune --measure ----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The top K feasible candidates of a ranking compiled and run for a few
// training steps on this machine (tuner/measure/measure_runner.h), printed
// predicted beside measured, with Spearman's rank correlation, the median
// absolute error and how far the predicted best is from the measured best.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_TUNER_SEARCH_MEASURE_COMMAND_H
#define STRATA_TUNER_SEARCH_MEASURE_COMMAND_H

#include "tuner/measure/measure_runner.h"
#include "tuner/search/ranking.h"

#include <ostream>
#include <string>
#include <vector>

namespace strata::tuner {

/// One line of a recorded profile: the candidate and its step times.
struct MeasuredCandidate {
  Candidate candidate;
  double predictedSeconds = 0, measuredSeconds = 0;
};

/// "tp pp vp dp mbs microBatches sp recompute dopt predicted measured",
/// one candidate a line, after a '#' comment header.
std::string formatProfile(const std::vector<MeasuredCandidate> &rows,
                          const std::string &comment);
/// Reads formatProfile's text; false with |error| ("line N: ...").
bool parseProfile(const std::string &text, std::vector<MeasuredCandidate> &rows,
                  std::string &error);

/// Measures the first |k| feasible candidates of |ranked| on |ranks| ranks;
/// prints the comparison on |out|; writes the profile to |profilePath|
/// unless empty. Returns the exit code (1 when no candidate ran).
/// Indices into |ranked| of the feasible candidates --measure runs: the
/// first |k|, or with |spread| |k| spaced evenly over the feasible ranking
/// from the best to the last (layouts whose predictions differ, for
/// checking the ranking).
std::vector<size_t> pickForMeasurement(
    const std::vector<RankedCandidate> &ranked, size_t k, bool spread);

int measureTop(const std::vector<RankedCandidate> &ranked, size_t k,
               bool spread, MeasureSetup setup, int64_t ranks,
               const std::string &profilePath, std::ostream &out,
               std::ostream &err);

} // namespace strata::tuner

#endif // STRATA_TUNER_SEARCH_MEASURE_COMMAND_H

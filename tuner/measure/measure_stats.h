//===- measure_stats.h - predicted against measured step times --*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The statistics strata-tune --measure reports and the recorded-profile test
// checks (issue 13, "Against this machine"): Spearman rank correlation,
// median absolute relative error, and the step times strata-run train
// prints. Plain C++, no MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_TUNER_MEASURE_MEASURE_STATS_H
#define STRATA_TUNER_MEASURE_MEASURE_STATS_H

#include <string>
#include <vector>

namespace strata::tuner {

/// Ranks 1..n of |values| (ties get the mean of their ranks).
std::vector<double> fractionalRanks(const std::vector<double> &values);

/// Spearman's rank correlation: Pearson's correlation of the fractional
/// ranks. NaN when the sizes differ, n < 2 or either side is constant.
double spearman(const std::vector<double> &a, const std::vector<double> &b);

/// The median over i of |predicted[i] - measured[i]| / measured[i]; NaN
/// when empty or the sizes differ.
double medianAbsoluteRelativeError(const std::vector<double> &predicted,
                                   const std::vector<double> &measured);

/// The seconds of every "step i/N ... (X s)" line strata-run train --tokens
/// prints, in order.
std::vector<double> parseStepSeconds(const std::string &output);

/// The median of |steps| after dropping the first |warmup|; NaN when none
/// is left.
double medianStepSeconds(const std::vector<double> &steps, size_t warmup);

} // namespace strata::tuner

#endif // STRATA_TUNER_MEASURE_MEASURE_STATS_H

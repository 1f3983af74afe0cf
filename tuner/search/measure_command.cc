//===- measure_command.cc - strata-tune --measure -------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/search/measure_command.h"

#include "tuner/measure/measure_stats.h"
#include "tuner/search/memory_evaluator.h"

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace strata::tuner {

std::string formatProfile(const std::vector<MeasuredCandidate> &rows,
                          const std::string &comment) {
  std::ostringstream os;
  std::istringstream lines(comment);
  std::string line;
  while (std::getline(lines, line))
    os << "# " << line << "\n";
  os << "# tp pp vp dp mbs micro_batches sp recompute dopt predicted_s "
        "measured_s\n";
  char buffer[256];
  for (const MeasuredCandidate &r : rows) {
    const Candidate &c = r.candidate;
    std::snprintf(buffer, sizeof buffer,
                  "%lld %lld %lld %lld %lld %lld %d %s %d %.6f %.6f\n",
                  (long long)c.tp, (long long)c.pp, (long long)c.vp,
                  (long long)c.dp, (long long)c.microBatchSize,
                  (long long)c.microBatches, int(c.sequenceParallel),
                  recomputeName(c.recompute), int(c.distributedOptimizer),
                  r.predictedSeconds, r.measuredSeconds);
    os << buffer;
  }
  return os.str();
}

bool parseProfile(const std::string &text, std::vector<MeasuredCandidate> &rows,
                  std::string &error) {
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.empty() || line[0] == '#')
      continue;
    std::istringstream fields(line);
    MeasuredCandidate r;
    Candidate &c = r.candidate;
    int sp = 0, dopt = 0;
    std::string recompute, extra;
    if (!(fields >> c.tp >> c.pp >> c.vp >> c.dp >> c.microBatchSize >>
          c.microBatches >> sp >> recompute >> dopt >> r.predictedSeconds >>
          r.measuredSeconds) ||
        (fields >> extra)) {
      error = "line " + std::to_string(number) +
              ": expected 11 fields (tp pp vp dp mbs micro_batches sp "
              "recompute dopt predicted_s measured_s): " + line;
      return false;
    }
    if (!parseRecompute(recompute, c.recompute)) {
      error = "line " + std::to_string(number) + ": recompute '" + recompute +
              "' is not none, selective or full";
      return false;
    }
    c.sequenceParallel = sp != 0;
    c.distributedOptimizer = dopt != 0;
    rows.push_back(r);
  }
  return true;
}

std::vector<size_t> pickForMeasurement(
    const std::vector<RankedCandidate> &ranked, size_t k, bool spread) {
  std::vector<size_t> feasible;
  for (size_t i = 0; i < ranked.size(); ++i)
    if (ranked[i].feasible)
      feasible.push_back(i);
  if (feasible.size() <= k || k == 0)
    return std::vector<size_t>(
        feasible.begin(), feasible.begin() + std::min(k, feasible.size()));
  if (!spread || k == 1)
    return std::vector<size_t>(feasible.begin(), feasible.begin() + k);
  // Evenly over the ranking, the best and the last feasible included.
  std::vector<size_t> picked;
  for (size_t i = 0; i < k; ++i)
    picked.push_back(
        feasible[(i * (feasible.size() - 1) + (k - 1) / 2) / (k - 1)]);
  picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
  return picked;
}

int measureTop(const std::vector<RankedCandidate> &ranked, size_t k,
               bool spread, MeasureSetup setup, int64_t ranks,
               const std::string &profilePath, std::ostream &out,
               std::ostream &err) {
  if (setup.workDir.empty()) {
    char pattern[] = "/tmp/strata-tune-measure-XXXXXX";
    if (!mkdtemp(pattern)) {
      err << "strata-tune: error: cannot create a directory for --measure\n";
      return 1;
    }
    setup.workDir = pattern;
  }
  out << "\nmeasured on this machine (" << ranks << " rank"
      << (ranks > 1 ? "s" : "") << ", " << setup.steps << " steps, median of "
      << setup.steps - setup.warmupSteps;
  if (setup.repeats > 1)
    out << ", fastest of " << setup.repeats << " runs";
  out << "):\n";
  const std::vector<size_t> picked = pickForMeasurement(ranked, k, spread);
  std::vector<double> fastestRun(picked.size(), 0.0);
  std::vector<bool> failed(picked.size(), false);
  for (int64_t repeat = 0; repeat < std::max<int64_t>(setup.repeats, 1);
       ++repeat)
    for (size_t i = 0; i < picked.size(); ++i) {
      if (failed[i])
        continue;
      const RankedCandidate &r = ranked[picked[i]];
      const std::vector<std::string> overrides =
          mlir::strata::layoutOverrides(
              toLayout(r.candidate, setup.globalBatch));
      MeasureResult m = measureLayout(setup, overrides, ranks,
                                      "candidate-" +
                                          std::to_string(picked[i] + 1));
      if (!m.error.empty()) {
        err << "strata-tune: warning: " << r.candidate.label()
            << " was not measured: " << m.error << "\n";
        failed[i] = true;
        continue;
      }
      if (fastestRun[i] == 0.0 || m.stepSeconds < fastestRun[i])
        fastestRun[i] = m.stepSeconds;
    }
  char line[512];
  std::snprintf(line, sizeof line, "%4s  %-40s %12s %12s %8s\n", "rank",
                "layout", "predicted s", "measured s", "error");
  out << line;
  std::vector<MeasuredCandidate> rows;
  for (size_t i = 0; i < picked.size(); ++i) {
    if (failed[i])
      continue;
    const RankedCandidate &r = ranked[picked[i]];
    MeasuredCandidate row{r.candidate, r.prediction.stepSeconds,
                          fastestRun[i]};
    rows.push_back(row);
    std::snprintf(line, sizeof line, "%4zu  %-40s %12.4f %12.4f %+7.1f%%\n",
                  picked[i] + 1, r.candidate.label().c_str(),
                  row.predictedSeconds, row.measuredSeconds,
                  100 * (row.predictedSeconds - row.measuredSeconds) /
                      row.measuredSeconds);
    out << line << std::flush;
  }
  if (rows.empty()) {
    err << "strata-tune: error: --measure ran no candidate\n";
    return 1;
  }
  std::vector<double> predicted, measured;
  size_t fastest = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    predicted.push_back(rows[i].predictedSeconds);
    measured.push_back(rows[i].measuredSeconds);
    if (measured[i] < measured[fastest])
      fastest = i;
  }
  std::snprintf(
      line, sizeof line,
      "%zu measured: Spearman %.3f, median absolute error %.1f%%; the "
      "predicted best (%s) measured %.4f s, the measured best (%s) %.4f s "
      "(%+.1f%%)\n",
      rows.size(), spearman(predicted, measured),
      100 * medianAbsoluteRelativeError(predicted, measured),
      rows.front().candidate.label().c_str(), measured.front(),
      rows[fastest].candidate.label().c_str(), measured[fastest],
      100 * (measured.front() - measured[fastest]) / measured[fastest]);
  out << line;
  if (!profilePath.empty()) {
    std::ofstream file(profilePath);
    file << formatProfile(rows, "strata-tune --measure: " + setup.modelPath +
                                    " on " + std::to_string(ranks) +
                                    " rank(s)");
    if (!file) {
      err << "strata-tune: error: cannot write " << profilePath << "\n";
      return 1;
    }
  }
  return 0;
}

} // namespace strata::tuner

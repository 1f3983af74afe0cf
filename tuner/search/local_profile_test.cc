//===- local_profile_test.cc - the cost model against this machine --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Issue 13, "Against this machine": strata-tune calibrate timed a small
// GPT's kernels and links on this machine's CPU ranks
// (tests/tuner/local-tiny-gpt-calibration.json), and strata-tune --measure
// ran 16 candidates spread over the ranking and recorded their step times
// (tests/tuner/local-tiny-gpt-measured.txt, --measure-profile). This test
// compiles every recorded layout through the compile API, predicts its step
// on the `local` preset with the recorded calibration and today's cost
// model, and checks Spearman's rank correlation (>= 0.8) and the median
// absolute error (<= 25%) against the recorded times, so CI checks the
// model without timing anything (docs/tuning.md).
//
//===----------------------------------------------------------------------===//
#include "tuner/cost/cost_model.h"
#include "tuner/measure/measure_stats.h"
#include "tuner/search/measure_command.h"
#include "tuner/search/memory_evaluator.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace strata::tuner {
namespace {

TEST(LocalProfile, PredictionsRankAndMatchTheRecordedRun) {
  const std::string source = STRATA_SOURCE_DIR;
  std::ifstream file(source + "/tests/tuner/local-tiny-gpt-measured.txt");
  ASSERT_TRUE(file) << "missing tests/tuner/local-tiny-gpt-measured.txt";
  std::stringstream text;
  text << file.rdbuf();
  std::vector<MeasuredCandidate> rows;
  std::string error;
  ASSERT_TRUE(parseProfile(text.str(), rows, error)) << error;
  ASSERT_GE(rows.size(), 12u);

  strata::frontend::ClusterParseResult cluster =
      strata::frontend::loadCluster("local");
  ASSERT_TRUE(cluster.cluster.has_value());
  strata::Checked<CalibrationProfile> profile = loadCalibrationProfile(
      source + "/tests/tuner/local-tiny-gpt-calibration.json");
  ASSERT_TRUE(profile.isOk()) << profile.error();
  mlir::strata::CompileSession session;
  std::vector<double> predicted, measured;
  for (const MeasuredCandidate &r : rows) {
    const Candidate &c = r.candidate;
    mlir::strata::CompileRequest request;
    request.descriptionPath = source + "/examples/tiny-gpt.yaml";
    const int64_t globalBatch = c.dp * c.microBatchSize * c.microBatches;
    request.layout = toLayout(c, globalBatch);
    ::strata::Checked<mlir::strata::CompileAnalysis> analysis =
        session.analyze(request);
    ASSERT_TRUE(analysis.isOk()) << c.label() << ": " << analysis.error();
    StepPrediction p =
        predictStep(*analysis, request.layout, *cluster.cluster, 1, &*profile);
    predicted.push_back(p.stepSeconds);
    measured.push_back(r.measuredSeconds);
    std::printf("%-36s predicted %.4f s measured %.4f s (%+.1f%%)\n",
                c.label().c_str(), p.stepSeconds, r.measuredSeconds,
                100 * (p.stepSeconds - r.measuredSeconds) / r.measuredSeconds);
  }
  const double rho = spearman(predicted, measured);
  const double median = medianAbsoluteRelativeError(predicted, measured);
  std::printf("Spearman %.3f, median absolute error %.1f%%\n", rho,
              100 * median);
  EXPECT_GE(rho, 0.8);
  EXPECT_LE(median, 0.25);
  // The predicted best measured within 10% of the measured best.
  size_t best = 0, fastest = 0;
  for (size_t i = 0; i < predicted.size(); ++i) {
    if (predicted[i] < predicted[best])
      best = i;
    if (measured[i] < measured[fastest])
      fastest = i;
  }
  EXPECT_LE(measured[best], 1.10 * measured[fastest])
      << rows[best].candidate.label() << " against "
      << rows[fastest].candidate.label();
}

} // namespace
} // namespace strata::tuner

//===- tune_gemms_command_test.cc - strata-run tune-gemms's tables --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The tables on made-up measurements (tuning itself needs a GPU);
// tests/lit/tools/strata_run_tune_gemms.test runs the command.
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/tune_gemms_command.h"

#include <gtest/gtest.h>

namespace strata::runtime {
namespace {

ArtifactGemm gemm(int64_t m,
                  std::vector<std::pair<std::string, int64_t>> calls) {
  ArtifactGemm g;
  g.gemm.dtype = DType::BF16;
  g.gemm.shape = GemmShape{m, 8, 4, false, true, 4, 4, 8};
  g.calls = std::move(calls);
  g.firstUse = "function " + g.calls[0].first + ", instruction 0 (matmul at x)";
  return g;
}

GemmTuningReport report(const ArtifactGemm &g, double heuristicMs,
                        double tunedMs, int chosen, bool cached) {
  GemmTuningReport r;
  r.entry.gpu = "NVIDIA H100 80GB HBM3, 132 SMs, sm_90";
  r.entry.libraryVersion = 130100;
  r.entry.gemm = g.gemm.text();
  r.entry.heuristicMs = heuristicMs;
  r.entry.tunedMs = tunedMs;
  r.entry.chosen = chosen;
  r.entry.candidates = 16;
  r.cached = cached;
  r.cachePath = "/c/gemm-tuning.txt";
  return r;
}

TEST(TuneGemmsTableTest, TotalsCountEachGemmAsOftenAsAFunctionRunsIt) {
  const std::vector<ArtifactGemm> gemms = {
      gemm(16, {{"forward_backward", 3}, {"forward", 1}}),
      gemm(32, {{"forward_backward", 2}})};
  const std::vector<GemmTuningReport> reports = {
      report(gemms[0], 2.0, 1.0, 3, false),
      report(gemms[1], 1.0, 1.0, 0, true)};
  const std::string table = formatTuningTable("m.strata", gemms, reports);
  EXPECT_EQ(
      table,
      "GEMM autotuning of m.strata on NVIDIA H100 80GB HBM3, 132 SMs, sm_90 "
      "(cuBLASLt 130100), cache /c/gemm-tuning.txt\n"
      " calls  heuristic ms   tuned ms  speedup  choice  source  gemm\n"
      "     4        2.0000     1.0000    2.00x  3/16    timed   BF16 m=16 n=8 "
      "k=4 (A, B^T) lda=4 ldb=4 ldc=8 align=256/256/256\n"
      "     2        1.0000     1.0000    1.00x  0/16    cached  BF16 m=32 n=8 "
      "k=4 (A, B^T) lda=4 ldb=4 ldc=8 align=256/256/256\n"
      "choice: the chosen algorithm's place among cuBLASLt's candidates (0: "
      "the heuristic's first choice)\n"
      // 3 x 2 + 2 x 1 = 8 ms against 3 x 1 + 2 x 1 = 5 ms.
      "  forward_backward: 5 GEMM calls: heuristic 8.000 ms, tuned 5.000 ms, "
      "speedup 1.60x\n"
      "  forward: 1 GEMM calls: heuristic 2.000 ms, tuned 1.000 ms, speedup "
      "2.00x\n"
      "total, every GEMM instruction once: 6 GEMM calls: heuristic 10.000 ms, "
      "tuned 6.000 ms, speedup 1.67x\n");
}

TEST(TuneGemmsTableTest, AFailedHeuristicChoiceIsLeftOutOfTheTotals) {
  const std::vector<ArtifactGemm> gemms = {gemm(16, {{"forward", 1}}),
                                           gemm(32, {{"forward", 2}})};
  const std::vector<GemmTuningReport> reports = {
      report(gemms[0], -1.0, 1.0, 1, false),
      report(gemms[1], 3.0, 2.0, 2, false)};
  const std::string table = formatTuningTable("m.strata", gemms, reports);
  EXPECT_NE(table.find("     1        failed     1.0000        -  1/16"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("  forward: 2 GEMM calls: heuristic 6.000 ms, tuned "
                       "4.000 ms, speedup 1.50x (1 calls whose heuristic "
                       "choice failed to run left out)\n"),
            std::string::npos)
      << table;
}

TEST(TuneGemmsTableTest, TheListNamesCallsPerFunctionAndTheFirstUse) {
  const std::string list = formatGemmList(
      "m.strata", {gemm(16, {{"forward_backward", 3}, {"forward", 1}})});
  EXPECT_EQ(list,
            "1 distinct GEMMs in m.strata (operand alignments in a 256-byte "
            "aligned arena)\n"
            " calls  gemm\n"
            "     4  BF16 m=16 n=8 k=4 (A, B^T) lda=4 ldb=4 ldc=8 "
            "align=256/256/256\n"
            "        (forward_backward 3, forward 1; first: function "
            "forward_backward, instruction 0 (matmul at x))\n");
}

} // namespace
} // namespace strata::runtime

//===- memory_evaluator_test.cc - derived across dp == compiled -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The dp derivation must give the bytes a real compile gives: every stage's
// arena, category peaks, saved bytes and stash slots EQUAL, for several dp
// values of tiny-gpt with and without pipeline stages.
//
//===----------------------------------------------------------------------===//
#include "tuner/search/memory_evaluator.h"

#include <gtest/gtest.h>

using namespace strata::tuner;
using mlir::strata::CompileAnalysis;

namespace {

const std::string kTinyGpt = std::string(STRATA_SOURCE_DIR) + "/examples/tiny-gpt.yaml";

Candidate make(int64_t tp, int64_t pp, int64_t dp, int64_t globalBatch,
               Recompute rc = Recompute::None, bool sp = false) {
  Candidate c;
  c.tp = tp;
  c.pp = pp;
  c.dp = dp;
  c.microBatchSize = 1;
  c.microBatches = globalBatch / dp;
  c.sequenceParallel = sp;
  c.recompute = rc;
  return c;
}

CompileAnalysis compile(mlir::strata::CompileSession &session,
                        const Candidate &c, int64_t globalBatch) {
  mlir::strata::CompileRequest request;
  request.descriptionPath = kTinyGpt;
  request.layout = toLayout(c, globalBatch);
  strata::Checked<CompileAnalysis> a = session.analyze(request);
  EXPECT_TRUE(a.isOk()) << a.error();
  return a.isOk() ? *a : CompileAnalysis{};
}

void expectSameMemory(const CompileAnalysis &derived,
                      const CompileAnalysis &real) {
  EXPECT_EQ(derived.dp, real.dp);
  EXPECT_EQ(derived.microBatches, real.microBatches);
  ASSERT_EQ(derived.stages.size(), real.stages.size());
  for (size_t s = 0; s < real.stages.size(); ++s) {
    EXPECT_EQ(derived.stages[s].arenaBytes, real.stages[s].arenaBytes);
    EXPECT_EQ(derived.stages[s].peakBytes, real.stages[s].peakBytes);
    EXPECT_EQ(derived.stages[s].transientBytes, real.stages[s].transientBytes);
    EXPECT_EQ(derived.stages[s].savedBytes, real.stages[s].savedBytes);
    EXPECT_EQ(derived.stages[s].stashSlots, real.stages[s].stashSlots);
  }
  ASSERT_EQ(derived.collectives.size(), real.collectives.size());
  for (size_t i = 0; i < real.collectives.size(); ++i) {
    const auto &d = derived.collectives[i], &r = real.collectives[i];
    EXPECT_EQ(d.kind, r.kind);
    EXPECT_EQ(d.groupSize, r.groupSize) << r.kind;
    EXPECT_EQ(d.count, r.count) << r.kind;
    EXPECT_EQ(d.payloadBytes, r.payloadBytes) << r.kind;
    EXPECT_EQ(d.callsPerStep, r.callsPerStep) << r.kind;
    // The compiler rounds per collective; the derivation from the sum.
    EXPECT_LE(std::llabs(d.sentBytes - r.sentBytes), r.count) << r.kind;
  }
  ASSERT_EQ(derived.flops.size(), real.flops.size());
  for (size_t i = 0; i < real.flops.size(); ++i) {
    EXPECT_EQ(derived.flops[i].callsPerStep, real.flops[i].callsPerStep);
    EXPECT_EQ(derived.flops[i].matmulFlops, real.flops[i].matmulFlops);
  }
}

} // namespace

TEST(DpDerivation, RulesSayWhenItIsExact) {
  EXPECT_TRUE(derivableAcrossDp(make(1, 2, 2, 16), make(1, 2, 8, 16)));
  // dp 1 has no gradient collective or bucket.
  EXPECT_FALSE(derivableAcrossDp(make(1, 2, 1, 16), make(1, 2, 4, 16)));
  // One micro-batch per rank keeps one slot on stage 0, not two.
  EXPECT_FALSE(derivableAcrossDp(make(1, 2, 2, 16), make(1, 2, 16, 16)));
  Candidate dopt = make(1, 1, 2, 16), dopt4 = make(1, 1, 4, 16);
  dopt.distributedOptimizer = dopt4.distributedOptimizer = true;
  EXPECT_FALSE(derivableAcrossDp(dopt, dopt4));
  EXPECT_FALSE(derivableAcrossDp(make(1, 1, 2, 16),
                                 make(1, 1, 4, 16, Recompute::Full)));
}

TEST(DpDerivation, PipelineLayoutsEqualRealCompiles) {
  mlir::strata::CompileSession session;
  const int64_t batch = 16;
  const Candidate base = make(1, 2, 2, batch, Recompute::Selective);
  const CompileAnalysis compiled = compile(session, base, batch);
  for (int64_t dp : {4, 8}) {
    const Candidate target = make(1, 2, dp, batch, Recompute::Selective);
    ASSERT_TRUE(derivableAcrossDp(base, target));
    SCOPED_TRACE("dp " + std::to_string(dp));
    expectSameMemory(deriveForDp(compiled, target),
                     compile(session, target, batch));
  }
}

TEST(DpDerivation, TensorParallelLayoutsEqualRealCompiles) {
  mlir::strata::CompileSession session;
  const int64_t batch = 16;
  const Candidate base = make(2, 1, 2, batch, Recompute::None, true);
  const CompileAnalysis compiled = compile(session, base, batch);
  for (int64_t dp : {4, 16}) {
    const Candidate target = make(2, 1, dp, batch, Recompute::None, true);
    ASSERT_TRUE(derivableAcrossDp(base, target));
    SCOPED_TRACE("dp " + std::to_string(dp));
    expectSameMemory(deriveForDp(compiled, target),
                     compile(session, target, batch));
  }
}

TEST(MemoryEvaluator, CompilesOncePerClassAndDerivesTheRest) {
  const int64_t batch = 16;
  std::vector<Candidate> candidates = {
      make(1, 2, 2, batch), make(1, 2, 4, batch), make(1, 2, 8, batch),
      make(1, 2, 1, batch)};
  MemoryEvaluator evaluator(kTinyGpt, {}, 2);
  std::vector<EvaluatedMemory> memory = evaluator.evaluate(candidates, batch);
  EXPECT_EQ(evaluator.compiles(), 2);
  EXPECT_EQ(evaluator.derivations(), 2);
  mlir::strata::CompileSession session;
  for (size_t i = 0; i < candidates.size(); ++i) {
    ASSERT_TRUE(memory[i].analysis) << memory[i].error;
    EXPECT_EQ(memory[i].derived, i == 1 || i == 2);
    EXPECT_EQ(memory[i].analysis->peakArenaBytes(),
              compile(session, candidates[i], batch).peakArenaBytes());
  }
}

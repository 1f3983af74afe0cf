//===- memory_evaluator.cc - exact memory of many candidates --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/search/memory_evaluator.h"

#include "common/pipeline_schedule.h"
#include "compiler/Driver/StepCollectives.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

namespace strata::tuner {

using mlir::strata::CompileAnalysis;
using mlir::strata::ParallelLayout;

ParallelLayout toLayout(const Candidate &c, int64_t globalBatch) {
  ParallelLayout l;
  l.tp = c.tp;
  l.pp = c.pp;
  l.vp = c.vp;
  l.dp = c.dp;
  l.microBatchSize = c.microBatchSize;
  l.globalBatchSize = globalBatch;
  l.sequenceParallel = c.sequenceParallel;
  switch (c.recompute) {
  case Recompute::None:
    l.recompute = mlir::strata::RecomputeKind::None;
    break;
  case Recompute::Selective:
    l.recompute = mlir::strata::RecomputeKind::Selective;
    break;
  case Recompute::Full:
    l.recompute = mlir::strata::RecomputeKind::Full;
    l.recomputeLayers = 1;
    break;
  }
  l.distributedOptimizer = c.distributedOptimizer;
  return l;
}

std::string dpIndependentKey(const Candidate &c) {
  return std::to_string(c.tp) + "/" + std::to_string(c.pp) + "/" +
         std::to_string(c.vp) + "/" + std::to_string(c.microBatchSize) + "/" +
         (c.sequenceParallel ? "sp" : "-") + "/" +
         recomputeName(c.recompute) + "/" +
         (c.distributedOptimizer ? "dopt" : "-");
}

std::vector<std::vector<int64_t>> stashSlotsOf(const Candidate &c) {
  std::vector<std::vector<int64_t>> slots;
  if (c.pp <= 1)
    return slots;
  for (int s = 0; s < int(c.pp); ++s) {
    auto schedule =
        strata::pipelineSchedule(int(c.pp), s, int(c.vp), c.microBatches);
    if (!schedule.isOk())
      return {{-1}}; // not schedulable: never equal to a valid one
    slots.push_back(strata::inFlightMicroBatches(*schedule, int(c.vp)));
  }
  return slots;
}

bool derivableAcrossDp(const Candidate &compiled, const Candidate &target) {
  return dpIndependentKey(compiled) == dpIndependentKey(target) &&
         !compiled.distributedOptimizer && compiled.dp > 1 && target.dp > 1 &&
         stashSlotsOf(compiled) == stashSlotsOf(target);
}

namespace {

/// The ring factor of a collective kind (StepCollectives.cpp's tally).
double ringFactor(const std::string &kind) {
  if (kind == "all_reduce" || kind == "reduce_grads (all_reduce)")
    return 2.0;
  return 1.0;
}

} // namespace

CompileAnalysis deriveForDp(const CompileAnalysis &base,
                            const Candidate &target) {
  CompileAnalysis out = base;
  out.dp = target.dp;
  out.microBatches = target.microBatches;
  for (mlir::strata::CollectiveRecord &c : out.collectives) {
    c.callsPerStep = mlir::strata::stepCallsOf(c.function, out.microBatches);
    if (std::find(c.axes.begin(), c.axes.end(), "dp") == c.axes.end())
      continue;
    int64_t group = 1;
    for (const std::string &axis : c.axes)
      group *= axis == "dp" ? out.dp : axis == "pp" ? out.pp
                                     : axis == "tp" ? out.tp
                                                    : 1;
    c.groupSize = group;
    c.sentBytes = group > 1 ? int64_t(ringFactor(c.kind) * double(group - 1) /
                                      double(group) * double(c.payloadBytes))
                            : 0;
  }
  for (mlir::strata::FunctionFlopsRecord &f : out.flops)
    f.callsPerStep = mlir::strata::stepCallsOf(f.function, out.microBatches);
  return out;
}

MemoryEvaluator::MemoryEvaluator(std::string descriptionPath,
                                 std::vector<std::string> overrides,
                                 int threads, std::string target)
    : descriptionPath_(std::move(descriptionPath)),
      overrides_(std::move(overrides)), threads_(std::max(1, threads)),
      target_(std::move(target)) {}

std::vector<EvaluatedMemory>
MemoryEvaluator::evaluate(const std::vector<Candidate> &candidates,
                          int64_t globalBatch,
                          const std::function<void(size_t, size_t)> &progress) {
  // Classes of candidates one compile serves: the first member compiles,
  // the others derive.
  std::vector<std::vector<size_t>> classes;
  {
    std::map<std::string, std::vector<size_t>> byKey;
    std::vector<std::string> order;
    for (size_t i = 0; i < candidates.size(); ++i) {
      const std::string key = dpIndependentKey(candidates[i]);
      if (!byKey.count(key))
        order.push_back(key);
      byKey[key].push_back(i);
    }
    for (const std::string &key : order) {
      std::vector<std::vector<size_t>> local;
      for (size_t i : byKey[key]) {
        bool placed = false;
        for (std::vector<size_t> &cls : local)
          if (derivableAcrossDp(candidates[cls.front()], candidates[i])) {
            cls.push_back(i);
            placed = true;
            break;
          }
        if (!placed)
          local.push_back({i});
      }
      for (auto &cls : local)
        classes.push_back(std::move(cls));
    }
  }

  std::vector<EvaluatedMemory> results(candidates.size());
  std::atomic<size_t> next{0};
  std::mutex mutex;
  size_t done = 0;
  int64_t compiles = 0, derivations = 0;
  auto worker = [&] {
    mlir::strata::CompileSession session;
    for (size_t k = next++; k < classes.size(); k = next++) {
      const std::vector<size_t> &cls = classes[k];
      const Candidate &first = candidates[cls.front()];
      mlir::strata::CompileRequest request;
      request.descriptionPath = descriptionPath_;
      request.overrides = overrides_;
      request.layout = toLayout(first, globalBatch);
      request.target = target_;
      request.verifyPasses = false;
      strata::Checked<CompileAnalysis> analysis = session.analyze(request);
      std::lock_guard<std::mutex> lock(mutex);
      ++compiles;
      for (size_t i : cls) {
        EvaluatedMemory &r = results[i];
        if (!analysis.isOk()) {
          r.error = analysis.error();
        } else if (i == cls.front()) {
          r.analysis = std::make_shared<CompileAnalysis>(*analysis);
        } else {
          r.analysis = std::make_shared<CompileAnalysis>(
              deriveForDp(*analysis, candidates[i]));
          r.derived = true;
          ++derivations;
        }
        ++done;
      }
      if (progress)
        progress(done, candidates.size());
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads_; ++t)
    pool.emplace_back(worker);
  worker();
  for (std::thread &t : pool)
    t.join();
  compiles_ += compiles;
  derivations_ += derivations;
  return results;
}

} // namespace strata::tuner

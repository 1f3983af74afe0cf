//===- calibrate_command.cc - strata-tune calibrate -----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/search/calibrate_command.h"

#include "tuner/measure/measure_runner.h"
#include "tuner/search/memory_evaluator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <tuple>

namespace strata::tuner {

namespace {

namespace fe = strata::frontend;
using mlir::strata::CompileAnalysis;
using mlir::strata::FunctionFlopsRecord;
using mlir::strata::GemmCall;

std::string modelDType(const fe::ModelDescription &m) {
  switch (m.precision) {
  case fe::Precision::BF16:
    return "bf16";
  case fe::Precision::FP16:
    return "f16";
  default:
    return "f32";
  }
}

} // namespace

std::string calibrationShapesText(const std::vector<CompileAnalysis> &analyses,
                                  int64_t elementBytes,
                                  const std::vector<int64_t> &allReduceBytes) {
  std::set<std::tuple<int, int64_t, int64_t, int64_t>> gemms;
  std::set<
      std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool>>
      attention;
  std::set<std::pair<int64_t, int64_t>> crossEntropy;
  std::set<int64_t> elementwise;
  for (const CompileAnalysis &a : analyses)
    for (const FunctionFlopsRecord &f : a.flops) {
      if (!f.inTrainingStep)
        continue;
      for (const GemmCall &g : f.gemms)
        gemms.insert({int(g.kind), g.m, g.n, g.k});
      for (const mlir::strata::AttentionCall &c : f.attentionCalls)
        attention.insert({c.batch, c.querySeq, c.keySeq, c.heads, c.kvHeads,
                          c.headDim, c.causal});
      for (const mlir::strata::CrossEntropyCall &x : f.crossEntropyCalls)
        crossEntropy.insert({x.rows, x.vocab});
    }
  // Bandwidth-bound ops, by the bytes each moves: an add of that many
  // bytes (two reads and a write) per size class the layouts have.
  for (const CompileAnalysis &a : analyses)
    for (const FunctionFlopsRecord &f : a.flops)
      if (f.inTrainingStep)
        for (size_t b = 0; b < f.memoryBoundBytesBySize.size(); ++b)
          if (f.memoryBoundBytesBySize[b] > 0)
            elementwise.insert(std::max<int64_t>(
                1, std::llround(std::exp2(double(b) + 0.5) /
                                (3.0 * double(elementBytes)))));

  std::string text = "# strata-tune calibrate: the kernels of the model's "
                     "candidate layouts\n";
  for (const auto &[kind, m, n, k] : gemms)
    text += std::string("gemm ") +
            mlir::strata::gemmKindName(GemmCall::Kind(kind)) + " " +
            std::to_string(m) + " " + std::to_string(n) + " " +
            std::to_string(k) + "\n";
  for (const auto &[b, s, t, h, g, d, causal] : attention)
    text += "attention " + std::to_string(b) + " " + std::to_string(s) + " " +
            std::to_string(t) + " " + std::to_string(h) + " " +
            std::to_string(g) + " " + std::to_string(d) + " " +
            (causal ? "1" : "0") + "\n";
  for (const auto &[rows, vocab] : crossEntropy)
    text += "cross_entropy " + std::to_string(rows) + " " +
            std::to_string(vocab) + "\n";
  for (int64_t elements : elementwise)
    text += "elementwise " + std::to_string(elements) + "\n";
  for (int64_t bytes : allReduceBytes)
    text += "all_reduce " + std::to_string(bytes) + "\n";
  return text;
}

int runCalibrate(const TuneOptions &search, const CalibrateOptions &options,
                 std::ostream &out, std::ostream &err) {
  if (options.device != "cpu" && options.device != "cuda") {
    err << "strata-tune calibrate: error: --device " << options.device
        << ": expected cpu or cuda\n";
    return 1;
  }
  std::optional<SearchSetup> setup = prepareSearch(search, err);
  if (!setup)
    return 1;
  const std::vector<Candidate> candidates = enumerateCandidates(setup->space);
  if (candidates.empty()) {
    err << "strata-tune calibrate: error: " << search.modelPath << ": "
        << emptySpaceReason(setup->space) << "\n";
    return 1;
  }

  // The kernels' sizes depend on tp, the micro-batch size and sequence
  // parallelism only: one single-stage, single-replica compile of each.
  std::set<std::tuple<int64_t, int64_t, bool>> keys;
  for (const Candidate &c : candidates)
    keys.insert({c.tp, c.microBatchSize, c.sequenceParallel});
  mlir::strata::CompileSession session;
  std::vector<CompileAnalysis> analyses;
  for (const auto &[tp, mbs, sp] : keys) {
    mlir::strata::CompileRequest request;
    request.descriptionPath = search.modelPath;
    request.overrides = search.overrides;
    request.layout.tp = tp;
    request.layout.pp = 1;
    request.layout.vp = 1;
    request.layout.dp = 1;
    request.layout.microBatchSize = mbs;
    request.layout.globalBatchSize = mbs;
    request.layout.sequenceParallel = sp;
    request.layout.recompute = mlir::strata::RecomputeKind::None;
    request.layout.distributedOptimizer = false;
    request.verifyPasses = false;
    ::strata::Checked<CompileAnalysis> analysis = session.analyze(request);
    if (!analysis.isOk()) {
      err << "strata-tune calibrate: error: tp " << tp << ", micro-batch "
          << mbs << (sp ? ", sequence parallel" : "") << " does not compile:\n"
          << analysis.error() << "\n";
      return 1;
    }
    analyses.push_back(std::move(*analysis));
  }

  // Links between the ranks of a node: measured on the CPU (MPI, what the
  // CPU runtime uses); a GPU node keeps its description's links.
  const int64_t ranks =
      options.device == "cpu" ? setup->cluster.gpusPerNode : 1;
  std::vector<int64_t> allReduceBytes;
  if (ranks > 1)
    allReduceBytes = {4 << 10, 64 << 10, 1 << 20, 16 << 20};
  const std::string dtype =
      options.dtype.empty() ? modelDType(setup->model) : options.dtype;
  const std::string text =
      calibrationShapesText(analyses, dtype == "f32" ? 4 : 2, allReduceBytes);
  const std::string shapesPath = !options.shapesOnly.empty()
                                     ? options.shapesOnly
                                     : options.out + ".shapes.txt";
  {
    std::ofstream file(shapesPath);
    file << text;
    if (!file) {
      err << "strata-tune calibrate: error: cannot write " << shapesPath
          << "\n";
      return 1;
    }
  }
  out << "strata-tune calibrate: " << keys.size()
      << " compiles (tp x micro-batch x sequence parallel) of "
      << search.modelPath << " -> " << shapesPath << "\n";
  if (!options.shapesOnly.empty())
    return 0;

  char minSeconds[32];
  std::snprintf(minSeconds, sizeof minSeconds, "%g", options.minSeconds);
  std::string command;
  if (ranks > 1)
    command = search.mpirun + " -np " + std::to_string(ranks) + " ";
  command += shellQuote(search.binDir + "/strata-run") + " --device " +
             options.device + " calibrate --shapes " + shellQuote(shapesPath) +
             " --out " + shellQuote(options.out) + " --dtype " + dtype +
             " --threads " + std::to_string(options.threads) +
             " --min-seconds " + minSeconds;
  out << "strata-tune calibrate: " << command << "\n" << std::flush;
  const int status = std::system(command.c_str());
  if (status != 0) {
    err << "strata-tune calibrate: error: the timing run failed (exit status "
        << status << "): " << command << "\n";
    return 1;
  }
  out << "strata-tune calibrate: wrote " << options.out
      << "; price layouts with it: strata-tune " << search.modelPath
      << " --cluster " << search.cluster << " --calibration " << options.out
      << "\n";
  return 0;
}

} // namespace strata::tuner

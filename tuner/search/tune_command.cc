//===- tune_command.cc - strata-tune, as a function -----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/search/tune_command.h"

#include "frontends/cluster/ClusterDescription.h"
#include "frontends/model/ModelDescriptionParser.h"
#include "tuner/search/candidate_space.h"
#include "tuner/search/measure_command.h"
#include "tuner/search/memory_evaluator.h"
#include "tuner/search/ranking.h"

#include "llvm/ADT/STLExtras.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace strata::tuner {
namespace fe = strata::frontend;

namespace {

bool writeFile(const std::string &path, const std::string &text,
               std::ostream &err) {
  std::ofstream file(path);
  file << text;
  if (!file) {
    err << "strata-tune: error: cannot write " << path << "\n";
    return false;
  }
  return true;
}

} // namespace

std::optional<SearchSetup> prepareSearch(const TuneOptions &o,
                                         std::ostream &err) {
  fe::ClusterParseResult cluster = fe::loadCluster(o.cluster);
  for (const fe::Diagnostic &d : cluster.diagnostics)
    err << fe::formatDiagnostic(d, cluster.sourceText);
  if (!cluster.cluster)
    return std::nullopt;
  SearchSetup setup{*cluster.cluster, {}, {}, 0, std::nullopt};
  const fe::ClusterDescription &machine = setup.cluster;
  const int64_t nodes = o.nodes > 0 ? o.nodes : machine.nodes;
  setup.nodes = nodes;

  fe::ParseResult model = fe::parseModelDescriptionFile(o.modelPath, o.overrides);
  if (!model.description) {
    std::string text;
    std::ifstream file(o.modelPath);
    std::stringstream buffer;
    buffer << file.rdbuf();
    for (const fe::Diagnostic &d : model.diagnostics)
      err << fe::formatDiagnostic(d, buffer.str());
    return std::nullopt;
  }
  setup.model = *model.description;
  const fe::ModelDescription &m = setup.model;
  SpaceInput &space = setup.space;
  space.layers = m.numLayers;
  space.heads = m.numAttentionHeads;
  space.nodes = nodes;
  space.gpusPerNode = machine.gpusPerNode;
  space.globalBatch = o.globalBatch > 0 ? o.globalBatch : m.globalBatchSize;
  space.maxMicroBatchSize = o.maxMicroBatchSize;
  space.maxVirtualStages = o.maxVirtualStages;
  if (!o.recomputes.empty()) {
    std::vector<Recompute> asked;
    for (const std::string &name : o.recomputes) {
      Recompute r;
      if (!parseRecompute(name, r)) {
        err << "strata-tune: error: --recompute " << name
            << ": expected none, selective or full\n";
        return std::nullopt;
      }
      asked.push_back(r);
    }
    space.recomputes = distinctRecomputePrograms(asked);
    if (llvm::is_contained(asked, Recompute::Selective) &&
        !llvm::is_contained(space.recomputes, Recompute::Selective))
      err << "strata-tune: note: --recompute selective compiles to the same "
             "program as none (fused attention stores no [batch, heads, "
             "seq, seq] tensor to recompute): its layouts are the none "
             "ones\n";
  }
  if (o.distributedOptimizer == "on")
    space.distributedOptimizers = {true};
  else if (o.distributedOptimizer == "off")
    space.distributedOptimizers = {false};
  else if (o.distributedOptimizer != "both") {
    err << "strata-tune: error: --distributed-optimizer "
        << o.distributedOptimizer << ": expected both, on or off\n";
    return std::nullopt;
  }
  // --calibration, else the cluster description's calibration file.
  const std::string profilePath =
      !o.calibration.empty() ? o.calibration : machine.calibrationPath;
  if (!profilePath.empty()) {
    strata::Checked<CalibrationProfile> profile =
        loadCalibrationProfile(profilePath);
    if (!profile.isOk()) {
      err << "strata-tune: error: " << profile.error() << "\n";
      return std::nullopt;
    }
    setup.profile = std::move(*profile);
  }
  return setup;
}

int runTune(const TuneOptions &o, std::ostream &out, std::ostream &err) {
  std::optional<SearchSetup> setup = prepareSearch(o, err);
  if (!setup)
    return 1;
  const fe::ClusterDescription &machine = setup->cluster;
  const fe::ModelDescription &m = setup->model;
  const SpaceInput &space = setup->space;
  const int64_t nodes = setup->nodes;
  if (o.measurePick != "top" && o.measurePick != "spread") {
    err << "strata-tune: error: --measure-pick " << o.measurePick
        << ": expected top or spread\n";
    return 1;
  }
  if (o.measure > 0 && o.measureSteps < 2) {
    err << "strata-tune: error: --measure-steps " << o.measureSteps
        << ": needs at least 2 (the first step is not counted)\n";
    return 1;
  }
  const std::vector<Candidate> candidates = enumerateCandidates(space);
  if (candidates.empty()) {
    err << "strata-tune: error: " << o.modelPath << " on " << nodes << " x "
        << machine.gpusPerNode << " devices: " << emptySpaceReason(space)
        << "\n";
    return 1;
  }

  const auto start = std::chrono::steady_clock::now();
  // Plans for the cluster's devices: strata-compile --target of the emitted
  // layout.
  const std::string target =
      machine.deviceKind == fe::DeviceKind::Gpu ? "cuda" : "cpu";
  MemoryEvaluator evaluator(o.modelPath, o.overrides, o.threads, target);
  auto progress = [&](size_t done, size_t total) {
    if (!o.progress)
      return;
    const int width = 40;
    const int filled = int(double(done) / double(total) * width);
    std::string bar(size_t(filled), '#');
    bar.resize(size_t(width), ' ');
    err << "\r[" << bar << "] " << done << "/" << total << " candidates"
        << std::flush;
  };
  std::vector<EvaluatedMemory> memory =
      evaluator.evaluate(candidates, space.globalBatch, progress);
  if (o.progress)
    err << "\n";
  RankingInput in;
  in.cluster = &machine;
  in.nodes = nodes;
  in.globalBatch = space.globalBatch;
  in.seqLength = m.seqLength;
  in.profile = setup->profile ? &*setup->profile : nullptr;
  std::vector<RankedCandidate> ranked = rankCandidates(candidates, memory, in);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  size_t feasible = 0, rejected = 0;
  for (const RankedCandidate &r : ranked) {
    feasible += r.feasible;
    rejected += !r.error.empty();
  }
  char summary[512];
  std::snprintf(summary, sizeof summary,
                "%s on %lld x %lld (%s), global batch %lld: %zu candidates "
                "(%zu feasible, %zu rejected by the compiler), %lld compiles, "
                "%lld derived across dp, %.1f s\n",
                m.name.c_str(), (long long)nodes,
                (long long)machine.gpusPerNode, machine.name.c_str(),
                (long long)space.globalBatch, ranked.size(), feasible,
                rejected, (long long)evaluator.compiles(),
                (long long)evaluator.derivations(), seconds);
  out << summary;
  if (target != "cpu")
    out << "memory planned for strata-compile --target " << target
        << " (compile the emitted layout with it)\n";

  if (!o.jsonPath.empty() && !writeFile(o.jsonPath, toJson(ranked, space.globalBatch), err))
    return 1;
  if (feasible == 0) {
    const RankedCandidate *smallest = nullptr;
    for (const RankedCandidate &r : ranked)
      if (r.error.empty()) {
        smallest = &r;
        break;
      }
    err << "strata-tune: error: " << o.modelPath << " fits no layout on "
        << nodes << " x " << machine.gpusPerNode << " devices of "
        << machine.deviceMemoryBytes << " bytes";
    if (smallest) {
      std::snprintf(summary, sizeof summary, "%.2f GiB",
                    double(smallest->overflowBytes) / (1 << 30));
      err << ": the smallest overflow is " << smallest->overflowBytes
          << " bytes (" << summary << ") on stage " << smallest->fullestStage
          << " of " << smallest->candidate.label();
    } else {
      err << ": no layout compiles; the first error:\n" << ranked.front().error;
    }
    err << "\n";
    return 1;
  }
  out << formatTable(ranked, machine.deviceMemoryBytes, o.top) << "\n"
      << formatRationale(ranked, o.top);
  if (!o.emitPath.empty() &&
      !writeFile(o.emitPath,
                 overridesText(ranked.front().candidate, space.globalBatch),
                 err))
    return 1;
  if (o.measure > 0) {
    MeasureSetup setup;
    setup.binDir = o.binDir;
    setup.mpirun = o.mpirun;
    setup.modelPath = o.modelPath;
    setup.modelOverrides = o.overrides;
    setup.seqLength = m.seqLength;
    setup.vocabSize = m.vocabSize > 0 ? m.vocabSize : m.paddedVocabSize;
    setup.globalBatch = space.globalBatch;
    setup.steps = o.measureSteps;
    setup.threadsPerRank = o.measureThreads;
    setup.repeats = o.measureRepeats;
    return measureTop(ranked, o.measure, o.measurePick == "spread", setup, nodes * machine.gpusPerNode,
                      o.measureProfile, out, err);
  }
  return 0;
}

} // namespace strata::tuner

//===- StrataTune.cpp - strata-tune: pick the parallel layout -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Parses the flags and calls strata::tuner::runTune (tuner/search).
//
//===----------------------------------------------------------------------===//
#include "tuner/search/tune_command.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <iostream>
#include <unistd.h>

using namespace llvm;

int main(int argc, char **argv) {
  cl::OptionCategory category("strata-tune options");
  cl::list<std::string> positional(
      cl::Positional, cl::OneOrMore, cl::cat(category),
      cl::desc("MODEL.yaml [key.path=value...] (Hydra overrides of the model, "
               "applied before each layout's)"));
  cl::opt<std::string> clusterName(
      "cluster", cl::Required, cl::cat(category), cl::value_desc("NAME|FILE"),
      cl::desc("the cluster: a preset (dgx-a100-80gb, dgx-h100, h200-node, "
               "local) or a cluster description YAML (docs/tuning.md)"));
  cl::opt<int64_t> nodes("nodes", cl::cat(category), cl::init(0),
                         cl::value_desc("N"),
                         cl::desc("nodes of the cluster to use (default: the "
                                  "description's nodes)"));
  cl::opt<int64_t> globalBatch(
      "global-batch", cl::cat(category), cl::init(0), cl::value_desc("B"),
      cl::desc("global batch in sequences (default: the model's "
               "global_batch_size)"));
  cl::opt<unsigned> top("top", cl::cat(category), cl::init(10),
                        cl::value_desc("K"),
                        cl::desc("rows of the table and runners-up in the "
                                 "rationale (default 10)"));
  cl::opt<std::string> json(
      "json", cl::cat(category), cl::value_desc("OUT"),
      cl::desc("write every candidate, best first, as a JSON array to OUT"));
  cl::opt<std::string> emit(
      "emit", cl::cat(category), cl::value_desc("OVERRIDES"),
      cl::desc("write the winner's Hydra overrides, one per line, to "
               "OVERRIDES; strata-compile MODEL.yaml @OVERRIDES (or "
               "$(cat OVERRIDES)) compiles it"));
  cl::opt<unsigned> jobs(
      "jobs", cl::cat(category), cl::init(2), cl::value_desc("N"),
      cl::desc("compile sessions in parallel, one MLIR context each "
               "(default 2)"));
  cl::opt<int64_t> maxMbs("max-micro-batch-size", cl::cat(category),
                          cl::init(8), cl::value_desc("N"),
                          cl::desc("largest micro-batch size tried "
                                   "(default 8)"));
  cl::opt<int64_t> maxVp("max-virtual-stages", cl::cat(category), cl::init(8),
                         cl::value_desc("N"),
                         cl::desc("most interleaved chunks per pipeline stage "
                                  "tried (default 8)"));
  cl::list<std::string> recompute(
      "recompute", cl::cat(category), cl::CommaSeparated,
      cl::value_desc("KIND,..."),
      cl::desc("recompute kinds tried, of none, selective, full (default: "
               "all three)"));
  cl::opt<std::string> distOpt(
      "distributed-optimizer", cl::cat(category), cl::init("both"),
      cl::value_desc("both|on|off"),
      cl::desc("try the distributed optimizer with and without (both, the "
               "default), only with it (on) or only without (off)"));
  cl::opt<unsigned> measure(
      "measure", cl::cat(category), cl::init(0), cl::value_desc("K"),
      cl::desc("compile the top K feasible candidates with strata-compile and "
               "run each --measure-steps training steps here (mpirun -np "
               "<devices> strata-run train --tokens, random tokens); print "
               "predicted beside measured step time, Spearman's rank "
               "correlation and the median error"));
  cl::opt<int64_t> measureSteps(
      "measure-steps", cl::cat(category), cl::init(4), cl::value_desc("N"),
      cl::desc("training steps per measured candidate; the first is not "
               "counted, the median of the rest is (default 4)"));
  cl::opt<int64_t> measureThreads(
      "measure-threads", cl::cat(category), cl::init(1), cl::value_desc("N"),
      cl::desc("strata-run --threads of each rank when measuring (default 1: "
               "one core per rank, as the local preset describes)"));
  cl::opt<std::string> measureProfile(
      "measure-profile", cl::cat(category), cl::value_desc("FILE"),
      cl::desc("write the measured candidates (layout, predicted and measured "
               "seconds) to FILE, the format of tests/tuner/*-measured.txt"));
  cl::opt<std::string> mpirun(
      "mpirun", cl::cat(category), cl::init("mpirun"),
      cl::value_desc("COMMAND"),
      cl::desc("launcher of multi-rank measurements, before -np N (default "
               "mpirun; e.g. \"mpirun --allow-run-as-root --oversubscribe\")"));
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "strata-tune: the fastest parallel layout (tp, pp, vp, dp, micro-batch, "
      "sequence parallel, recompute, distributed optimizer) of a model that "
      "fits a cluster, from the compiler's exact memory plan and a step-time "
      "estimate (docs/tuning.md). Prints a ranked table and the winner's "
      "rationale; a progress bar on stderr when it is a terminal.\n");

  strata::tuner::TuneOptions options;
  options.modelPath = positional.front();
  options.overrides.assign(positional.begin() + 1, positional.end());
  options.cluster = clusterName;
  options.nodes = nodes;
  options.globalBatch = globalBatch;
  options.top = top;
  options.jsonPath = json;
  options.emitPath = emit;
  options.threads = int(jobs);
  options.maxMicroBatchSize = maxMbs;
  options.maxVirtualStages = maxVp;
  options.recomputes.assign(recompute.begin(), recompute.end());
  options.distributedOptimizer = distOpt;
  options.measure = measure;
  options.measureSteps = measureSteps;
  options.measureThreads = measureThreads;
  options.measureProfile = measureProfile;
  options.mpirun = mpirun;
  {
    // strata-compile and strata-run sit beside strata-tune.
    std::string self = sys::fs::getMainExecutable(argv[0], (void *)&main);
    options.binDir = std::string(sys::path::parent_path(self));
  }
  options.progress = isatty(2);
  return strata::tuner::runTune(options, std::cout, std::cerr);
}

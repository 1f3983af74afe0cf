//===- StrataTune.cpp - strata-tune: pick the parallel layout -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Parses the flags and calls strata::tuner::runTune (tuner/search).
//
//===----------------------------------------------------------------------===//
#include "tuner/search/tune_command.h"

#include "llvm/Support/CommandLine.h"

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
  options.progress = isatty(2);
  return strata::tuner::runTune(options, std::cout, std::cerr);
}

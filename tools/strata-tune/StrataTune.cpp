//===- StrataTune.cpp - strata-tune: pick the parallel layout -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Parses the flags and calls strata::tuner::runTune (tuner/search).
//
//===----------------------------------------------------------------------===//
#include "tuner/search/calibrate_command.h"
#include "tuner/search/tune_command.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <iostream>
#include <unistd.h>

using namespace llvm;

namespace {

/// Where strata-compile and strata-run are: beside strata-tune.
std::string binaryDirectory(const char *argv0) {
  static int anchor;
  std::string self = sys::fs::getMainExecutable(argv0, (void *)&anchor);
  return std::string(sys::path::parent_path(self));
}

/// The flags strata-tune and strata-tune calibrate share: the model, the
/// cluster and the space's bounds, and the launcher of multi-rank runs.
struct SearchFlags {
  cl::list<std::string> positional;
  cl::opt<std::string> cluster;
  cl::opt<int64_t> nodes, globalBatch, maxMicroBatchSize;
  cl::opt<std::string> mpirun;

  explicit SearchFlags(cl::OptionCategory &category)
      : positional(cl::Positional, cl::OneOrMore, cl::cat(category),
                   cl::desc("MODEL.yaml [key.path=value...] (Hydra overrides "
                            "of the model, applied before each layout's)")),
        cluster("cluster", cl::Required, cl::cat(category),
                cl::value_desc("NAME|FILE"),
                cl::desc("the cluster: a preset (dgx-a100-80gb, dgx-h100, "
                         "h200-node, local) or a cluster description YAML "
                         "(docs/tuning.md)")),
        nodes("nodes", cl::cat(category), cl::init(0), cl::value_desc("N"),
              cl::desc("nodes of the cluster to use (default: the "
                       "description's nodes)")),
        globalBatch("global-batch", cl::cat(category), cl::init(0),
                    cl::value_desc("B"),
                    cl::desc("global batch in sequences (default: the "
                             "model's global_batch_size)")),
        maxMicroBatchSize("max-micro-batch-size", cl::cat(category),
                          cl::init(8), cl::value_desc("N"),
                          cl::desc("largest micro-batch size tried (default "
                                   "8)")),
        mpirun("mpirun", cl::cat(category), cl::init("mpirun"),
               cl::value_desc("COMMAND"),
               cl::desc("launcher of multi-rank runs (--measure, calibrate's "
                        "links), before -np N (default mpirun; e.g. \"mpirun "
                        "--allow-run-as-root --oversubscribe\")")) {}

  void fill(strata::tuner::TuneOptions &options, const char *argv0) const {
    options.modelPath = positional.front();
    options.overrides.assign(positional.begin() + 1, positional.end());
    options.cluster = cluster;
    options.nodes = nodes;
    options.globalBatch = globalBatch;
    options.maxMicroBatchSize = maxMicroBatchSize;
    options.mpirun = mpirun;
    options.binDir = binaryDirectory(argv0);
  }
};

/// strata-tune calibrate MODEL.yaml --cluster C [...]: its own options.
int calibrateMain(int argc, char **argv) {
  cl::OptionCategory category("strata-tune calibrate options");
  SearchFlags flags(category);
  cl::opt<std::string> outPath(
      "out", cl::cat(category), cl::init("calibration.json"),
      cl::value_desc("PROFILE"),
      cl::desc("the profile to write (default calibration.json); the shapes "
               "timed go to PROFILE.shapes.txt"));
  cl::opt<std::string> device(
      "device", cl::cat(category), cl::init("cpu"), cl::value_desc("cpu|cuda"),
      cl::desc("where to time the kernels (strata-run --device; default "
               "cpu)"));
  cl::opt<std::string> dtype(
      "dtype", cl::cat(category), cl::value_desc("f32|bf16|f16"),
      cl::desc("element type of the kernels (default: the model's "
               "precision)"));
  cl::opt<int> threads("threads-per-rank", cl::cat(category), cl::init(1),
                       cl::value_desc("N"),
                       cl::desc("kernel threads per rank (default 1: one core "
                                "per rank, as the local preset runs)"));
  cl::opt<double> minSeconds(
      "min-seconds", cl::cat(category), cl::init(0.05), cl::value_desc("S"),
      cl::desc("time measured per shape, after a warm-up call (default "
               "0.05)"));
  cl::opt<std::string> shapesOnly(
      "shapes-only", cl::cat(category), cl::value_desc("FILE"),
      cl::desc("write the shapes file to FILE and stop (time it elsewhere: "
               "strata-run --device cuda calibrate --shapes FILE --out "
               "PROFILE)"));
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "strata-tune calibrate: time the GEMMs, attention, cross-entropy and "
      "elementwise kernels a model's candidate layouts run, at their sizes, "
      "and the all-reduces between a node's ranks (CPU), on this machine; "
      "write the profile strata-tune --calibration reads (docs/tuning.md)\n");

  strata::tuner::TuneOptions search;
  flags.fill(search, argv[0]);
  strata::tuner::CalibrateOptions options;
  options.out = outPath;
  options.device = device;
  options.dtype = dtype;
  options.threads = threads;
  options.minSeconds = minSeconds;
  options.shapesOnly = shapesOnly;
  return strata::tuner::runCalibrate(search, options, std::cout, std::cerr);
}

} // namespace

int main(int argc, char **argv) {
  if (argc > 1 && std::string(argv[1]) == "calibrate") {
    // "strata-tune calibrate" names the program in its messages.
    std::string name = std::string(argv[0]) + " calibrate";
    argv[1] = name.data();
    return calibrateMain(argc - 1, argv + 1);
  }
  cl::OptionCategory category("strata-tune options");
  SearchFlags flags(category);
  cl::opt<std::string> calibration(
      "calibration", cl::cat(category), cl::value_desc("PROFILE"),
      cl::desc("price kernels and the intra-node link from a profile of "
               "strata-tune calibrate (default: the cluster description's "
               "calibration file, else its datasheet curves)"));
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
  cl::opt<int64_t> maxVp("max-virtual-stages", cl::cat(category), cl::init(8),
                         cl::value_desc("N"),
                         cl::desc("most interleaved chunks per pipeline stage "
                                  "tried (default 8)"));
  cl::list<std::string> recompute(
      "recompute", cl::cat(category), cl::CommaSeparated,
      cl::value_desc("KIND,..."),
      cl::desc("recompute kinds tried, of none, selective, full (default: "
               "none,full; selective compiles to the same program as none, "
               "fused attention storing nothing to recompute, so beside none "
               "it is not tried again)"));
  cl::opt<std::string> distOpt(
      "distributed-optimizer", cl::cat(category), cl::init("both"),
      cl::value_desc("both|on|off"),
      cl::desc("try the distributed optimizer with and without (both, the "
               "default), only with it (on) or only without (off)"));
  cl::opt<unsigned> measure(
      "measure", cl::cat(category), cl::init(0), cl::value_desc("K"),
      cl::desc("compile K feasible candidates (--measure-pick) with "
               "strata-compile and "
               "run each --measure-steps training steps here (mpirun -np "
               "<devices> strata-run train --tokens, random tokens); print "
               "predicted beside measured step time, Spearman's rank "
               "correlation and the median error"));
  cl::opt<std::string> measurePick(
      "measure-pick", cl::cat(category), cl::init("top"),
      cl::value_desc("top|spread"),
      cl::desc("which K feasible candidates --measure runs: the best K "
               "(top, the default) or K spaced evenly over the ranking from "
               "the best to the last (spread: checks the ranking)"));
  cl::opt<int64_t> measureSteps(
      "measure-steps", cl::cat(category), cl::init(4), cl::value_desc("N"),
      cl::desc("training steps per measured candidate; the first is not "
               "counted, the median of the rest is (default 4)"));
  cl::opt<int64_t> measureRepeats(
      "measure-repeats", cl::cat(category), cl::init(1), cl::value_desc("R"),
      cl::desc("runs of each measured candidate, round-robin over them; the "
               "fastest run's median counts (default 1; 2-3 on a shared "
               "machine)"));
  cl::opt<int64_t> measureThreads(
      "measure-threads", cl::cat(category), cl::init(1), cl::value_desc("N"),
      cl::desc("strata-run --threads of each rank when measuring (default 1: "
               "one core per rank, as the local preset describes)"));
  cl::opt<std::string> measureProfile(
      "measure-profile", cl::cat(category), cl::value_desc("FILE"),
      cl::desc("write the measured candidates (layout, predicted and measured "
               "seconds) to FILE, the format of tests/tuner/*-measured.txt"));
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "strata-tune: the fastest parallel layout (tp, pp, vp, dp, micro-batch, "
      "sequence parallel, recompute, distributed optimizer) of a model that "
      "fits a cluster, from the compiler's exact memory plan and a step-time "
      "estimate (docs/tuning.md). Prints a ranked table and the winner's "
      "rationale; a progress bar on stderr when it is a terminal.\n\n"
      "  strata-tune calibrate MODEL.yaml --cluster C [--out PROFILE]: time "
      "the model's kernels and links here (strata-tune calibrate --help), "
      "then price layouts with --calibration PROFILE\n");

  strata::tuner::TuneOptions options;
  flags.fill(options, argv[0]);
  options.calibration = calibration;
  options.top = top;
  options.jsonPath = json;
  options.emitPath = emit;
  options.threads = int(jobs);
  options.maxVirtualStages = maxVp;
  options.recomputes.assign(recompute.begin(), recompute.end());
  options.distributedOptimizer = distOpt;
  options.measure = measure;
  options.measurePick = measurePick;
  options.measureSteps = measureSteps;
  options.measureThreads = measureThreads;
  options.measureRepeats = measureRepeats;
  options.measureProfile = measureProfile;
  options.progress = isatty(2);
  return strata::tuner::runTune(options, std::cout, std::cerr);
}

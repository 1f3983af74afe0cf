//===- CompileApi.h - the compiler as a library -----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What strata-tune (and any other program) asks the compiler instead of
// running strata-compile: a model description, its overrides and a parallel
// layout in; per pipeline stage the static memory plan by category, the
// collectives of one training step with their payloads and groups, and the
// dense-math FLOPs of each function out, as structs. Nothing is printed and
// no artifact is written. The numbers are those of strata-compile
// --report=memory and --report=parallel, computed by the same code
// (runCompilePhases, planStage, stepCollectives).
//
// Usage:
//   CompileSession session;                 // one MLIR context, reused
//   CompileRequest request;
//   request.descriptionPath = "examples/gpt2-124m.yaml";
//   request.layout = ParallelLayout{.tp = 2, .pp = 2, .dp = 1};
//   ::strata::Checked<CompileAnalysis> analysis = session.analyze(request);
//   if (!analysis.isOk()) report(analysis.error());
//   int64_t peak = analysis->peakArenaBytes();
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_API_COMPILEAPI_H
#define STRATA_COMPILER_API_COMPILEAPI_H

#include "common/checked.h"
#include "compiler/Driver/CompilePhase.h"
#include "compiler/Driver/KernelCalls.h"
#include "compiler/Planning/MemoryPlanner.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir {
class DefaultTimingManager;
} // namespace mlir

namespace mlir::strata {

/// How activations are recomputed (NeMo's activations_checkpoint_*).
enum class RecomputeKind { None, Selective, Full };

/// A parallel layout and batch split: the choices strata-tune searches.
/// Each field that is set becomes the Hydra override strata-compile takes
/// for it (layoutOverrides); unset fields keep the description's values,
/// except that setting any of tp, pp, dp sets the device count to
/// tp x pp x dp (an unset dp is 1).
struct ParallelLayout {
  std::optional<int64_t> tp, pp, vp, dp;
  std::optional<int64_t> microBatchSize, globalBatchSize;
  std::optional<bool> sequenceParallel;
  std::optional<RecomputeKind> recompute;
  /// With RecomputeKind::Full: the layers per recomputed block (method
  /// uniform); 0 keeps the description's.
  int64_t recomputeLayers = 0;
  std::optional<bool> distributedOptimizer;
};

/// The overrides that make a description use |layout|, in a fixed order:
/// exactly what `strata-compile MODEL.yaml OVERRIDES...` accepts.
std::vector<std::string> layoutOverrides(const ParallelLayout &layout);

struct CompileRequest {
  /// A YAML model description.
  std::string descriptionPath;
  /// Hydra-style key.path=value overrides, applied before the layout's.
  std::vector<std::string> overrides;
  ParallelLayout layout;
  CompileMode mode = CompileMode::Train;
  /// "cpu" or "cuda[:sm_80|sm_90]" (alignment of the plan).
  std::string target = "cpu";
  /// Where the phases' timings go; null for none.
  DefaultTimingManager *timing = nullptr;
  /// Runs the IR verifier after every pass. strata-tune turns it off: its
  /// thousands of analyses run the passes strata-compile runs verified.
  bool verifyPasses = true;
};

/// One pipeline stage's static memory plan (every rank of the stage has it).
struct StageMemoryPlan {
  int64_t stage = 0;
  /// Per local chunk: first layer and layer count.
  std::vector<std::pair<int64_t, int64_t>> layers;
  int64_t arenaBytes = 0;
  /// By ::strata::planning::BufferCategory: persistent categories their
  /// total, transient ones their peak.
  std::array<int64_t, ::strata::planning::kNumBufferCategories> peakBytes{};
  int64_t transientBytes = 0;
  /// Per local chunk of a training stage: one micro-batch's saved values
  /// and the stash slots (micro-batches in flight).
  std::vector<int64_t> savedBytes, stashSlots;

  int64_t peak(::strata::planning::BufferCategory category) const {
    return peakBytes[static_cast<size_t>(category)];
  }
};

/// One kind of collective over one group in one function of one stage.
struct CollectiveRecord {
  int64_t stage = 0;
  std::string function;
  std::string kind;
  std::vector<std::string> axes;
  int64_t groupSize = 1;
  /// Per function call.
  int64_t count = 0, payloadBytes = 0, sentBytes = 0;
  /// Function calls per training step; false for evaluation functions.
  int64_t callsPerStep = 1;
  bool inTrainingStep = true;
};

/// Dense-math FLOPs of one function of one stage, per call on one rank.
struct FunctionFlopsRecord {
  int64_t stage = 0;
  std::string function;
  double matmulFlops = 0, attentionFlops = 0;
  /// Each contraction's FLOPs (they sum to matmulFlops).
  std::vector<double> matmulCallFlops;
  /// The same contractions with their sizes, attention and cross-entropy
  /// calls with theirs (a calibration profile prices each).
  std::vector<GemmCall> gemms;
  std::vector<AttentionCall> attentionCalls;
  /// Bytes the bandwidth-bound ops read and write, unfused (StepFlops.h),
  /// cross-entropies included.
  double memoryBoundBytes = 0;
  /// Entry b: the bytes of the ops moving [2^b, 2^(b+1)) bytes each.
  std::vector<double> memoryBoundBytesBySize;
  std::vector<CrossEntropyCall> crossEntropyCalls;
  int64_t callsPerStep = 1;
  bool inTrainingStep = true;
};

struct CompileAnalysis {
  /// The mesh: dp x pp x tp.
  int64_t dp = 1, pp = 1, tp = 1;
  /// Virtual pipeline chunks per stage.
  int64_t chunks = 1;
  /// Micro-batches one training step accumulates per data-parallel rank.
  int64_t microBatches = 1;
  std::vector<StageMemoryPlan> stages;
  std::vector<CollectiveRecord> collectives;
  std::vector<FunctionFlopsRecord> flops;
  /// Frontend warnings (formatted), if any.
  std::vector<std::string> warnings;

  /// The largest arena of any stage: the peak memory of the fullest rank.
  int64_t peakArenaBytes() const;
  /// FLOPs of one training step on one rank of |stage|.
  double stepFlops(int64_t stage) const;
};

/// One MLIR context with Strata's dialects, reused across requests (loading
/// the dialects once). Not thread-safe: one session per thread; each runs
/// its passes on its own thread (no MLIR thread pool).
class CompileSession {
public:
  CompileSession();
  ~CompileSession();
  CompileSession(const CompileSession &) = delete;
  CompileSession &operator=(const CompileSession &) = delete;

  /// Reads the description with the request's overrides and layout, runs
  /// the phases of request.mode up to partitioning and plans every stage.
  /// An error holds every diagnostic, formatted as strata-compile prints
  /// them (file:line:col: error: ...).
  ::strata::Checked<CompileAnalysis> analyze(const CompileRequest &request);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace mlir::strata

#endif // STRATA_COMPILER_API_COMPILEAPI_H

//===- CompilePipeline.cpp - the passes of each compile phase -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/CompilePipeline.h"

#include "compiler/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"

using namespace mlir;
using namespace mlir::strata;

LogicalResult mlir::strata::runCompilePhases(ModuleOp module, CompileMode mode,
                                             CompilePhase compileTo,
                                             CompilePhase reached,
                                             TimingScope &timing,
                                             bool verifyPasses,
                                             const KVCacheOptions &kvCache,
                                             Quantization quantization) {
  MLIRContext *context = module.getContext();
  auto runs = [&](CompilePhase phase) {
    return reached != phase && runsPhase(mode, compileTo, phase);
  };
  if (runs(CompilePhase::Training)) {
    TimingScope passTiming = timing.nest("training");
    PassManager pm(context);
    pm.enableVerifier(verifyPasses);
    pm.addPass(createDeriveTrainingPass());
    // Activation recomputation (tfm.config activations_checkpoint_*) works
    // on the layer regions that training derivation makes, and before
    // partitioning so that the partitioner sees the recomputed ops like any
    // other (it would work after it, too).
    pm.addPass(createRecomputeActivationsPass());
    if (failed(pm.run(module)))
      return failure();
  }
  if (runs(CompilePhase::Inference)) {
    // The caches hold max_position_embeddings positions (the module's
    // tfm.config); every function of the module is derived.
    TimingScope passTiming = timing.nest("inference");
    PassManager pm(context);
    pm.enableVerifier(verifyPasses);
    DeriveInferencePassOptions options;
    options.kvBlockSize = kvCache.blockSize;
    options.kvBlocks = kvCache.numBlocks;
    pm.addPass(createDeriveInferencePass(options));
    // On the global module, before partitioning splits the scales like
    // their weights (MegatronLayout).
    if (quantization == Quantization::Int8WeightOnly)
      pm.addPass(createQuantizeWeightsPass());
    if (failed(pm.run(module)))
      return failure();
  }
  if (runs(CompilePhase::Partitioned)) {
    TimingScope passTiming = timing.nest("partitioning");
    PassManager pm(context);
    pm.enableVerifier(verifyPasses);
    pm.addPass(createPartitionPass());
    pm.addPass(createPipelineStagesPass());
    if (failed(pm.run(module)))
      return failure();
  }
  return success();
}

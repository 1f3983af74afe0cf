//===- CompilePipeline.h - the passes of each compile phase -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The passes strata-compile runs, phase by phase, on a loaded module: one
// definition for the command line (CompileDriver) and the compile library
// (compiler/Api), so both compile exactly the same program.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_DRIVER_COMPILEPIPELINE_H
#define STRATA_COMPILER_DRIVER_COMPILEPIPELINE_H

#include "compiler/Driver/CompilePhase.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"

namespace mlir::strata {

/// How --mode infer lays out its KV caches (strata-compile --kv-block-size,
/// --kv-blocks); zeros: one [batch, length] cache per layer.
struct KVCacheOptions {
  int64_t blockSize = 0;
  int64_t numBlocks = 0;
};
/// Weight quantization of an inference module (--quantize).
enum class Quantization { None, Int8WeightOnly };

/// Runs on |module| every phase of |mode| up to |compileTo| that the module
/// has not reached yet (its tfm.phase, read by the caller into |reached|),
/// each under its own timing scope nested in |timing|. Diagnostics go to the
/// context's handler. |verifyPasses| false skips the verifier after each
/// pass (strata-tune's thousands of analyses; the CLI always verifies).
/// |kvCache| and |quantization| apply to the inference phase.
LogicalResult runCompilePhases(ModuleOp module, CompileMode mode,
                               CompilePhase compileTo, CompilePhase reached,
                               TimingScope &timing, bool verifyPasses = true,
                               const KVCacheOptions &kvCache = {},
                               Quantization quantization = Quantization::None);

} // namespace mlir::strata

#endif // STRATA_COMPILER_DRIVER_COMPILEPIPELINE_H

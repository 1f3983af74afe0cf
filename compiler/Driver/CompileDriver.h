//===- CompileDriver.h - strata-compile -------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The compiler driver: reads a model description (YAML) or a module in the
// tfm dialect (.mlir), runs the pipeline up to the requested phase and
// writes the result.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_DRIVER_COMPILEDRIVER_H
#define STRATA_COMPILER_DRIVER_COMPILEDRIVER_H

#include "compiler/Driver/CompilePhase.h"
#include "compiler/Driver/CompilePipeline.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class DefaultTimingManager;
} // namespace mlir

namespace mlir::strata {

struct CompileOptions {
  std::string inputPath;
  std::string outputPath = "-";
  CompilePhase compileTo = CompilePhase::Input;
  /// Training step or KV-cache inference (--mode).
  CompileMode mode = CompileMode::Train;
  /// Query length of the prefill function in infer mode (--prefill-length);
  /// 0 for defaultPrefillLength.
  int64_t prefillLength = 0;
  /// Infer mode: LoRA merged into the projections at load (--merge-lora).
  bool mergeLora = false;
  /// Infer mode: paged KV caches (--kv-block-size, --kv-blocks); zeros for
  /// one [batch, length] cache per layer.
  KVCacheOptions kvCache;
  /// Infer mode, paged: rows of a prefill call (--prefill-batch; 0: the
  /// micro batch, like decode).
  int64_t prefillBatch = 0;
  /// Infer mode: weights stored as int8 (--quantize int8-weight-only).
  Quantization quantization = Quantization::None;
  /// Hydra-style `key.path=value` overrides of the YAML description.
  std::vector<std::string> overrides;
  bool verbose = false;
  /// Print the memory plan's peaks by category (--report=memory); the IR
  /// is then written only where -o names a file.
  bool reportMemory = false;
  bool reportParallel = false;
  /// The device the artifact runs on (--target): "cpu" or
  /// "cuda[:sm_80|sm_90]".
  std::string target = "cpu";
  bool writeIR = true;
  /// Where phase timings go (--mlir-timing); null for none.
  DefaultTimingManager *timing = nullptr;
};

/// Runs one compilation. Diagnostics go to stderr; returns the process exit
/// code (0 on success, 1 on any error).
int runCompile(const CompileOptions &options);

/// The whole `strata-compile` command line: parses flags, then runCompile.
int runStrataCompileMain(int argc, char **argv);

} // namespace mlir::strata

#endif // STRATA_COMPILER_DRIVER_COMPILEDRIVER_H

//===- prepared_program.h - instructions checked and ready to run -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The loader (artifact_loader.h) checks that every buffer lies in the arena
// and that every instruction has the operand and attribute counts of its
// kernel. Preparation goes further, once, before anything runs: it checks
// each instruction's shapes and element types against what its kernel
// computes (a matmul's contracted dimensions agree, a bias matches the
// trailing dimensions, token ids are int32, ...) and records the sizes the
// kernel is called with, so running a step does no checking and no lookup.
// Every error names the artifact, the function, the instruction, its kernel
// and model location, and the values at fault.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_PREPARED_PROGRAM_H
#define STRATA_RUNTIME_EXECUTOR_PREPARED_PROGRAM_H

#include "runtime/artifact/artifact_loader.h"
#include "runtime/kernels/cpu/attention.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::runtime {

/// A buffer as a kernel sees it: where it starts in the arena and how many
/// elements it holds.
struct BufferRef {
  uint32_t buffer = 0;
  uint64_t offset = 0;
  int64_t elements = 0;
};

struct PreparedInstruction {
  artifact::Kernel kernel = artifact::Kernel::Copy;
  /// The floating-point type the kernel runs in (f32 or f64).
  bool isDouble = false;
  std::vector<BufferRef> operands;
  std::vector<BufferRef> results;
  /// Kernel sizes, by kernel: matmuls {M, N, K}; row-wise kernels {N, H};
  /// embeddings {count, V, H}; rotary {B, S, H, D}; cross-entropy {N, V};
  /// cache writes {B, S, T, row} (row = elements per position).
  int64_t dims[4] = {0, 0, 0, 0};
  /// The instruction's attributes, per its signature (kernel_signatures.h).
  std::vector<int64_t> ints;
  std::vector<double> floats;
  /// Attention, its gradient and cached attention (whose queryPositions
  /// are set when it runs).
  cpu::AttentionParams attention{};
  /// Random stream of dropout kernels (-1: none), and the parameter an AdamW
  /// instruction updates.
  int64_t rngStream = -1;
  int64_t parameter = -1;
  /// The mesh axis whose coordinate selects the block this instruction
  /// computes (vocabulary or heads), -1 for none; for collectives, the bit
  /// mask of the axes of the group.
  int64_t shardAxis = -1;
  int64_t collectiveAxes = 0;
  /// Dropout kernels of a split tensor: the split dimension and the local
  /// shape (the mask is drawn by global element index).
  int64_t shardDim = -1;
  std::vector<int64_t> maskShape;
  /// The trainable parameters GradNorm and GradSquareSum read (empty for
  /// GradNorm: all of them).
  std::vector<int64_t> parameterList;
  /// Kernel scratch space, in bytes.
  size_t scratchBytes = 0;
  /// "instruction 12 (matmul at layers.0.attention.query)", for errors.
  std::string where;
};

struct PreparedFunction {
  std::string name;
  std::vector<uint32_t> arguments;
  std::vector<uint32_t> results;
  /// Per result: the dimension split across ranks and its mesh axis (-1:
  /// every rank holds the whole result).
  std::vector<int> resultSplitDims;
  std::vector<int> resultSplitAxes;
  std::vector<PreparedInstruction> instructions;
  /// Whether some instruction draws random numbers (dropout).
  bool usesRandomness = false;
};

/// Checks and prepares every function of |artifact| for the CPU kernels
/// running on |numThreads| threads (the attention workspace depends on it).
/// kDataLoss naming the instruction and the values at fault; kUnimplemented-
/// style kFailedPrecondition when the CPU cannot run an element type (bf16).
StatusOr<std::vector<PreparedFunction>>
prepareProgram(const LoadedArtifact &artifact, int numThreads);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_PREPARED_PROGRAM_H

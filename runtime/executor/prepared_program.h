//===- prepared_program.h - instructions checked and ready to run -*- C++
//-*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The loader (artifact_loader.h) checks that every buffer lies in the arena
// and that every instruction has the operand and attribute counts of its
// kernel. Preparation goes further, once, before anything runs: it checks
// each instruction's shapes and element types against what its kernel
// computes (a matmul's contracted dimensions agree, a bias matches the
// trailing dimensions, token ids are int32, ...) and produces the typed
// kernel descriptor every backend runs (runtime/backends/
// kernel_descriptor.h), parameter slots resolved, so running a step does no
// checking and no lookup.
// Every error names the artifact, the function, the instruction, its kernel
// and model location, and the values at fault.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_PREPARED_PROGRAM_H
#define STRATA_RUNTIME_EXECUTOR_PREPARED_PROGRAM_H

#include "runtime/artifact/artifact_loader.h"
#include "runtime/backends/kernel_descriptor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::runtime {

struct PreparedFunction {
  std::string name;
  std::vector<uint32_t> arguments;
  std::vector<uint32_t> results;
  /// Per result: the dimension split across ranks and its mesh axis (-1:
  /// every rank holds the whole result).
  std::vector<int> resultSplitDims;
  std::vector<int> resultSplitAxes;
  std::vector<KernelDescriptor> instructions;
  /// Whether some instruction draws random numbers (dropout).
  bool usesRandomness = false;
};

/// Checks every function of |artifact| and turns its instructions into
/// kernel descriptors for the rank at |meshCoords| (its coordinate along
/// each mesh axis; empty for a single rank), which select the blocks of
/// split dimensions. kDataLoss naming the instruction and the values at
/// fault. Whether a backend runs each descriptor is the executor's check.
StatusOr<std::vector<PreparedFunction>>
prepareProgram(const LoadedArtifact &artifact,
               const std::vector<int64_t> &meshCoords = {});

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_PREPARED_PROGRAM_H

//===- cpu_dispatch.h - one prepared instruction on the CPU -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Maps each artifact kernel to runtime/kernels/cpu. Sizes come from the
// prepared instruction (already checked); only the values are checked here:
// token ids, labels and KV-cache positions before a kernel would index with
// them.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_CPU_DISPATCH_H
#define STRATA_RUNTIME_EXECUTOR_CPU_DISPATCH_H

#include "runtime/artifact/artifact_generated.h"
#include "runtime/executor/prepared_program.h"
#include "runtime/executor/rank_mesh.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <vector>

namespace strata::runtime {

struct CpuRunContext {
  uint8_t *arena = nullptr;
  uint8_t *scratch = nullptr;
  const artifact::Artifact *root = nullptr;
  /// Gradient slots (buffer ids) of the trainable parameters.
  const std::vector<uint32_t> *gradientSlots = nullptr;
  /// Dropout on (training) or passed through (evaluation, numerics).
  bool dropout = true;
  uint64_t seed = 0;
  /// Philox offset of stream s in this call: rngBase + s.
  uint64_t rngBase = 0;
  /// This rank's mesh coordinates (the blocks of split dimensions).
  const RankMesh *mesh = nullptr;
};

/// Runs |instruction|; an error names it when an input value is out of
/// range.
Status runOnCpu(const PreparedInstruction &instruction,
                const CpuRunContext &context);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_CPU_DISPATCH_H

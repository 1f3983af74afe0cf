//===- artifact_gemms.h - the distinct GEMMs an artifact runs ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What GEMM autotuning (strata-run tune-gemms) tunes ahead of time: every
// Matmul, MatmulGradInput and MatmulGradWeight instruction of every
// function (of every stage of a pipeline-parallel artifact), prepared as
// the executor prepares it and deduplicated by GemmDescriptor, the key the
// CUDA backend tunes and caches under. Operand alignments are those the
// instruction's buffers have in an arena that starts 256-byte aligned, as
// the executor's GPU arena from cudaMalloc does, so the keys listed here are
// the keys a run looks up. Plain C++: lists without a GPU.
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(std::vector<ArtifactGemm> gemms,
//                           listArtifactGemms(artifact));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_ARTIFACT_GEMMS_H
#define STRATA_RUNTIME_EXECUTOR_ARTIFACT_GEMMS_H

#include "runtime/artifact/artifact_loader.h"
#include "runtime/backends/gemm_tuning/gemm_descriptor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace strata::runtime {

struct ArtifactGemm {
  GemmDescriptor gemm;
  /// How many instructions run it, per function in order of first use
  /// ("forward_backward"; "stage 1: forward_backward" in a pipeline).
  std::vector<std::pair<std::string, int64_t>> calls;
  /// The first instruction that runs it ("function forward, instruction 3
  /// (matmul at layers.0.attention.query)").
  std::string firstUse;

  int64_t totalCalls() const;
};

/// The distinct GEMMs of |artifact| in order of first appearance. Errors
/// are the preparation's (an instruction whose shapes do not fit its
/// kernel), naming the artifact and the instruction.
StatusOr<std::vector<ArtifactGemm>>
listArtifactGemms(const LoadedArtifact &artifact);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_ARTIFACT_GEMMS_H

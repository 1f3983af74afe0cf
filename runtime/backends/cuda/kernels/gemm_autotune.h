//===- gemm_autotune.h - choosing a GEMM's cuBLASLt algorithm ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// GEMM autotuning (FasterTransformer's gemm_config): cuBLASLt's heuristic
// lists up to kGemmCandidates algorithms for a plan (within the workspace
// and the operands' alignments, split-K sums in f32 first); each is timed
// on the GEMM's real shapes (warm-up, then reps between cudaEvents, on the
// caller's stream), algorithms that fail to launch are dropped, and the
// fastest is kept. The choice is recorded in the GEMM tuning cache file
// (runtime/backends/gemm_tuning/gemm_tuning_cache.h) under the GPU (name,
// SM count, compute capability), cublasLtGetVersion() and the
// GemmDescriptor, so later runs read it instead of timing, and every run
// of a key uses the same algorithm (the same bits). A cache entry the
// heuristic no longer offers (another cuBLASLt build, an edited file) is
// tuned again and replaced.
//
// Timing writes C only where that is harmless: the GEMMs here never read C
// (beta 0) and the call that follows overwrites it, so C itself is the
// output unless it overlaps A or B; then a scratch C is allocated
// (stream-ordered) with C's alignment. A and B are only read; cuBLASLt's
// workspace is the GEMM's own.
//
// STRATA_GEMM_TUNING=off keeps the heuristic's first choice and neither
// reads nor writes the file (for A/B measurements); "on" (or unset) tunes.
// Inside a CUDA graph capture nothing can be timed: a key without a cache
// entry then takes the heuristic's choice for the rest of the process.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_GEMM_AUTOTUNE_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_GEMM_AUTOTUNE_H

#include "runtime/backends/cuda/kernels/gemm_plan.h"
#include "runtime/backends/gemm_tuning/gemm_tuning_cache.h"

namespace strata::runtime::cuda::kernels {

/// Candidates asked of the heuristic per GEMM.
constexpr int kGemmCandidates = 16;
/// Timed calls per candidate, after kGemmWarmups untimed ones.
constexpr int kGemmTuningReps = 10;
constexpr int kGemmWarmups = 2;

/// Sets |plan|.algorithm for |key| (see the file comment), timing with
/// |reps| calls per candidate when it tunes. |report|, when given,
/// receives the entry used and whether it came from the cache file (and
/// tuning switched off is then an error). Called once per key and process
/// (and per tuneGemm), with gemm.cc's lock held.
Status chooseAlgorithm(cublasLtHandle_t handle, const GemmKey &key,
                       GemmPlan &plan, const GemmOperands &operands, int reps,
                       GemmTuningReport *report);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_GEMM_AUTOTUNE_H

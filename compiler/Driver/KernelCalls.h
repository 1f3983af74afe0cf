//===- KernelCalls.h - the sized kernels of a function ----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The GEMMs, attentions and cross-entropies of a function with their local
// sizes (StepFlops.h finds them; the compile API reports them), so that the
// tuner can price each one from a calibration profile measured at those
// sizes. Plain structs, no MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_DRIVER_KERNELCALLS_H
#define STRATA_COMPILER_DRIVER_KERNELCALLS_H

#include <cstdint>
#include <optional>
#include <string_view>

namespace mlir::strata {

/// A contraction as the runtime runs it (runtime/backends/kernel_descriptor.h
/// GemmShape): Matmul y[m,n] = x[m,k] w[n,k]^T, GradInput dx[m,k] =
/// dy[m,n] w[n,k], GradWeight dw[n,k] = dy[m,n]^T x[m,k].
struct GemmCall {
  enum Kind { Matmul, GradInput, GradWeight } kind = Matmul;
  int64_t m = 0, n = 0, k = 0;
  double flops() const { return 2.0 * double(m) * double(n) * double(k); }
};

/// The runtime kernel of a GEMM kind, as artifacts and calibration profiles
/// name it: matmul, matmul_grad_input, matmul_grad_weight.
inline const char *gemmKindName(GemmCall::Kind kind) {
  switch (kind) {
  case GemmCall::GradInput:
    return "matmul_grad_input";
  case GemmCall::GradWeight:
    return "matmul_grad_weight";
  default:
    return "matmul";
  }
}

/// The kind gemmKindName gives |name|; nullopt for any other name.
inline std::optional<GemmCall::Kind> parseGemmKind(std::string_view name) {
  for (GemmCall::Kind kind :
       {GemmCall::Matmul, GemmCall::GradInput, GemmCall::GradWeight})
    if (name == gemmKindName(kind))
      return kind;
  return std::nullopt;
}

/// tfm.attention (backward: tfm.attention_grad) on q[b,s,h,d], k[b,t,g,d],
/// v[b,t,g,e].
struct AttentionCall {
  int64_t batch = 0, querySeq = 0, keySeq = 0, heads = 0, kvHeads = 0,
          headDim = 0, valueDim = 0;
  bool causal = false, backward = false;
};

/// A softmax cross-entropy over |rows| rows of |vocab| local logits: forward
/// (tfm.cross_entropy, tfm.vocab_parallel_stats) or backward
/// (tfm.cross_entropy_grad, tfm.vocab_parallel_cross_entropy_grad).
struct CrossEntropyCall {
  int64_t rows = 0, vocab = 0;
  bool backward = false;
  /// Its part of FunctionFlops::memoryBoundBytes.
  double bytes = 0;
};

} // namespace mlir::strata

#endif // STRATA_COMPILER_DRIVER_KERNELCALLS_H

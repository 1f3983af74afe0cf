//===- gemm_descriptor.h - one GEMM as a GPU library sees it ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What the choice of a GEMM algorithm depends on: the element type, the
// shape and layouts (GemmShape), the operands' address alignments (a GEMM
// library may use wider vector loads on better aligned operands, so an
// algorithm tuned for 256-byte aligned operands may not run on 64-byte
// aligned ones) and whether F32 may use TF32 tensor cores. Plain data, so
// that the tuning cache (gemm_tuning_cache.h), the enumeration of an
// artifact's GEMMs (runtime/executor/artifact_gemms.h) and the CUDA backend
// agree on one key without CUDA.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_GEMM_TUNING_GEMM_DESCRIPTOR_H
#define STRATA_RUNTIME_BACKENDS_GEMM_TUNING_GEMM_DESCRIPTOR_H

#include "runtime/backends/kernel_descriptor.h"
#include "runtime/support/dtype.h"

#include <cstdint>
#include <string>

namespace strata::runtime {

/// The largest alignment a GEMM key distinguishes (cuBLASLt assumes it
/// unless told less).
constexpr uint32_t kMaxGemmAlignment = 256;

struct GemmDescriptor {
  DType dtype = DType::F32;
  GemmShape shape;
  /// Byte alignments of A, B and C: powers of two, at most 256.
  uint32_t alignA = kMaxGemmAlignment, alignB = kMaxGemmAlignment,
           alignC = kMaxGemmAlignment;
  /// F32 with TF32 tensor cores allowed (STRATA_CUDA_TF32=1).
  bool tf32 = false;

  /// "BF16 m=5 n=11 k=7 (A, B^T) lda=7 ldb=7 ldc=11 align=256/64/256", with
  /// " tf32" when set. The tuning cache's key: changing the spelling
  /// invalidates every cache file (bump kGemmTuningFormatVersion).
  std::string text() const;

  bool operator<(const GemmDescriptor &other) const;
  bool operator==(const GemmDescriptor &other) const;
};

/// The alignment (power of two, at most 256) of an address.
uint32_t alignmentOfAddress(uintptr_t address);

/// The alignment of an operand |offset| bytes into memory that starts at
/// least 256-byte aligned (a GPU arena from cudaMalloc).
inline uint32_t alignmentOfOffset(uint64_t offset) {
  return alignmentOfAddress(static_cast<uintptr_t>(offset));
}

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_GEMM_TUNING_GEMM_DESCRIPTOR_H

//===- tolerances.h - how close a backend must come, per type ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The conformance suite compares each result of a backend with an f64
// evaluation on the CPU of the same inputs (the inputs rounded to the
// element type first, so input rounding is not counted). The measure is
// the relative L2 error ||y - ref|| / ||ref|| over the whole result (the
// square root of ggml's NMSE): it does not blow up on single elements near
// zero, and it grows with the rounding of every element.
//
// The bounds, written down once:
//   F64   1e-12  rounding of sums of a few thousand terms at 2^-53
//   F32   2e-5   2^-24 per operation, sums of up to ~10^3 terms, exp/log
//   F16   4e-3   2^-11 for the stored result, f32 accumulation inside
//   BF16  2e-2   2^-8 for the stored result (0.4%) after several rounded
//                intermediates of a fused kernel (norm, softmax in f32 but
//                its inputs and outputs bf16)
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CONFORMANCE_TOLERANCES_H
#define STRATA_RUNTIME_BACKENDS_CONFORMANCE_TOLERANCES_H

#include "runtime/support/dtype.h"

namespace strata::runtime::conformance {

/// The largest relative L2 error a result in |dtype| may have.
inline double relativeErrorBound(DType dtype) {
  switch (dtype) {
  case DType::F64:
    return 1e-12;
  case DType::F32:
    return 2e-5;
  case DType::F16:
    return 4e-3;
  case DType::BF16:
    return 2e-2;
  default:
    return 0.0;
  }
}

} // namespace strata::runtime::conformance

#endif // STRATA_RUNTIME_BACKENDS_CONFORMANCE_TOLERANCES_H

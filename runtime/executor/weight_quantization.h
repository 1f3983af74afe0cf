//===- weight_quantization.h - int8 weights quantized at load ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// An artifact compiled with `strata-compile --quantize int8-weight-only`
// stores some weights as I8 parameters, each with an F32 parameter of
// per-output-channel scales (Parameter.scales, format 0.14). Checkpoints
// keep the model's float weights: the runtime quantizes each one as it
// loads, on the global tensor (before tensor parallelism takes a rank's
// block, so a row split over ranks still gets the scale of the whole row):
//
//   scale[o] = max_k |w[o, k]| / 127   (1 for a row of zeros)
//   q[o, k]  = round(w[o, k] / scale[o]), clamped to [-127, 127]
//
// with o the weight's leading (output) dimensions flattened, k the rest,
// computed in f64 and rounded half away from zero. Initialization without
// a checkpoint quantizes the f32 draw the same way.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_WEIGHT_QUANTIZATION_H
#define STRATA_RUNTIME_EXECUTOR_WEIGHT_QUANTIZATION_H

#include "runtime/executor/executor.h"
#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::runtime {

/// One I8 parameter and its scales, by Strata name; |outputDims| is the
/// rank of the scales (the weight's leading dimensions they cover).
struct QuantizedWeight {
  std::string weight;
  std::string scales;
  size_t outputDims = 1;
};

/// The quantized weights of |artifact| (every pipeline stage's, each once);
/// empty for an artifact compiled without --quantize.
std::vector<QuantizedWeight> quantizedWeightsOf(const LoadedArtifact &artifact);

/// The symmetric per-row int8 quantization of |weight| (any floating-point
/// dtype) seen as [rows, numel / rows]: the I8 tensor of |weight|'s shape
/// and the F32 scales of shape |scaleShape| (whose product is rows).
struct Int8Quantized {
  io::HostTensor values;
  io::HostTensor scales;
};
StatusOr<Int8Quantized> quantizeInt8(const io::HostTensor &weight,
                                     const std::vector<int64_t> &scaleShape);

/// Replaces each quantized weight of |weights| in |tensors| (global layout,
/// floating point) by its I8 values, and adds its scales. An error naming
/// |source| lists every missing tensor and every integer one; |tensors| is
/// then unchanged.
Status quantizeWeights(io::TensorMap &tensors,
                       const std::vector<QuantizedWeight> &weights,
                       const std::string &source);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_WEIGHT_QUANTIZATION_H

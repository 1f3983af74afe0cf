//===- weight_quantization.cc - int8 weights quantized at load ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/weight_quantization.h"

#include "runtime/executor/model_parameters.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace strata::runtime {

std::vector<QuantizedWeight>
quantizedWeightsOf(const LoadedArtifact &artifact) {
  std::vector<QuantizedWeight> weights;
  for (const ModelParameter &parameter : modelParameters(artifact)) {
    const int32_t scales = parameter.owner->scales();
    if (scales < 0)
      continue;
    const artifact::Parameter &s =
        *parameter.ownerProgram->parameters()->Get(uint32_t(scales));
    weights.push_back({parameter.name, s.name()->str(),
                       s.global_shape() ? s.global_shape()->size() : 0});
  }
  return weights;
}

StatusOr<Int8Quantized> quantizeInt8(const io::HostTensor &weight,
                                     const std::vector<int64_t> &scaleShape) {
  STRATA_ASSIGN_OR_RETURN(io::HostTensor wide,
                          io::convertTensor(weight, io::DType::F64));
  int64_t rows = 1;
  for (int64_t d : scaleShape)
    rows *= d;
  const int64_t n = wide.numElements();
  if (rows < 1 || n % rows != 0)
    return Status::invalidArgument(
        "cannot quantize a tensor of shape " + io::shapeToString(wide.shape()) +
        " per row with scales of shape " + io::shapeToString(scaleShape));
  const int64_t cols = n / rows;
  Int8Quantized out{io::HostTensor(io::DType::I8, wide.shape()),
                    io::HostTensor(io::DType::F32, scaleShape)};
  const double *w = wide.data<double>();
  int8_t *q = out.values.data<int8_t>();
  float *s = out.scales.data<float>();
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t r = 0; r < rows; ++r) {
    double max = 0;
    for (int64_t k = 0; k < cols; ++k)
      max = std::max(max, std::fabs(w[r * cols + k]));
    // The stored f32 scale is the one the kernels multiply by, so values
    // are divided by it (not by the f64 quotient) to keep q * s nearest w.
    const float scale = max > 0 ? float(max / 127.0) : 1.0f;
    s[r] = scale;
    for (int64_t k = 0; k < cols; ++k) {
      const double v = std::round(w[r * cols + k] / double(scale));
      q[r * cols + k] = int8_t(std::clamp(v, -127.0, 127.0));
    }
  }
  return out;
}

Status quantizeWeights(io::TensorMap &tensors,
                       const std::vector<QuantizedWeight> &weights,
                       const std::string &source) {
  std::vector<std::string> problems;
  for (const QuantizedWeight &w : weights) {
    auto it = tensors.find(w.weight);
    if (it == tensors.end())
      problems.push_back("missing " + w.weight);
    else if (!isFloatingPoint(it->second.dtype()) ||
             it->second.shape().size() <= w.outputDims)
      problems.push_back(w.weight + " is " + toString(it->second.dtype()) +
                         " " + io::shapeToString(it->second.shape()) +
                         ", expected a floating-point tensor of rank above " +
                         std::to_string(w.outputDims));
  }
  if (!problems.empty()) {
    std::ostringstream os;
    os << source
       << " does not hold the float weights an artifact compiled with "
          "--quantize int8-weight-only quantizes as it loads:";
    for (const std::string &problem : problems)
      os << "\n  " << problem;
    return Status::invalidArgument(os.str());
  }
  for (const QuantizedWeight &w : weights) {
    io::HostTensor &weight = tensors.at(w.weight);
    const std::vector<int64_t> scaleShape(
        weight.shape().begin(), weight.shape().begin() + w.outputDims);
    STRATA_ASSIGN_OR_RETURN(Int8Quantized quantized,
                            quantizeInt8(weight, scaleShape));
    weight = std::move(quantized.values);
    tensors.insert_or_assign(w.scales, std::move(quantized.scales));
  }
  return Status::ok();
}

} // namespace strata::runtime

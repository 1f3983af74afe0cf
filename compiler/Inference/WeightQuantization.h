//===- WeightQuantization.h - int8 weight-only quantization -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The rewrite behind strata-tfm-quantize-weights (Passes.td says which
// parameters it picks): each picked parameter becomes i8 with an f32 scale
// per output channel in a new parameter "<name>_scale", and its readers
// become tfm.quantized_matmul / tfm.quantized_embedding. The values are the
// runtime's business (it quantizes checkpoints as they load); the IR only
// says which parameters are quantized and how the ops read them.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_INFERENCE_WEIGHTQUANTIZATION_H
#define STRATA_COMPILER_INFERENCE_WEIGHTQUANTIZATION_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::strata {

/// The name of the scale parameter of quantized weight |weight| (the
/// compressed-tensors / vLLM spelling).
std::string quantizationScaleName(llvm::StringRef weight);

/// The parameters of |module| that int8 weight-only quantization stores as
/// i8, in declaration order.
std::vector<std::string> quantizableWeights(ModuleOp module);

/// Quantizes every parameter quantizableWeights picks and rewrites its
/// readers. An error at the parameter for a trainable one (quantization is
/// for inference modules) or one whose scale name is taken.
LogicalResult quantizeWeightsInt8(ModuleOp module);

} // namespace mlir::strata

#endif // STRATA_COMPILER_INFERENCE_WEIGHTQUANTIZATION_H

//===- PipelineCosts.h - what each layer costs, from the IR -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The stage balancer (compiler/Partitioning/StageBalancer.h) needs the cost
// of every layer and of the ops before and after the layers. Costs are the
// forward function's floating-point operations: weight matmuls
// 2 sqrt(|x| |w| |y|) (= 2 M N K), attention 4 |q| T (the QK and AV
// products over T keys), every other op one per result element. Backward
// passes cost about twice their forward, everywhere alike, so forward
// costs balance the training step too.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_PIPELINE_PIPELINECOSTS_H
#define STRATA_COMPILER_PIPELINE_PIPELINECOSTS_H

#include "compiler/Partitioning/StageBalancer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::strata::pipeline {

/// The costs of |forward|'s top-level ops: each tfm.layer's body, the ops
/// before the first layer and those after the last.
::strata::partitioning::PipelineCosts layerCosts(func::FuncOp forward);

} // namespace mlir::strata::pipeline

#endif // STRATA_COMPILER_PIPELINE_PIPELINECOSTS_H

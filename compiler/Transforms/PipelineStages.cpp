//===- PipelineStages.cpp - strata-pipeline: one program per stage --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Pipeline/StagePrograms.h"
#include "compiler/Transforms/Passes.h"

namespace mlir::strata {
#define GEN_PASS_DEF_PIPELINESTAGESPASS
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::strata

using namespace mlir;
using namespace mlir::strata;

namespace {

class PipelineStagesPass
    : public mlir::strata::impl::PipelineStagesPassBase<PipelineStagesPass> {
public:
  void runOnOperation() override {
    if (failed(pipeline::buildPipelineStages(getOperation())))
      signalPassFailure();
  }
};

} // namespace

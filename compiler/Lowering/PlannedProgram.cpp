//===- PlannedProgram.cpp - flatten, assign buffers, plan memory ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Lowering/PlannedProgram.h"

#include "compiler/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::strata;
namespace planning = ::strata::planning;

size_t mlir::strata::bufferAlignmentOf(ModuleOp module) {
  for (Operation *op = module; op; op = op->getParentOp())
    if (auto target = op->getAttrOfType<StringAttr>("tfm.target"))
      return target.getValue().starts_with("cuda") ? 256 : kBufferAlignment;
  return kBufferAlignment;
}

FailureOr<PlannedProgram> mlir::strata::planProgram(ModuleOp module,
                                                    bool verifyPasses,
                                                    bool inPlace) {
  PlannedProgram program;
  if (!inPlace)
    program.module = cast<ModuleOp>(module->clone());
  ModuleOp planned = inPlace ? module : *program.module;
  PassManager pm(module.getContext());
  pm.enableVerifier(verifyPasses);
  // Buffers are assigned over straight-line functions.
  pm.addPass(createFlattenLayersPass());
  // Before buffer assignment, so the fused chains' intermediates never get
  // buffers and the artifact uses the fused kernels.
  pm.addPass(createFuseElementwisePass());
  // Merges the parameter reads that flattening repeats.
  pm.addPass(createCSEPass());
  if (failed(pm.run(planned)))
    return failure();
  FailureOr<BufferAssignment> assignment =
      assignBuffers(planned, bufferAlignmentOf(module));
  if (failed(assignment))
    return failure();
  program.assignment = std::move(*assignment);
  std::string error;
  std::optional<planning::MemoryPlan> plan =
      planning::planMemory(program.assignment.buffers, {}, &error);
  if (!plan)
    return module.emitError() << "memory planning failed: " << error;
  // The planner's independent check, with the IR verifier: strata-compile
  // always runs it; the tuner's thousands of analyses plan the same way.
  if (verifyPasses)
    if (std::optional<std::string> problem =
            planning::verify(*plan, program.assignment.buffers))
      return module.emitError() << "internal error: invalid memory plan: "
                                << *problem;
  program.plan = std::move(*plan);
  return program;
}

//===- MemoryReport.cpp - strata-compile --report=memory ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/MemoryReport.h"

#include "compiler/Lowering/BufferAssignment.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace mlir::strata;
namespace planning = ::strata::planning;

namespace {

void printBytes(llvm::raw_ostream &os, size_t bytes) {
  os << llvm::format("%14zu B  %10.2f MiB", bytes, bytes / (1024.0 * 1024.0));
}

} // namespace

LogicalResult mlir::strata::printMemoryReport(ModuleOp module,
                                              llvm::raw_ostream &os) {
  OwningOpRef<ModuleOp> copy = cast<ModuleOp>(module->clone());
  PassManager pm(module.getContext());
  pm.addPass(createFlattenLayersPass());
  pm.addPass(createCSEPass());
  if (failed(pm.run(*copy)))
    return failure();
  FailureOr<BufferAssignment> assignment = assignBuffers(*copy);
  if (failed(assignment))
    return failure();
  std::string error;
  std::optional<planning::MemoryPlan> plan =
      planning::planMemory(assignment->buffers, {}, &error);
  if (!plan)
    return module.emitError() << "memory planning failed: " << error;
  if (std::optional<std::string> problem =
          planning::verify(*plan, assignment->buffers))
    return module.emitError() << "internal error: invalid memory plan: "
                              << *problem;

  StringRef name = module.getName() ? *module.getName() : "module";
  os << "memory plan of " << name << " (" << assignment->buffers.size()
     << " buffers, one arena)\n";
  os << "  arena              ";
  printBytes(os, plan->arenaBytes);
  os << "\n";
  for (planning::BufferCategory category : planning::kAllBufferCategories) {
    os << "  " << llvm::left_justify(planning::stringifyBufferCategory(category), 18)
       << " ";
    printBytes(os, plan->peak(category));
    os << (planning::isPersistent(category) ? "  (persistent)" : "  (peak)")
       << "\n";
  }
  os << "  transient region   ";
  printBytes(os, plan->transientBytes);
  os << "\n  without reuse      ";
  printBytes(os, plan->transientSumBytes);
  os << "\n  lower bound        ";
  printBytes(os, plan->transientLowerBound);
  os << llvm::format("  (plan / bound = %.3f)\n", plan->lowerBoundRatio());
  return success();
}

//===- MemoryReport.cpp - strata-compile --report=memory ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/MemoryReport.h"

#include "compiler/Lowering/PlannedProgram.h"

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
  FailureOr<PlannedProgram> program = planProgram(module);
  if (failed(program))
    return failure();
  const BufferAssignment *assignment = &program->assignment;
  const planning::MemoryPlan *plan = &program->plan;

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

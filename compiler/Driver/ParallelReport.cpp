//===- ParallelReport.cpp - strata-compile --report=parallel --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/ParallelReport.h"

#include "compiler/Driver/StageMemory.h"
#include "compiler/Driver/StepCollectives.h"
#include "compiler/Lowering/PlannedProgram.h"
#include "compiler/Pipeline/StagePrograms.h"
#include "dialects/dist/IR/DistOps.h"
#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"

#include <map>

using namespace mlir;
using namespace mlir::strata;
namespace planning = ::strata::planning;

namespace {

std::string mib(double bytes) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::format("%.2f MiB", bytes / (1024.0 * 1024.0));
  return text;
}

} // namespace

LogicalResult mlir::strata::printParallelReport(ModuleOp module,
                                                llvm::raw_ostream &os) {
  // One program for every rank, or one per pipeline stage.
  std::vector<StageMemory> stages;
  SmallVector<ModuleOp> stageModules = pipeline::pipelineStages(module);
  if (stageModules.empty())
    stageModules.push_back(module);
  for (ModuleOp stage : stageModules) {
    FailureOr<StageMemory> planned = planStage(stage);
    if (failed(planned))
      return failure();
    stages.push_back(std::move(*planned));
  }
  const MeshInfo mesh = meshOf(stageModules.front());

  int64_t layers = 0;
  if (auto config = module->getAttrOfType<DictionaryAttr>("tfm.config"))
    if (auto n = config.getAs<IntegerAttr>("num_layers"))
      layers = n.getInt();
  if (stages.size() == 1 && stages[0].layers.empty() && layers > 0)
    stages[0].layers.push_back({0, layers});
  int64_t microBatches = 1;
  if (auto attr = module->getAttrOfType<IntegerAttr>("tfm.micro_batches"))
    microBatches = attr.getInt();

  StringRef name = module.getName() ? *module.getName() : "module";
  os << "parallel layout of " << name << ": ";
  for (size_t i = 0; i < mesh.axes.size(); ++i)
    os << (i ? " x " : "") << mesh.axes[i] << "=" << mesh.shape[i];
  os << " = " << mesh.ranks() << " ranks\n\n";

  os << "per rank (peak bytes of the static memory plan; pipeline_stash: the "
        "saved values of the micro-batches a pipeline stage holds between "
        "their forward and backward passes, part of the arena):\n";
  os << llvm::format("  %5s %4s %4s %4s %6s %8s", "rank", "dp", "pp", "tp",
                     "stage", "layers");
  for (planning::BufferCategory category : planning::kAllBufferCategories)
    os << llvm::format(" %16s", planning::stringifyBufferCategory(category));
  os << llvm::format(" %12s\n", "arena");
  for (int64_t rank = 0; rank < mesh.ranks(); ++rank) {
    SmallVector<int64_t> coords(mesh.shape.size());
    for (int64_t i = int64_t(mesh.shape.size()) - 1, r = rank; i >= 0; --i) {
      coords[i] = r % mesh.shape[i];
      r /= mesh.shape[i];
    }
    const StageMemory &stage =
        stages[stages.size() == 1 ? 0 : size_t(coords[1])];
    const planning::MemoryPlan &plan = stage.program.plan;
    std::string layerRange = stage.layerRanges();
    os << llvm::format("  %5lld %4lld %4lld %4lld %6lld %8s", (long long)rank,
                       (long long)coords[0], (long long)coords[1],
                       (long long)coords[2], (long long)coords[1],
                       layerRange.empty() ? "-" : layerRange.c_str());
    for (planning::BufferCategory category : planning::kAllBufferCategories)
      os << llvm::format(" %16s", mib(double(plan.peak(category))).c_str());
    os << llvm::format(" %12s\n", mib(double(plan.arenaBytes)).c_str());
  }

  os << "\ncollectives of one training step (forward_backward, or each "
        "pipeline stage's forward_step and backward_step, runs "
     << microBatches << " time" << (microBatches == 1 ? "" : "s")
     << " per step):\n";
  os << llvm::format("  %-5s %-18s %-26s %8s %16s %16s\n", "stage", "function",
                     "collective", "calls", "payload", "sent per rank");
  // The report shows each kind once per function, whatever its groups.
  const std::vector<StepCollective> collectives =
      stepCollectives(stageModules, mesh, microBatches);
  for (size_t s = 0; s < stageModules.size(); ++s) {
    int64_t stepSent = 0;
    for (size_t i = 0; i < collectives.size(); ++i) {
      const StepCollective &c = collectives[i];
      if (c.stage != int64_t(s))
        continue;
      int64_t count = c.count, payload = c.payloadBytes, sent = c.sentBytes;
      while (i + 1 < collectives.size() && collectives[i + 1].stage == c.stage &&
             collectives[i + 1].function == c.function &&
             collectives[i + 1].kind == c.kind) {
        ++i;
        count += collectives[i].count;
        payload += collectives[i].payloadBytes;
        sent += collectives[i].sentBytes;
      }
      const int64_t calls = c.callsPerStep;
      os << llvm::format("  %-5zu %-18s %-26s %8lld %16s %16s\n", s,
                         c.function.c_str(), c.kind.c_str(),
                         (long long)(count * calls),
                         mib(double(payload * calls)).c_str(),
                         mib(double(sent * calls)).c_str());
      if (c.inTrainingStep)
        stepSent += sent * calls;
    }
    os << "  per training step, each rank"
       << (stageModules.size() > 1 ? " of stage " + std::to_string(s) : "")
       << " sends " << mib(double(stepSent)) << "\n";
  }
  return success();
}

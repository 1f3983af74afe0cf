//===- ParallelReport.cpp - strata-compile --report=parallel --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/ParallelReport.h"

#include "compiler/Driver/StageMemory.h"
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

struct MeshInfo {
  SmallVector<std::string> axes{"dp", "pp", "tp"};
  SmallVector<int64_t> shape{1, 1, 1};
  int64_t ranks() const {
    int64_t n = 1;
    for (int64_t s : shape)
      n *= s;
    return n;
  }
  int64_t sizeOf(ArrayAttr names) const {
    int64_t n = 1;
    for (Attribute name : names)
      for (size_t i = 0; i < axes.size(); ++i)
        if (axes[i] == cast<StringAttr>(name).getValue())
          n *= shape[i];
    return n;
  }
};

MeshInfo meshOf(ModuleOp module) {
  MeshInfo info;
  for (auto mesh : module.getOps<dist::MeshOp>()) {
    info.axes.clear();
    for (Attribute axis : mesh.getAxes())
      info.axes.push_back(cast<StringAttr>(axis).str());
    info.shape.assign(mesh.getShape().begin(), mesh.getShape().end());
  }
  return info;
}

/// One kind of collective in one function.
struct CollectiveTally {
  int64_t count = 0;
  int64_t payload = 0; // bytes of the (larger) full tensor, per call
  int64_t sent = 0;    // bytes one rank sends, per call (ring algorithms)
};

/// Ring algorithms: all-reduce sends 2 (n-1)/n of the tensor, all-gather and
/// reduce-scatter (n-1)/n of the whole (gathered) tensor.
void tally(Operation *op, const MeshInfo &mesh,
           std::map<std::string, CollectiveTally> &out) {
  auto add = [&](StringRef kind, int64_t whole, int64_t group, double factor) {
    CollectiveTally &t = out[kind.str()];
    ++t.count;
    t.payload += whole;
    if (group > 1)
      t.sent += static_cast<int64_t>(factor * double(group - 1) /
                                     double(group) * double(whole));
  };
  // One collective per listed parameter's local tensor (the runtime
  // buckets them; the bytes are the same).
  // Gradient reductions move the gradient slots (f32 under mixed precision
  // O2), the parameter gather the parameters.
  auto perParameter = [&](StringRef kind, ArrayAttr names, ArrayAttr axes,
                          double factor, bool gradients) {
    auto module = op->getParentOfType<ModuleOp>();
    for (Attribute name : names)
      if (auto parameter = module.lookupSymbol<tfm::ParameterOp>(
              cast<SymbolRefAttr>(name).getRootReference()))
        add(kind,
            tensorBytes(gradients ? parameter.getGradType()
                                  : parameter.getLocalType()),
            mesh.sizeOf(axes), factor);
  };
  if (auto o = dyn_cast<dist::AllReduceOp>(op))
    add("all_reduce", tensorBytes(o.getType()), mesh.sizeOf(o.getAxes()), 2.0);
  else if (auto o = dyn_cast<dist::AllGatherOp>(op))
    add("all_gather", tensorBytes(o.getType()), mesh.sizeOf(o.getAxes()), 1.0);
  else if (auto o = dyn_cast<dist::ReduceScatterOp>(op))
    add("reduce_scatter", tensorBytes(o.getInput().getType()),
        mesh.sizeOf(o.getAxes()), 1.0);
  else if (auto o = dyn_cast<dist::SendOp>(op))
    add("send", tensorBytes(o.getInput().getType()), 2, 2.0);
  else if (auto o = dyn_cast<dist::RecvOp>(op))
    add("recv", tensorBytes(o.getType()), 1, 0.0);
  else if (auto o = dyn_cast<tfm::ReduceGradsOp>(op))
    perParameter("reduce_grads (all_reduce)", o.getParameters(), o.getAxes(),
                 2.0, /*gradients=*/true);
  else if (auto o = dyn_cast<tfm::ReduceScatterGradsOp>(op))
    perParameter("reduce_scatter_grads", o.getParameters(), o.getAxes(), 1.0,
                 /*gradients=*/true);
  else if (auto o = dyn_cast<tfm::GatherParamsOp>(op))
    perParameter("gather_params (all_gather)", o.getParameters(), o.getAxes(),
                 1.0, /*gradients=*/false);
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
  for (size_t s = 0; s < stageModules.size(); ++s) {
    int64_t stepSent = 0;
    for (auto function : stageModules[s].getOps<func::FuncOp>()) {
      std::map<std::string, CollectiveTally> tallies;
      function.walk([&](Operation *op) { tally(op, mesh, tallies); });
      StringRef fname = function.getSymName();
      const bool perMicroBatch = fname == "forward_backward" ||
                                 fname.starts_with("forward_step.") ||
                                 fname.starts_with("backward_step.");
      const int64_t calls = perMicroBatch ? microBatches : 1;
      for (const auto &[kind, t] : tallies) {
        os << llvm::format("  %-5zu %-18s %-26s %8lld %16s %16s\n", s,
                           fname.str().c_str(), kind.c_str(),
                           (long long)(t.count * calls),
                           mib(double(t.payload * calls)).c_str(),
                           mib(double(t.sent * calls)).c_str());
        if (fname != "forward" && !fname.starts_with("forward."))
          stepSent += t.sent * calls;
      }
    }
    os << "  per training step, each rank"
       << (stageModules.size() > 1 ? " of stage " + std::to_string(s) : "")
       << " sends " << mib(double(stepSent)) << "\n";
  }
  return success();
}

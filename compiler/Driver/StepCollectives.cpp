//===- StepCollectives.cpp - the collectives of one training step ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/StepCollectives.h"

#include "common/prompt_tasks.h"
#include "compiler/Driver/StageMemory.h"
#include "dialects/dist/IR/DistOps.h"
#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"

#include <map>
#include <tuple>

using namespace mlir;
using namespace mlir::strata;

int64_t MeshInfo::ranks() const {
  int64_t n = 1;
  for (int64_t s : shape)
    n *= s;
  return n;
}

int64_t MeshInfo::sizeOf(StringRef axis) const {
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] == axis)
      return shape[i];
  return 1;
}

MeshInfo mlir::strata::meshOf(ModuleOp module) {
  MeshInfo info;
  for (auto mesh : module.getOps<dist::MeshOp>()) {
    info.axes.clear();
    for (Attribute axis : mesh.getAxes())
      info.axes.push_back(cast<StringAttr>(axis).str());
    info.shape.assign(mesh.getShape().begin(), mesh.getShape().end());
  }
  return info;
}

namespace {

/// Per function: (kind, axes) -> the collective's tallies.
using Tallies =
    std::map<std::pair<std::string, std::vector<std::string>>, StepCollective>;

std::vector<std::string> axisNames(ArrayAttr axes) {
  std::vector<std::string> names;
  for (Attribute axis : axes)
    names.push_back(cast<StringAttr>(axis).str());
  return names;
}

int64_t groupSize(const MeshInfo &mesh, const std::vector<std::string> &axes) {
  int64_t n = 1;
  for (const std::string &axis : axes)
    n *= mesh.sizeOf(axis);
  return n;
}

void tally(Operation *op, const MeshInfo &mesh, SymbolTable &symbols,
           Tallies &out) {
  auto add = [&](StringRef kind, int64_t whole, std::vector<std::string> axes,
                 int64_t group, double factor) {
    StepCollective &t = out[{kind.str(), axes}];
    t.kind = kind.str();
    t.axes = std::move(axes);
    t.groupSize = group;
    ++t.count;
    t.payloadBytes += whole;
    if (group > 1)
      t.sentBytes += static_cast<int64_t>(factor * double(group - 1) /
                                          double(group) * double(whole));
  };
  auto collective = [&](StringRef kind, int64_t whole, ArrayAttr axes,
                        double factor) {
    std::vector<std::string> names = axisNames(axes);
    const int64_t group = groupSize(mesh, names);
    add(kind, whole, std::move(names), group, factor);
  };
  // One collective per listed parameter's local tensor (the runtime
  // buckets them; the bytes are the same). Gradient reductions move the
  // gradient slots (f32 under mixed precision O2), the parameter gather the
  // parameters.
  auto perParameter = [&](StringRef kind, ArrayAttr names, ArrayAttr axes,
                          double factor, bool gradients) {
    for (Attribute name : names)
      if (auto parameter = symbols.lookup<tfm::ParameterOp>(
              cast<SymbolRefAttr>(name).getRootReference()))
        collective(kind,
                   tensorBytes(gradients ? parameter.getGradType()
                                         : parameter.getLocalType()),
                   axes, factor);
  };
  if (auto o = dyn_cast<dist::AllReduceOp>(op))
    collective("all_reduce", tensorBytes(o.getType()), o.getAxes(), 2.0);
  else if (auto o = dyn_cast<dist::AllGatherOp>(op))
    collective("all_gather", tensorBytes(o.getType()), o.getAxes(), 1.0);
  else if (auto o = dyn_cast<dist::ReduceScatterOp>(op))
    collective("reduce_scatter", tensorBytes(o.getInput().getType()),
               o.getAxes(), 1.0);
  else if (auto o = dyn_cast<dist::SendOp>(op))
    add("send", tensorBytes(o.getInput().getType()), {}, 2, 2.0);
  else if (auto o = dyn_cast<dist::RecvOp>(op))
    add("recv", tensorBytes(o.getType()), {}, 1, 0.0);
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

int64_t mlir::strata::stepCallsOf(StringRef function, int64_t microBatches) {
  const bool perMicroBatch = function == "forward_backward" ||
                             function.starts_with("forward_step.") ||
                             function.starts_with("backward_step.");
  return perMicroBatch ? microBatches : 1;
}

bool mlir::strata::inTrainingStep(StringRef function) {
  // prompt_tables runs when a checkpoint is saved, not in a step.
  return function != "forward" && !function.starts_with("forward.") &&
         function != ::strata::kPromptTablesFunction;
}

std::vector<StepCollective>
mlir::strata::stepCollectives(ArrayRef<ModuleOp> stages, const MeshInfo &mesh,
                              int64_t microBatches) {
  std::vector<StepCollective> all;
  for (size_t s = 0; s < stages.size(); ++s) {
    ModuleOp stage = stages[s];
    // A table, not lookupSymbol: a stage lists hundreds of parameters.
    SymbolTable symbols(stage);
    for (auto function : stage.getOps<func::FuncOp>()) {
      Tallies tallies;
      function.walk([&](Operation *op) { tally(op, mesh, symbols, tallies); });
      StringRef name = function.getSymName();
      for (auto &[key, t] : tallies) {
        t.stage = int64_t(s);
        t.function = name.str();
        t.callsPerStep = stepCallsOf(name, microBatches);
        t.inTrainingStep = inTrainingStep(name);
        all.push_back(std::move(t));
      }
    }
  }
  return all;
}

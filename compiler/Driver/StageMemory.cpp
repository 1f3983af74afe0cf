//===- StageMemory.cpp - the memory of one pipeline stage's ranks ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/StageMemory.h"

#include "compiler/Pipeline/StagePrograms.h"
#include "runtime/executor/pipeline_schedule.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace mlir::strata;

namespace {

int64_t intAttr(ModuleOp module, StringRef name, int64_t fallback) {
  if (auto attr = module->getAttrOfType<IntegerAttr>(name))
    return attr.getInt();
  return fallback;
}

} // namespace

int64_t mlir::strata::tensorBytes(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return 0;
  return tensor.getNumElements() * ((tensor.getElementTypeBitWidth() + 7) / 8);
}

std::string StageMemory::layerRanges() const {
  std::string text;
  for (auto [first, count] : layers) {
    if (!text.empty())
      text += ",";
    text += std::to_string(first);
    if (count > 1)
      text += "-" + std::to_string(first + count - 1);
  }
  return text;
}

FailureOr<StageMemory> mlir::strata::planStage(ModuleOp stage, int64_t stages) {
  StageMemory memory;
  memory.stage = intAttr(stage, pipeline::kStageAttr, 0);
  const int64_t chunks = intAttr(stage, pipeline::kChunksAttr, 1);
  if (auto layers =
          stage->getAttrOfType<DenseI64ArrayAttr>(pipeline::kStageLayersAttr))
    for (int64_t i = 0; i + 1 < int64_t(layers.size()); i += 2)
      memory.layers.push_back({layers[i], layers[i + 1]});
  FailureOr<PlannedProgram> program = planProgram(stage);
  if (failed(program))
    return failure();
  memory.program = std::move(*program);

  memory.savedBytes.assign(chunks, 0);
  memory.inFlight.assign(chunks, 0);
  bool training = false;
  for (int64_t c = 0; c < chunks; ++c) {
    auto backward =
        stage.lookupSymbol<func::FuncOp>("backward_step." + std::to_string(c));
    if (!backward)
      continue;
    training = true;
    for (unsigned i = 0; i < backward.getNumArguments(); ++i)
      if (auto name = backward.getArgAttrOfType<StringAttr>(i, "tfm.name");
          name && name.getValue() == "saved")
        memory.savedBytes[c] += tensorBytes(backward.getArgument(i).getType());
  }
  if (!training)
    return memory;
  const int64_t microBatches = intAttr(stage, "tfm.micro_batches", 1);
  auto schedule = ::strata::runtime::pipelineSchedule(
      static_cast<int>(stages), static_cast<int>(memory.stage),
      static_cast<int>(chunks), microBatches);
  if (!schedule.isOk())
    return stage.emitError()
           << "pipeline schedule: " << schedule.status().message();
  std::vector<int64_t> inFlight =
      ::strata::runtime::inFlightMicroBatches(*schedule, int(chunks));
  memory.inFlight.assign(inFlight.begin(), inFlight.end());
  return memory;
}

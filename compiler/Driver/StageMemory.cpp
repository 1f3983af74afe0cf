//===- StageMemory.cpp - the memory of one pipeline stage's ranks ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/StageMemory.h"

#include "compiler/Pipeline/StagePrograms.h"

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

FailureOr<StageMemory> mlir::strata::planStage(ModuleOp stage,
                                                bool verifyPasses,
                                                bool inPlace) {
  StageMemory memory;
  memory.stage = intAttr(stage, pipeline::kStageAttr, 0);
  if (auto layers =
          stage->getAttrOfType<DenseI64ArrayAttr>(pipeline::kStageLayersAttr))
    for (int64_t i = 0; i + 1 < int64_t(layers.size()); i += 2)
      memory.layers.push_back({layers[i], layers[i + 1]});
  FailureOr<PlannedProgram> program =
      planProgram(stage, verifyPasses, inPlace);
  if (failed(program))
    return failure();
  memory.program = std::move(*program);
  for (const StashChunk &chunk : memory.program.assignment.stash) {
    int64_t bytes = 0;
    for (int64_t id : chunk.slots.front())
      bytes += int64_t(memory.program.assignment.buffers[id].size);
    memory.savedBytes.push_back(bytes);
    memory.stashSlots.push_back(int64_t(chunk.slots.size()));
  }
  return memory;
}

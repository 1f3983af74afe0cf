//===- MemoryReport.cpp - strata-compile --report=memory ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/MemoryReport.h"

#include "compiler/Driver/StageMemory.h"
#include "compiler/Lowering/PlannedProgram.h"
#include "compiler/Pipeline/StagePrograms.h"
#include "dialects/tfm/IR/TfmOps.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace mlir::strata;
namespace planning = ::strata::planning;

namespace {

void printBytes(llvm::raw_ostream &os, size_t bytes) {
  os << llvm::format("%14zu B  %10.2f MiB", bytes, bytes / (1024.0 * 1024.0));
}

} // namespace

namespace {

/// Elements of the rank's parameters (its blocks under tensor parallelism).
int64_t localParameterElements(ModuleOp module) {
  int64_t elements = 0;
  for (auto parameter : module.getOps<tfm::ParameterOp>())
    elements += parameter.getLocalType().getNumElements();
  return elements;
}

/// Trainable elements of the rank's parameters: all of them, or the adapters
/// of prompt learning and LoRA on a frozen base.
int64_t localTrainableElements(ModuleOp module) {
  int64_t elements = 0;
  for (auto parameter : module.getOps<tfm::ParameterOp>())
    if (parameter.getTrainable())
      elements += parameter.getLocalType().getNumElements();
  return elements;
}

/// "trainable parameters  3328 of 7251968 (0.046%)" when a frozen base
/// makes them differ.
void printTrainableFraction(llvm::raw_ostream &os, ModuleOp module) {
  // Inference trains nothing (and its int8 weights are never trainable).
  if (module.lookupSymbol("decode"))
    return;
  const int64_t all = localParameterElements(module);
  const int64_t trainable = localTrainableElements(module);
  if (trainable == all || all == 0)
    return;
  os << "  trainable parameters " << trainable << " of " << all << " elements"
     << llvm::format(" (%.3f%%)", 100.0 * double(trainable) / double(all))
     << " on this rank; the rest are frozen (no gradient, no optimizer "
        "state)\n";
}

/// The persistent training state by kind, in bytes per parameter of the
/// rank: Megatron-LM's accounting (with the distributed optimizer over d
/// ranks, bf16 parameters with f32 gradients: 2 + 4 + 12 / d).
void printStatePerParameter(llvm::raw_ostream &os, int64_t elements,
                            const planning::MemoryPlan &plan) {
  using planning::BufferCategory;
  if (elements == 0 || plan.peak(BufferCategory::Gradient) == 0)
    return;
  static constexpr std::pair<BufferCategory, const char *> kinds[] = {
      {BufferCategory::Parameter, "model parameters"},
      {BufferCategory::MainParameter, "main parameters"},
      {BufferCategory::Gradient, "gradients"},
      {BufferCategory::OptimizerState, "moments"}};
  os << "  training state per parameter (" << elements
     << " parameter elements on this rank)\n";
  size_t total = 0;
  for (auto [category, label] : kinds) {
    total += plan.peak(category);
    os << "    " << llvm::left_justify(label, 17)
       << llvm::format("%8.3f B\n", double(plan.peak(category)) / elements);
  }
  os << "    " << llvm::left_justify("total", 17)
     << llvm::format("%8.3f B", double(total) / elements)
     << "  (persistent: parameters, main parameters, gradients, moments)\n";
}

/// What the gradient buckets cost: the arena of the same buffers without
/// them, planned again. They normally fit in activation memory that is dead
/// at their instructions; a program whose activations are smaller than its
/// largest bucket pays for it.
void printBucketCost(llvm::raw_ostream &os,
                     const std::vector<planning::Buffer> &buffers,
                     const planning::MemoryPlan &plan) {
  using planning::BufferCategory;
  if (plan.peak(BufferCategory::GradientBucket) == 0)
    return;
  std::vector<planning::Buffer> others;
  for (const planning::Buffer &buffer : buffers)
    if (buffer.category != BufferCategory::GradientBucket)
      others.push_back(buffer);
  std::optional<planning::MemoryPlan> without = planning::planMemory(others);
  os << "  gradient buckets   ";
  if (!without || without->arenaBytes >= plan.arenaBytes) {
    os << "reuse memory dead at their instructions (no extra arena)\n";
    return;
  }
  printBytes(os, plan.arenaBytes - without->arenaBytes);
  os << "  (extra arena: the largest bucket outgrows the activations)\n";
}

/// Int8 weight-only quantization (--quantize): the rank's parameter bytes
/// beside those of the same parameters without it (the i8 weights in the
/// model's float type, no scales). Nothing for a module without i8 weights.
void printQuantizedParameters(llvm::raw_ostream &os, ModuleOp module) {
  int64_t int8Elements = 0, scaleBytes = 0, bytes = 0, otherBytes = 0;
  llvm::StringSet<> scales;
  Type modelType;
  for (auto parameter : module.getOps<tfm::ParameterOp>())
    if (parameter.getScalesAttr())
      scales.insert(parameter.getScalesAttr().getValue());
  for (auto parameter : module.getOps<tfm::ParameterOp>()) {
    RankedTensorType local = parameter.getLocalType();
    const int64_t size =
        local.getNumElements() * local.getElementTypeBitWidth() / 8;
    bytes += size;
    if (local.getElementType().isInteger(8))
      int8Elements += local.getNumElements();
    else if (scales.contains(parameter.getSymName()))
      scaleBytes += size;
    else {
      otherBytes += size;
      if (!modelType)
        modelType = local.getElementType();
    }
  }
  if (int8Elements == 0)
    return;
  const int64_t width = modelType ? modelType.getIntOrFloatBitWidth() / 8 : 4;
  const int64_t unquantized = otherBytes + int8Elements * width;
  os << "  int8 weight-only   " << int8Elements
     << " weight elements int8, their f32 scales " << scaleBytes
     << " B; parameters " << bytes << " B = "
     << llvm::format("%.3f", double(bytes) / double(unquantized))
     << "x the " << unquantized << " B unquantized ("
     << (modelType ? modelType : Type()) << " weights)\n";
}

void printPlan(llvm::raw_ostream &os, StringRef name,
               const BufferAssignment *assignment,
               const planning::MemoryPlan *plan) {
  os << "memory plan of " << name << " (" << assignment->buffers.size()
     << " buffers, one arena)\n";
  os << "  arena              ";
  printBytes(os, plan->arenaBytes);
  os << "\n";
  for (planning::BufferCategory category : planning::kAllBufferCategories) {
    os << "  "
       << llvm::left_justify(planning::stringifyBufferCategory(category), 18)
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
  printBucketCost(os, assignment->buffers, *plan);
}

} // namespace

LogicalResult mlir::strata::printMemoryReport(ModuleOp module,
                                              llvm::raw_ostream &os) {
  StringRef name = module.getName() ? *module.getName() : "module";
  SmallVector<ModuleOp> stages = pipeline::pipelineStages(module);
  if (stages.empty()) {
    FailureOr<PlannedProgram> program = planProgram(module);
    if (failed(program))
      return failure();
    printPlan(os, name, &program->assignment, &program->plan);
    printQuantizedParameters(os, module);
    printStatePerParameter(os, localParameterElements(module), program->plan);
    printTrainableFraction(os, module);
    return success();
  }
  // One plan per pipeline stage; its arena holds the saved values of the
  // micro-batches in flight (pipeline_stash), shown per chunk.
  for (ModuleOp stage : stages) {
    FailureOr<StageMemory> memory = planStage(stage);
    if (failed(memory))
      return failure();
    const std::string title = name.str() + ", pipeline stage " +
                              std::to_string(memory->stage) + " (layers " +
                              memory->layerRanges() + ")";
    printPlan(os, title, &memory->program.assignment, &memory->program.plan);
    printStatePerParameter(os, localParameterElements(stage),
                           memory->program.plan);
    printTrainableFraction(os, stage);
    for (size_t c = 0; c < memory->savedBytes.size(); ++c)
      os << "  chunk " << c << ": " << memory->stashSlots[c] << " stash slot"
         << (memory->stashSlots[c] == 1 ? "" : "s")
         << " (micro-batches in flight) x "
         << llvm::format("%.2f MiB", memory->savedBytes[c] / (1024.0 * 1024.0))
         << " saved\n";
    os << "  activation total   ";
    printBytes(os, size_t(memory->stashBytes()) +
                       memory->program.plan.peak(
                           planning::BufferCategory::Activation));
    os << "  (pipeline_stash + activation peak)\n\n";
  }
  return success();
}

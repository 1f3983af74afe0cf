//===- BufferAssignmentTest.cpp - buffers and plans of real programs ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Lowering/BufferAssignment.h"
#include "compiler/Testing/TinyModels.h"

#include "compiler/Lowering/PlannedProgram.h"
#include "compiler/Pipeline/StagePrograms.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/tfm/IR/TfmOps.h"
#include "frontends/tfmgen/TfmGen.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <gtest/gtest.h>

#include <set>

using namespace mlir;
using namespace mlir::strata;
namespace planning = ::strata::planning;

namespace {

::strata::frontend::ModelDescription tinyGpt() {
  return ::strata::testing::tinyGpt(/*layers=*/3);
}

class BufferAssignmentTest : public ::testing::Test {
protected:
  OwningOpRef<ModuleOp>
  trainingModule(bool flatten,
                 ::strata::frontend::ModelDescription description = tinyGpt()) {
    OwningOpRef<ModuleOp> module =
        ::strata::frontend::emitTfmModule(description, context);
    PassManager pm(&context);
    pm.addPass(createDeriveTrainingPass());
    if (flatten) {
      pm.addPass(createFlattenLayersPass());
      pm.addPass(createCSEPass());
    }
    EXPECT_TRUE(succeeded(pm.run(*module)));
    return module;
  }
  /// The tiny GPT of |layers| layers and |microBatches| micro-batches of 2
  /// cut into 2 pipeline stages (strata-pipeline).
  OwningOpRef<ModuleOp> pipelineModule(int64_t layers, int64_t microBatches) {
    ::strata::frontend::ModelDescription d = ::strata::testing::tinyGpt(layers);
    d.pipelineParallelSize = 2;
    d.globalBatchSize = 2 * microBatches;
    OwningOpRef<ModuleOp> module =
        ::strata::frontend::emitTfmModule(d, context);
    PassManager pm(&context);
    pm.addPass(createDeriveTrainingPass());
    pm.addPass(createPartitionPass());
    pm.addPass(createPipelineStagesPass());
    EXPECT_TRUE(succeeded(pm.run(*module)));
    return module;
  }
  /// The tiny GPT over dp 2 (partitioned), with the distributed optimizer
  /// when |distributed|, in |precision| (O2 for 16-bit types).
  OwningOpRef<ModuleOp>
  dataParallelModule(bool distributed,
                     ::strata::frontend::Precision precision =
                         ::strata::frontend::Precision::FP32) {
    ::strata::frontend::ModelDescription d = tinyGpt();
    d.dataParallelSize = 2;
    d.globalBatchSize = 4;
    d.distributedOptimizer = distributed;
    d.precision = precision;
    if (precision != ::strata::frontend::Precision::FP32)
      d.mixedPrecision = ::strata::frontend::MixedPrecision::O2;
    OwningOpRef<ModuleOp> module =
        ::strata::frontend::emitTfmModule(d, context);
    PassManager pm(&context);
    pm.addPass(createDeriveTrainingPass());
    pm.addPass(createPartitionPass());
    EXPECT_TRUE(succeeded(pm.run(*module)));
    return module;
  }
  MLIRContext context;
};

TEST_F(BufferAssignmentTest, LivenessReuseLowersTheActivationPeak) {
  OwningOpRef<ModuleOp> module = trainingModule(/*flatten=*/true);
  FailureOr<BufferAssignment> assignment = assignBuffers(*module);
  ASSERT_TRUE(succeeded(assignment));
  std::optional<planning::MemoryPlan> plan =
      planning::planMemory(assignment->buffers);
  ASSERT_TRUE(plan);
  EXPECT_FALSE(planning::verify(*plan, assignment->buffers));
  size_t sumOfActivations = 0;
  for (const planning::Buffer &buffer : assignment->buffers)
    if (buffer.category == planning::BufferCategory::Activation)
      sumOfActivations += buffer.size;
  EXPECT_LT(plan->peak(planning::BufferCategory::Activation),
            sumOfActivations / 2);
  EXPECT_LE(plan->transientBytes, sumOfActivations);
  EXPECT_GE(plan->transientBytes, plan->transientLowerBound);
}

TEST_F(BufferAssignmentTest, EveryTrainableParameterHasItsSlots) {
  OwningOpRef<ModuleOp> module = trainingModule(/*flatten=*/true);
  FailureOr<BufferAssignment> assignment = assignBuffers(*module);
  ASSERT_TRUE(succeeded(assignment));
  int64_t parameterBytes = 0;
  module->walk([&](tfm::ParameterOp op) {
    const ParameterSlots &slots =
        assignment->parameters.lookup(op.getSymName());
    ASSERT_GE(slots.grad, 0) << op.getSymName().str();
    const auto &value = assignment->buffers[slots.value];
    for (int64_t slot : {slots.grad, slots.adamM, slots.adamV})
      EXPECT_EQ(assignment->buffers[slot].size, value.size);
    EXPECT_EQ(assignment->buffers[slots.grad].category,
              planning::BufferCategory::Gradient);
    parameterBytes += value.size;
  });
  std::optional<planning::MemoryPlan> plan =
      planning::planMemory(assignment->buffers);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->peak(planning::BufferCategory::Parameter), parameterBytes);
  EXPECT_EQ(plan->peak(planning::BufferCategory::OptimizerState),
            2 * parameterBytes);
  // Parameter reads are the parameters' own buffers.
  module->walk([&](tfm::ParamRefOp ref) {
    EXPECT_EQ(assignment->bufferOf.lookup(ref.getResult()),
              assignment->parameters.lookup(ref.getName()).value);
  });
}

TEST_F(BufferAssignmentTest, LogitsGradientOverwritesTheLogits) {
  OwningOpRef<ModuleOp> module = trainingModule(/*flatten=*/true);
  FailureOr<BufferAssignment> assignment = assignBuffers(*module);
  ASSERT_TRUE(succeeded(assignment));
  int64_t found = 0;
  module->walk([&](tfm::CrossEntropyGradOp op) {
    ++found;
    int64_t logits = assignment->bufferOf.lookup(op.getLogits());
    const planning::Buffer &grad =
        assignment->buffers[assignment->bufferOf.lookup(op.getLogitsGrad())];
    EXPECT_NE(grad.id, logits);
    EXPECT_EQ(grad.aliasOf, std::optional<int64_t>(logits));
    EXPECT_EQ(grad.size, assignment->buffers[logits].size);
  });
  EXPECT_EQ(found, 1);
  std::optional<planning::MemoryPlan> plan =
      planning::planMemory(assignment->buffers);
  ASSERT_TRUE(plan);
  EXPECT_FALSE(planning::verify(*plan, assignment->buffers));
}

TEST_F(BufferAssignmentTest, LogitsReadLaterAreNotOverwritten) {
  context.loadDialect<tfm::TfmDialect, func::FuncDialect>();
  // The logits are returned (read after the gradient), then read again by
  // a second gradient: both keep their own buffers.
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(R"mlir(
    func.func @f(%logits: tensor<2x5xf32>, %labels: tensor<2xi32>,
                 %g: tensor<f32>, %x: tensor<2x5xf32>)
        -> (tensor<2x5xf32>, tensor<2x5xf32>, tensor<2x5xf32>) {
      %l = tfm.add %logits, %x : tensor<2x5xf32>
      %d = tfm.cross_entropy_grad mean %l, %labels, %g : tensor<2x5xf32>, tensor<2xi32>, tensor<f32>
      %m = tfm.add %x, %x : tensor<2x5xf32>
      %d1 = tfm.cross_entropy_grad mean %m, %labels, %g : tensor<2x5xf32>, tensor<2xi32>, tensor<f32>
      %d2 = tfm.cross_entropy_grad mean %m, %labels, %g : tensor<2x5xf32>, tensor<2xi32>, tensor<f32>
      return %l, %d1, %d2 : tensor<2x5xf32>, tensor<2x5xf32>, tensor<2x5xf32>
    })mlir",
                                                             &context);
  ASSERT_TRUE(module);
  FailureOr<BufferAssignment> assignment = assignBuffers(*module);
  ASSERT_TRUE(succeeded(assignment));
  std::vector<std::optional<int64_t>> aliases;
  module->walk([&](tfm::CrossEntropyGradOp op) {
    aliases.push_back(
        assignment->buffers[assignment->bufferOf.lookup(op.getLogitsGrad())]
            .aliasOf);
  });
  ASSERT_EQ(aliases.size(), 3u);
  EXPECT_FALSE(aliases[0]); // %l is returned
  EXPECT_FALSE(aliases[1]); // %m is read again by the next op
  // The last reader of %m overwrites it.
  EXPECT_TRUE(aliases[2]);
}

TEST_F(BufferAssignmentTest, FusedOpsGetABufferPerResult) {
  // planProgram fuses (strata-tfm-fuse-elementwise): the two-result
  // gradients of the fused chains get two buffers of their results' sizes.
  OwningOpRef<ModuleOp> module = trainingModule(/*flatten=*/false);
  FailureOr<PlannedProgram> program = planProgram(*module);
  ASSERT_TRUE(succeeded(program));
  int64_t fused = 0;
  program->module->walk([&](Operation *op) {
    if (!isa<tfm::BiasGeluGradOp, tfm::BiasDropoutAddGradOp>(op))
      return;
    ++fused;
    int64_t dx = program->assignment.bufferOf.lookup(op->getResult(0));
    int64_t db = program->assignment.bufferOf.lookup(op->getResult(1));
    EXPECT_NE(dx, db);
    EXPECT_EQ(
        program->assignment.buffers[dx].size,
        cast<RankedTensorType>(op->getResult(0).getType()).getNumElements() *
            sizeof(float));
    EXPECT_EQ(
        program->assignment.buffers[db].size,
        cast<RankedTensorType>(op->getResult(1).getType()).getNumElements() *
            sizeof(float));
  });
  // Per layer: fc1's GELU gradient and two dropout gradients.
  EXPECT_EQ(fused, 3 * 3);
}

TEST_F(BufferAssignmentTest, LayersMustBeFlattenedFirst) {
  OwningOpRef<ModuleOp> module = trainingModule(/*flatten=*/false);
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diagnostic) {
    message = diagnostic.str();
    return success();
  });
  EXPECT_TRUE(failed(assignBuffers(*module)));
  EXPECT_NE(message.find("must be flattened"), std::string::npos) << message;
}

TEST_F(BufferAssignmentTest, MainParametersArePersistentF32SlotsUnderO2) {
  // bf16 parameters with f32 main parameters: the gradient and moment
  // slots and the main parameter take 4 bytes per element, the value 2.
  ::strata::frontend::ModelDescription d = tinyGpt();
  d.precision = ::strata::frontend::Precision::BF16;
  d.mixedPrecision = ::strata::frontend::MixedPrecision::O2;
  OwningOpRef<ModuleOp> module = trainingModule(/*flatten=*/true, d);
  FailureOr<BufferAssignment> assignment = assignBuffers(*module);
  ASSERT_TRUE(succeeded(assignment));
  size_t values = 0;
  for (auto parameter : module->getOps<tfm::ParameterOp>()) {
    const ParameterSlots &slots =
        assignment->parameters.lookup(parameter.getSymName());
    ASSERT_GE(slots.main, 0) << parameter.getSymName().str();
    const planning::Buffer &value = assignment->buffers[slots.value];
    const planning::Buffer &main = assignment->buffers[slots.main];
    EXPECT_EQ(main.category, planning::BufferCategory::MainParameter);
    EXPECT_EQ(main.size, 2 * value.size);
    EXPECT_EQ(assignment->buffers[slots.grad].size, 2 * value.size);
    EXPECT_EQ(assignment->buffers[slots.adamM].size, 2 * value.size);
    values += value.size;
  }
  std::optional<planning::MemoryPlan> plan =
      planning::planMemory(assignment->buffers);
  ASSERT_TRUE(plan);
  EXPECT_FALSE(planning::verify(*plan, assignment->buffers));
  EXPECT_TRUE(planning::isPersistent(planning::BufferCategory::MainParameter));
  EXPECT_EQ(plan->peak(planning::BufferCategory::MainParameter), 2 * values);
  // 2 + 4 + 4 + 8 bytes per parameter without the distributed optimizer.
  EXPECT_EQ(plan->peak(planning::BufferCategory::Parameter) +
                plan->peak(planning::BufferCategory::MainParameter) +
                plan->peak(planning::BufferCategory::Gradient) +
                plan->peak(planning::BufferCategory::OptimizerState),
            9 * values);
}

TEST_F(BufferAssignmentTest, F32ProgramsHaveNoMainParameters) {
  OwningOpRef<ModuleOp> module = trainingModule(/*flatten=*/true);
  FailureOr<BufferAssignment> assignment = assignBuffers(*module);
  ASSERT_TRUE(succeeded(assignment));
  for (const auto &entry : assignment->parameters)
    EXPECT_EQ(entry.second.main, -1) << entry.first().str();
}

/// The gradient collectives over dp 2 each get a gradient bucket: transient,
/// live at their own instruction only, as large as the runtime's rule says
/// (the tiny GPT's gradients are far below 16 MiB: all of them), of the
/// slots' element type.
TEST_F(BufferAssignmentTest, GradientCollectivesGetABucketLiveAtThemOnly) {
  using ::strata::frontend::Precision;
  for (auto [distributed, precision] :
       {std::pair{false, Precision::FP32}, std::pair{true, Precision::FP32},
        std::pair{true, Precision::BF16}}) {
    SCOPED_TRACE(std::string(distributed ? "distributed" : "replicated") +
                 (precision == Precision::BF16 ? ", bf16 O2" : ""));
    OwningOpRef<ModuleOp> module = dataParallelModule(distributed, precision);
    FailureOr<PlannedProgram> program = planProgram(*module);
    ASSERT_TRUE(succeeded(program));
    const BufferAssignment &assignment = program->assignment;
    size_t gradients = 0, values = 0;
    for (const auto &entry : assignment.parameters) {
      gradients += assignment.buffers[entry.second.grad].size;
      values += assignment.buffers[entry.second.value].size;
    }
    // reduce_grads or reduce_scatter_grads; gather_params under the
    // distributed optimizer (every tiny-GPT parameter divides by 2).
    ASSERT_EQ(assignment.buckets.size(), distributed ? 2u : 1u);
    size_t largest = 0;
    std::set<int64_t> instructions;
    for (const auto &[op, bucket] : assignment.buckets) {
      const bool gather = isa<tfm::GatherParamsOp>(op);
      EXPECT_TRUE(gather || isa<tfm::ReduceGradsOp>(op) ||
                  isa<tfm::ReduceScatterGradsOp>(op));
      const planning::Buffer &buffer = assignment.buffers[bucket.buffer];
      EXPECT_EQ(buffer.category, planning::BufferCategory::GradientBucket);
      EXPECT_FALSE(planning::isPersistent(buffer.category));
      EXPECT_EQ(buffer.firstUse, buffer.lastUse);
      EXPECT_TRUE(instructions.insert(buffer.firstUse).second);
      EXPECT_EQ(buffer.size, gather ? values : gradients);
      // Gradients are F32 under O2, the values BF16.
      const bool bf16 = gather && precision == Precision::BF16;
      EXPECT_EQ(bucket.type.getElementType().isBF16(), bf16);
      EXPECT_EQ(bucket.type.getNumElements() * (bf16 ? 2 : 4),
                int64_t(buffer.size));
      EXPECT_NE(buffer.name.find(gather ? "optimizer_step.gather_params.bucket"
                                        : "reduce_gradients."),
                std::string::npos)
          << buffer.name;
      largest = std::max(largest, buffer.size);
    }
    EXPECT_EQ(program->plan.peak(planning::BufferCategory::GradientBucket),
              largest);
    // Nothing else of the program is live at a bucket's instruction but
    // persistent buffers: it shares its memory with the activations.
    for (const planning::Buffer &buffer : assignment.buffers) {
      if (planning::isPersistent(buffer.category) ||
          buffer.category == planning::BufferCategory::GradientBucket)
        continue;
      for (int64_t at : instructions)
        EXPECT_FALSE(buffer.firstUse <= at && at <= buffer.lastUse)
            << buffer.name << " is live at bucket instruction " << at;
    }
  }
}

TEST_F(BufferAssignmentTest, OneRankHasNoGradientBuckets) {
  OwningOpRef<ModuleOp> module = trainingModule(/*flatten=*/true);
  FailureOr<BufferAssignment> assignment = assignBuffers(*module);
  ASSERT_TRUE(succeeded(assignment));
  EXPECT_TRUE(assignment->buckets.empty());
}

/// Stage 0 of 2 (4 layers, 4 micro-batches) keeps 2 micro-batches' saved
/// values in flight under 1F1B, stage 1 one: each slot its own buffers in
/// the arena, the backward step's saved arguments slot 0's.
TEST_F(BufferAssignmentTest, PipelineStagesKeepTheirStashInTheArena) {
  OwningOpRef<ModuleOp> module =
      pipelineModule(/*layers=*/4, /*microBatches=*/4);
  SmallVector<ModuleOp> stages = pipeline::pipelineStages(*module);
  ASSERT_EQ(stages.size(), 2u);
  for (auto [s, stage] : llvm::enumerate(stages)) {
    SCOPED_TRACE("stage " + std::to_string(s));
    FailureOr<PlannedProgram> program = planProgram(stage);
    ASSERT_TRUE(succeeded(program));
    const BufferAssignment &assignment = program->assignment;
    ASSERT_EQ(assignment.stash.size(), 1u);
    const std::vector<std::vector<int64_t>> &slots = assignment.stash[0].slots;
    ASSERT_EQ(slots.size(), 2 - s);
    auto backward =
        program->module->lookupSymbol<func::FuncOp>("backward_step.0");
    const unsigned saved = backward.getNumArguments() - 4;
    ASSERT_GT(saved, 0u);
    size_t slotBytes = 0;
    std::set<int64_t> distinct;
    for (const std::vector<int64_t> &slot : slots) {
      ASSERT_EQ(slot.size(), saved);
      for (auto [i, id] : llvm::enumerate(slot)) {
        const planning::Buffer &buffer = assignment.buffers[id];
        EXPECT_EQ(buffer.category, planning::BufferCategory::PipelineStash);
        EXPECT_EQ(buffer.size, assignment.buffers[slots[0][i]].size);
        EXPECT_TRUE(distinct.insert(id).second);
        if (&slot == &slots.front())
          slotBytes += buffer.size;
      }
    }
    for (unsigned i = 0; i < saved; ++i)
      EXPECT_EQ(assignment.bufferOf.lookup(backward.getArgument(4 + i)),
                slots[0][i]);
    EXPECT_EQ(program->plan.peak(planning::BufferCategory::PipelineStash),
              slotBytes * slots.size());
  }
}

TEST_F(BufferAssignmentTest, PipelineStepsNeedTheirStashSlots) {
  OwningOpRef<ModuleOp> module =
      pipelineModule(/*layers=*/2, /*microBatches=*/1);
  ModuleOp stage = pipeline::pipelineStages(*module).front();
  stage->removeAttr(pipeline::kStashSlotsAttr);
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diagnostic) {
    message = diagnostic.str();
    return success();
  });
  EXPECT_TRUE(failed(planProgram(stage)));
  EXPECT_EQ(message, "has the step functions of 1 pipeline chunks but 0 "
                     "chunks' stash slots (dist.pipeline_stash_slots, set by "
                     "strata-pipeline)");
}

} // namespace

TEST_F(BufferAssignmentTest, ACudaTargetAlignsEveryBufferTo256Bytes) {
  // strata-compile --target cuda records the target on the module; the
  // plan then aligns every buffer for cuBLASLt and vector loads.
  OwningOpRef<ModuleOp> module = trainingModule(/*flatten=*/false);
  EXPECT_EQ(bufferAlignmentOf(*module), kBufferAlignment);
  (*module)->setAttr("tfm.target", StringAttr::get(&context, "cuda:sm_90"));
  EXPECT_EQ(bufferAlignmentOf(*module), 256u);
  FailureOr<PlannedProgram> program = planProgram(*module);
  ASSERT_TRUE(succeeded(program));
  size_t misaligned = 0;
  for (const planning::Buffer &buffer : program->assignment.buffers) {
    EXPECT_EQ(buffer.alignment, 256u) << buffer.name;
    misaligned += program->plan.offsets[buffer.id] % 256 != 0;
  }
  EXPECT_EQ(misaligned, 0u);
}

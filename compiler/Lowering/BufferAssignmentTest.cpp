//===- BufferAssignmentTest.cpp - buffers and plans of real programs ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Lowering/BufferAssignment.h"
#include "compiler/Testing/TinyModels.h"

#include "compiler/Lowering/PlannedProgram.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/tfm/IR/TfmOps.h"
#include "frontends/tfmgen/TfmGen.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <gtest/gtest.h>

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

} // namespace

//===- BufferAssignmentTest.cpp - buffers and plans of real programs ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Lowering/BufferAssignment.h"

#include "compiler/Transforms/Passes.h"
#include "dialects/tfm/IR/TfmOps.h"
#include "frontends/tfmgen/TfmGen.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::strata;
namespace planning = ::strata::planning;

namespace {

::strata::frontend::ModelDescription tinyGpt() {
  ::strata::frontend::ModelDescription d;
  d.name = "tiny";
  d.numLayers = 3;
  d.hiddenSize = 30;
  d.ffnHiddenSize = 90;
  d.numAttentionHeads = 3;
  d.numQueryGroups = 3;
  d.headDim = 10;
  d.seqLength = 11;
  d.maxPositionEmbeddings = 11;
  d.paddedVocabSize = 37;
  d.microBatchSize = 2;
  d.globalBatchSize = 2;
  return d;
}

class BufferAssignmentTest : public ::testing::Test {
protected:
  OwningOpRef<ModuleOp> trainingModule(bool flatten) {
    OwningOpRef<ModuleOp> module =
        ::strata::frontend::emitTfmModule(tinyGpt(), context);
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

} // namespace

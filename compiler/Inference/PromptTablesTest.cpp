//===- PromptTablesTest.cpp - p-tuning's tables as a function -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Inference/PromptTables.h"
#include "compiler/Testing/TinyModels.h"

#include "dialects/tfm/IR/TfmOps.h"
#include "frontends/tfmgen/TfmGen.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::strata;
using ::strata::VirtualPromptStyle;
using ::strata::frontend::ModelDescription;
using ::strata::frontend::PTuningSettings;

namespace {

/// The tiny GPT with a new task t0 (3 virtual tokens) and an existing,
/// frozen task t1 (2) in |style|.
ModelDescription withTasks(VirtualPromptStyle style) {
  ModelDescription d = ::strata::testing::tinyGpt();
  d.seqLength = 4;
  return ::strata::testing::withTasks(d, style, /*bothTrained=*/false);
}

int64_t count(func::FuncOp function, StringRef name) {
  int64_t n = 0;
  function.walk(
      [&](Operation *op) { n += op->getName().getStringRef() == name; });
  return n;
}

class PromptTablesTest : public ::testing::Test {
protected:
  func::FuncOp forwardOf(ModuleOp module) {
    return module.lookupSymbol<func::FuncOp>(
        ::strata::frontend::kForwardFunctionName);
  }
  MLIRContext context;
};

TEST_F(PromptTablesTest, PTuningReturnsEachNewTasksEncoderOutput) {
  for (auto encoder : {PTuningSettings::EncoderType::Mlp,
                       PTuningSettings::EncoderType::Lstm}) {
    const bool lstm = encoder == PTuningSettings::EncoderType::Lstm;
    SCOPED_TRACE(lstm ? "lstm" : "mlp");
    ModelDescription d = withTasks(VirtualPromptStyle::PTuning);
    d.pTuning.encoderType = encoder;
    d.pTuning.numLayers = 2;
    d.pTuning.encoderHidden = 8;
    d.pTuning.dropout = 0.1; // between the LSTM's layers: off in the copy
    OwningOpRef<ModuleOp> module =
        ::strata::frontend::emitTfmModule(d, context);
    func::FuncOp forward = forwardOf(*module);
    const int64_t forwardOps = count(forward, "tfm.lstm");
    FailureOr<func::FuncOp> tables = addPromptTablesFunction(forward);
    ASSERT_TRUE(succeeded(tables));
    ASSERT_TRUE(*tables);
    EXPECT_EQ(tables->getSymName(), "prompt_tables");
    FunctionType type = tables->getFunctionType();
    EXPECT_EQ(type.getNumInputs(), 0u);
    // t1 is an existing task: its table is a parameter already.
    ASSERT_EQ(type.getNumResults(), 1u);
    EXPECT_EQ(cast<RankedTensorType>(type.getResult(0)).getShape(),
              ArrayRef<int64_t>({3, d.hiddenSize}));
    EXPECT_EQ(tables->getResultAttrOfType<StringAttr>(0, "tfm.name").getValue(),
              "prompt_table.t0.weight");
    EXPECT_EQ(count(*tables, "tfm.dropout"), 0);
    EXPECT_EQ(count(*tables, "tfm.lstm"), lstm ? 2 : 0);
    EXPECT_EQ(count(*tables, "tfm.relu"), 1); // between two linear layers
    // forward is unchanged: it still computes and inserts the table.
    EXPECT_EQ(count(forward, "tfm.lstm"), forwardOps);
    EXPECT_EQ(count(forward, "tfm.insert_virtual_tokens"), 2);
    EXPECT_TRUE(succeeded(verify(*module)));
  }
}

TEST_F(PromptTablesTest, PromptTuningHasNone) {
  OwningOpRef<ModuleOp> module = ::strata::frontend::emitTfmModule(
      withTasks(VirtualPromptStyle::PromptTuning), context);
  FailureOr<func::FuncOp> tables = addPromptTablesFunction(forwardOf(*module));
  ASSERT_TRUE(succeeded(tables));
  EXPECT_FALSE(*tables);
  EXPECT_FALSE(module->lookupSymbol("prompt_tables"));
}

TEST_F(PromptTablesTest, AModelWithoutTasksHasNone) {
  OwningOpRef<ModuleOp> module =
      ::strata::frontend::emitTfmModule(::strata::testing::tinyGpt(), context);
  FailureOr<func::FuncOp> tables = addPromptTablesFunction(forwardOf(*module));
  ASSERT_TRUE(succeeded(tables));
  EXPECT_FALSE(*tables);
}

} // namespace

//===- VirtualTokensTest.cpp - functions without virtual tokens -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Inference/VirtualTokens.h"
#include "compiler/Testing/TinyModels.h"

#include "dialects/tfm/IR/TfmOps.h"
#include "frontends/tfmgen/TfmGen.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::strata;
using ::strata::VirtualPromptStyle;
using ::strata::frontend::ModelDescription;
using ::strata::frontend::PTuningSettings;

namespace {

/// The tiny GPT at one position (a decode step) with two tasks of 3 and 2
/// virtual tokens in |style|.
ModelDescription withTasks(VirtualPromptStyle style) {
  ModelDescription d = ::strata::testing::tinyGpt();
  d.seqLength = 1;
  return ::strata::testing::withTasks(d, style);
}

class VirtualTokensTest : public ::testing::Test {
protected:
  func::FuncOp forwardOf(ModuleOp module) {
    return module.lookupSymbol<func::FuncOp>(
        ::strata::frontend::kForwardFunctionName);
  }

  /// The ops of |function| named |name|.
  static int64_t count(func::FuncOp function, StringRef name) {
    int64_t n = 0;
    function.walk([&](Operation *op) { n += op->getName().getStringRef() == name; });
    return n;
  }
  /// The reads of |function| of parameters whose names start with |prefix|.
  static int64_t reads(func::FuncOp function, StringRef prefix) {
    int64_t n = 0;
    function.walk([&](tfm::ParamRefOp op) {
      n += op.getName().starts_with(prefix);
    });
    return n;
  }

  /// Checks that |function| lost its virtual tokens and everything that
  /// computed the tables: (tokens, positions, labels) remain.
  void expectWithoutVirtualTokens(func::FuncOp function) {
    FunctionType type = function.getFunctionType();
    ASSERT_EQ(type.getNumInputs(), 3u);
    for (unsigned i = 0; i < 3; ++i)
      EXPECT_NE(function.getArgAttrOfType<StringAttr>(i, "tfm.name")
                    .getValue(),
                kVirtualTokensName);
    EXPECT_EQ(count(function, "tfm.insert_virtual_tokens"), 0);
    EXPECT_EQ(reads(function, "prompt_table."), 0);
    EXPECT_EQ(reads(function, "prompt_encoder."), 0);
    EXPECT_EQ(reads(function, "embedding.word_embeddings"), 1);
    EXPECT_TRUE(succeeded(verify(function->getParentOp())));
  }

  MLIRContext context;
};

TEST_F(VirtualTokensTest, PromptTuningLosesItsTables) {
  OwningOpRef<ModuleOp> module = ::strata::frontend::emitTfmModule(
      withTasks(VirtualPromptStyle::PromptTuning), context);
  func::FuncOp forward = forwardOf(*module);
  ASSERT_EQ(reads(forward, "prompt_table."), 2);
  ASSERT_TRUE(succeeded(removeVirtualTokens(forward)));
  expectWithoutVirtualTokens(forward);
  // The parameters stay declared: another function (prefill) reads them.
  EXPECT_TRUE(module->lookupSymbol("prompt_table.t0.weight"));
}

TEST_F(VirtualTokensTest, PTuningLosesItsEncoders) {
  for (auto encoder : {PTuningSettings::EncoderType::Mlp,
                       PTuningSettings::EncoderType::Lstm}) {
    ModelDescription d = withTasks(VirtualPromptStyle::PTuning);
    d.pTuning.encoderType = encoder;
    d.pTuning.numLayers = 2;
    d.pTuning.encoderHidden = 8;
    // The LSTM's dropout between its layers is not Pure, and dead all the
    // same.
    d.pTuning.dropout = 0.1;
    OwningOpRef<ModuleOp> module =
        ::strata::frontend::emitTfmModule(d, context);
    func::FuncOp forward = forwardOf(*module);
    const bool lstm = encoder == PTuningSettings::EncoderType::Lstm;
    SCOPED_TRACE(lstm ? "lstm" : "mlp");
    ASSERT_EQ(count(forward, "tfm.lstm"), lstm ? 4 : 0);
    ASSERT_GT(count(forward, "tfm.relu"), 0);
    ASSERT_TRUE(succeeded(removeVirtualTokens(forward)));
    expectWithoutVirtualTokens(forward);
    EXPECT_EQ(count(forward, "tfm.lstm"), 0);
    EXPECT_EQ(count(forward, "tfm.relu"), 0);
    // The model's own dropouts (hidden, attention) are still there.
    EXPECT_GT(count(forward, "tfm.dropout"), 0);
  }
}

TEST_F(VirtualTokensTest, AFunctionWithoutThemIsLeftAlone) {
  OwningOpRef<ModuleOp> module = ::strata::frontend::emitTfmModule(
      ::strata::testing::tinyGpt(), context);
  auto print = [&] {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return text;
  };
  const std::string before = print();
  ASSERT_TRUE(succeeded(removeVirtualTokens(forwardOf(*module))));
  EXPECT_EQ(print(), before);
}

TEST_F(VirtualTokensTest, AnotherReaderIsAnError) {
  context.loadDialect<func::FuncDialect, tfm::TfmDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(R"mlir(
    func.func @decode(%tokens: tensor<2x1xi32> {tfm.name = "tokens"},
                      %vt: tensor<2x1xi32> {tfm.name = "virtual_tokens"})
        -> tensor<2x1xi32> {
      return %vt : tensor<2x1xi32>
    }
  )mlir", &context);
  ASSERT_TRUE(module);
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diagnostic) {
    message = diagnostic.str();
    return success();
  });
  EXPECT_TRUE(failed(removeVirtualTokens(
      module->lookupSymbol<func::FuncOp>("decode"))));
  EXPECT_EQ(message, "'func.return' op reads @decode's virtual_tokens "
                     "argument; only tfm.insert_virtual_tokens may when the "
                     "function is to run without virtual tokens");
}

} // namespace

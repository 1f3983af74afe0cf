//===- ElementwiseFusionTest.cpp - fusion on whole training steps ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Fusion/ElementwiseFusion.h"

#include "compiler/Testing/TinyModels.h"
#include "compiler/Transforms/Passes.h"
#include "frontends/tfmgen/TfmGen.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::strata;
using ::strata::frontend::ModelDescription;

namespace {

ModelDescription tinyGpt() { return ::strata::testing::tinyGpt(); }

ModelDescription tinyLlama() {
  return ::strata::testing::withDropout(
      ::strata::testing::tinyLlama(::strata::testing::tinyGpt()), 0.0);
}

class ElementwiseFusionTest : public ::testing::Test {
protected:
  /// The training module of |d|, flattened when |flatten|.
  OwningOpRef<ModuleOp> training(const ModelDescription &d, bool flatten) {
    OwningOpRef<ModuleOp> module =
        ::strata::frontend::emitTfmModule(d, context);
    PassManager pm(&context);
    pm.addPass(createDeriveTrainingPass());
    if (flatten)
      pm.addPass(createFlattenLayersPass());
    EXPECT_TRUE(succeeded(pm.run(*module)));
    return module;
  }

  int64_t count(ModuleOp module, StringRef name) {
    int64_t n = 0;
    module.walk(
        [&](Operation *op) { n += op->getName().getStringRef() == name; });
    return n;
  }

  MLIRContext context;
};

// Per layer, `forward` and `forward_backward` each fuse fc1's bias and GELU
// and the two bias-dropout-residual chains; the backward fuses fc1's GELU
// gradient and the two dropout gradients.
TEST_F(ElementwiseFusionTest, GptWithDropout) {
  for (bool flatten : {true, false}) {
    OwningOpRef<ModuleOp> module = training(tinyGpt(), flatten);
    ElementwiseFusionCounts counts = fuseElementwise(*module);
    EXPECT_EQ(counts.biasGelu, 2 * 2) << flatten;
    EXPECT_EQ(counts.biasDropoutAdd, 2 * 2 * 2) << flatten;
    EXPECT_EQ(counts.biasGeluGrad, 2) << flatten;
    EXPECT_EQ(counts.biasDropoutAddGrad, 2 * 2) << flatten;
    EXPECT_TRUE(succeeded(verify(*module)));
    EXPECT_EQ(count(*module, "tfm.gelu"), 0);
    EXPECT_EQ(count(*module, "tfm.gelu_grad"), 0);
    // The embedding dropout (forward, forward_backward) and its gradient.
    EXPECT_EQ(count(*module, "tfm.dropout"), 3);
    // Query, key and value biases stay, forward and backward.
    EXPECT_EQ(count(*module, "tfm.bias_add"), 2 * 2 * 3);
    EXPECT_EQ(count(*module, "tfm.bias_grad"), 2 * 3);
    // A second run finds nothing.
    EXPECT_EQ(fuseElementwise(*module).total(), 0);
  }
}

TEST_F(ElementwiseFusionTest, GptWithoutDropout) {
  ModelDescription d = tinyGpt();
  d.hiddenDropout = 0.0;
  d.attentionDropout = 0.0;
  OwningOpRef<ModuleOp> module = training(d, /*flatten=*/true);
  ElementwiseFusionCounts counts = fuseElementwise(*module);
  EXPECT_EQ(counts.biasGelu, 2 * 2);
  EXPECT_EQ(counts.biasDropoutAdd, 2 * 2 * 2);
  EXPECT_EQ(counts.biasGeluGrad, 2);
  EXPECT_EQ(counts.biasDropoutAddGrad, 0);
  EXPECT_TRUE(succeeded(verify(*module)));
  module->walk([](tfm::BiasDropoutAddOp op) {
    EXPECT_EQ(op.getRate().convertToDouble(), 0.0);
    EXPECT_FALSE(op.getRngStream());
  });
}

TEST_F(ElementwiseFusionTest, LlamaHasNothingToFuse) {
  for (bool flatten : {true, false}) {
    OwningOpRef<ModuleOp> module = training(tinyLlama(), flatten);
    EXPECT_EQ(fuseElementwise(*module).total(), 0);
  }
}

} // namespace

//===- TfmGenTest.cpp - tests of the model-to-tfm emitter -----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The parameter counts are the published ones (GPT-2 small: 124,439,808 with
// its 50257-token vocabulary; Llama-2 7B: 6,738,415,616), an independent
// check that every parameter has the right shape.
//
//===----------------------------------------------------------------------===//
#include "frontends/tfmgen/TfmGen.h"

#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

using namespace mlir;
using namespace mlir::strata;
using ::strata::frontend::ModelDescription;

namespace {

ModelDescription gpt2Small() {
  ModelDescription d;
  d.name = "gpt2-124m";
  d.numLayers = 12;
  d.hiddenSize = 768;
  d.ffnHiddenSize = 3072;
  d.numAttentionHeads = 12;
  d.numQueryGroups = 12;
  d.headDim = 64;
  d.seqLength = 1024;
  d.maxPositionEmbeddings = 1024;
  d.vocabSize = 50257;
  d.paddedVocabSize = 50257;
  d.activation = ::strata::frontend::Activation::FastGelu;
  d.microBatchSize = 4;
  d.globalBatchSize = 4;
  return d;
}

ModelDescription llama2_7b() {
  ModelDescription d;
  d.name = "llama2-7b";
  d.numLayers = 32;
  d.hiddenSize = 4096;
  d.ffnHiddenSize = 11008;
  d.numAttentionHeads = 32;
  d.numQueryGroups = 32;
  d.headDim = 128;
  d.seqLength = 4096;
  d.maxPositionEmbeddings = 4096;
  d.paddedVocabSize = 32000;
  d.normalization = ::strata::frontend::Normalization::RMSNorm;
  d.activation = ::strata::frontend::Activation::SwiGLU;
  d.positionEmbedding = ::strata::frontend::PositionEmbedding::Rope;
  d.shareEmbeddingsAndOutputWeights = false;
  d.bias = false;
  d.hiddenDropout = 0.0;
  d.attentionDropout = 0.0;
  d.precision = ::strata::frontend::Precision::BF16;
  return d;
}

class TfmGenTest : public ::testing::Test {
protected:
  OwningOpRef<ModuleOp> emit(const ModelDescription &d) {
    OwningOpRef<ModuleOp> module = ::strata::frontend::emitTfmModule(d, context);
    EXPECT_TRUE(succeeded(verify(*module)));
    return module;
  }

  static std::map<std::string, tfm::ParameterOp> parameters(ModuleOp module) {
    std::map<std::string, tfm::ParameterOp> result;
    module.walk([&](tfm::ParameterOp op) {
      result[op.getSymName().str()] = op;
    });
    return result;
  }

  static int64_t parameterCount(ModuleOp module) {
    int64_t total = 0;
    module.walk([&](tfm::ParameterOp op) {
      total += op.getTensorType().getNumElements();
    });
    return total;
  }

  template <typename OpT>
  static int64_t count(ModuleOp module) {
    int64_t n = 0;
    module.walk([&](OpT) { ++n; });
    return n;
  }

  MLIRContext context;
};

TEST_F(TfmGenTest, Gpt2SmallHasPublishedParameterCount) {
  auto module = emit(gpt2Small());
  EXPECT_EQ(parameterCount(*module), 124439808);
  EXPECT_EQ(count<tfm::LayerOp>(*module), 12);
  EXPECT_EQ(count<tfm::GeluOp>(*module), 12);
  EXPECT_EQ(count<tfm::RotaryEmbeddingOp>(*module), 0);
}

TEST_F(TfmGenTest, Llama2_7bHasPublishedParameterCount) {
  auto module = emit(llama2_7b());
  EXPECT_EQ(parameterCount(*module), 6738415616);
  EXPECT_EQ(count<tfm::SwiGLUOp>(*module), 32);
  EXPECT_EQ(count<tfm::RMSNormOp>(*module), 65);
  EXPECT_EQ(count<tfm::LayerNormOp>(*module), 0);
  EXPECT_EQ(count<tfm::BiasAddOp>(*module), 0);
  // Queries and keys of every layer are rotated.
  EXPECT_EQ(count<tfm::RotaryEmbeddingOp>(*module), 64);
  EXPECT_EQ(count<tfm::DropoutOp>(*module), 0);
}

TEST_F(TfmGenTest, GroupedQueryAttentionKeepsHeadsAndGroupsSeparate) {
  ModelDescription d = llama2_7b();
  d.numLayers = 2;
  d.numQueryGroups = 8;
  auto module = emit(d);
  auto params = parameters(*module);
  ASSERT_TRUE(params.count("layers.1.attention.key.weight"));
  EXPECT_EQ(params["layers.1.attention.query.weight"].getTensorType().getShape(),
            ArrayRef<int64_t>({32, 128, 4096}));
  EXPECT_EQ(params["layers.1.attention.key.weight"].getTensorType().getShape(),
            ArrayRef<int64_t>({8, 128, 4096}));
  EXPECT_EQ(params["layers.1.attention.output.weight"].getTensorType().getShape(),
            ArrayRef<int64_t>({4096, 32, 128}));
  module->walk([](tfm::AttentionOp op) {
    auto key = cast<RankedTensorType>(op.getKey().getType());
    EXPECT_EQ(key.getShape()[2], 8);
    EXPECT_TRUE(op.getCausal());
    EXPECT_DOUBLE_EQ(op.getScale().convertToDouble(), 1.0 / std::sqrt(128.0));
  });
}

TEST_F(TfmGenTest, InitializationAndWeightDecayFollowMegatron) {
  auto module = emit(gpt2Small());
  auto params = parameters(*module);
  auto stdOf = [&](const std::string &name) {
    return params.at(name).getInit().getStd().convertToDouble();
  };
  EXPECT_DOUBLE_EQ(stdOf("layers.0.attention.query.weight"), 0.02);
  // Output projections use std / sqrt(2 * num_layers).
  EXPECT_DOUBLE_EQ(stdOf("layers.0.attention.output.weight"),
                   0.02 / std::sqrt(24.0));
  EXPECT_DOUBLE_EQ(stdOf("layers.11.mlp.fc2.weight"), 0.02 / std::sqrt(24.0));
  EXPECT_EQ(params.at("layers.0.mlp.fc1.bias").getInit().getKind(),
            tfm::InitKind::zeros);
  EXPECT_EQ(params.at("final_norm.weight").getInit().getKind(),
            tfm::InitKind::ones);
  for (auto &[name, op] : params) {
    bool isMatrixOrEmbedding = llvm::StringRef(name).ends_with(".weight") &&
                               !llvm::StringRef(name).contains("norm");
    EXPECT_EQ(static_cast<bool>(op.getWeightDecay()), isMatrixOrEmbedding)
        << name;
    EXPECT_TRUE(op.getTrainable()) << name;
  }
}

TEST_F(TfmGenTest, TiedEmbeddingsHaveNoOutputWeight) {
  ModelDescription d = gpt2Small();
  auto tied = parameters(*emit(d));
  EXPECT_FALSE(tied.count("output.weight"));
  d.shareEmbeddingsAndOutputWeights = false;
  auto untied = parameters(*emit(d));
  EXPECT_TRUE(untied.count("output.weight"));
}

TEST_F(TfmGenTest, DropoutAppearsOnlyWithPositiveRates) {
  ModelDescription d = gpt2Small();
  d.numLayers = 3;
  d.hiddenDropout = 0.1;
  d.attentionDropout = 0.0;
  d.ffnDropout = 0.0;
  auto module = emit(d);
  // Embeddings, then after attention and after the MLP in every layer.
  EXPECT_EQ(count<tfm::DropoutOp>(*module), 1 + 2 * 3);
  module->walk([](tfm::AttentionOp op) { EXPECT_FALSE(op.getDropout()); });
}

TEST_F(TfmGenTest, PrecisionSetsElementTypesButLossStaysF32) {
  auto module = emit(llama2_7b());
  auto forward = module->lookupSymbol<func::FuncOp>(
      ::strata::frontend::kForwardFunctionName);
  ASSERT_TRUE(forward);
  auto results = forward.getFunctionType().getResults();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(cast<RankedTensorType>(results[0]).getElementType().isBF16());
  EXPECT_EQ(cast<RankedTensorType>(results[0]).getShape(),
            ArrayRef<int64_t>({1, 4096, 32000}));
  EXPECT_TRUE(cast<RankedTensorType>(results[1]).getElementType().isF32());
}

TEST_F(TfmGenTest, Float64ProgramIsF64EverywhereIncludingTheLoss) {
  for (ModelDescription d : {gpt2Small(), llama2_7b()}) {
    d.numLayers = 1;
    d.seqLength = 8;
    d.maxPositionEmbeddings = 8;
    d.precision = ::strata::frontend::Precision::FP64;
    auto module = emit(d);
    auto forward = module->lookupSymbol<func::FuncOp>(
        ::strata::frontend::kForwardFunctionName);
    ASSERT_TRUE(forward);
    auto results = forward.getFunctionType().getResults();
    ASSERT_EQ(results.size(), 2u);
    EXPECT_TRUE(cast<RankedTensorType>(results[0]).getElementType().isF64());
    EXPECT_TRUE(cast<RankedTensorType>(results[1]).getElementType().isF64());
    // Every parameter and every float tensor an op produces is f64.
    module->walk([](tfm::ParameterOp op) {
      EXPECT_TRUE(op.getTensorType().getElementType().isF64())
          << op.getSymName().str();
    });
    module->walk([](Operation *op) {
      for (Type type : op->getResultTypes())
        if (auto tensor = dyn_cast<RankedTensorType>(type);
            tensor && isa<FloatType>(tensor.getElementType()))
          EXPECT_TRUE(tensor.getElementType().isF64())
              << op->getName().getStringRef().str();
    });
  }
}

TEST_F(TfmGenTest, PartialRotaryRoundsDownToEvenDims) {
  ModelDescription d = llama2_7b();
  d.numLayers = 1;
  d.rotaryPercentage = 0.3; // 0.3 * 128 = 38.4 -> 38
  auto module = emit(d);
  module->walk([](tfm::RotaryEmbeddingOp op) {
    EXPECT_EQ(op.getRotaryDims(), 38u);
  });
}

// NeMo's layernorm1p: norm weights stored as w - 1, zero at init, and every
// layer norm (forward, and so its gradient) scales by 1 + w.
TEST_F(TfmGenTest, Layernorm1pZeroCentersTheNormWeights) {
  ModelDescription d = gpt2Small();
  d.numLayers = 2;
  d.normalization = ::strata::frontend::Normalization::LayerNorm1P;
  auto module = emit(d);
  auto params = parameters(*module);
  for (const char *name :
       {"layers.0.input_norm.weight", "layers.1.post_attention_norm.weight",
        "final_norm.weight"}) {
    ASSERT_TRUE(params.count(name)) << name;
    EXPECT_EQ(params.at(name).getInit().getKind(), tfm::InitKind::zeros)
        << name;
  }
  int64_t norms = 0;
  module->walk([&](tfm::LayerNormOp op) {
    EXPECT_TRUE(op.getZeroCenteredGamma());
    ++norms;
  });
  EXPECT_EQ(norms, 5);
  // Plain layer norm keeps ones and no flag.
  auto plain = emit(gpt2Small());
  EXPECT_EQ(parameters(*plain).at("final_norm.weight").getInit().getKind(),
            tfm::InitKind::ones);
  plain->walk(
      [](tfm::LayerNormOp op) { EXPECT_FALSE(op.getZeroCenteredGamma()); });
}

TEST_F(TfmGenTest, UnnormalizedAttentionScoresAreUnscaled) {
  ModelDescription d = gpt2Small();
  d.numLayers = 1;
  d.normalizeAttentionScores = false;
  auto module = emit(d);
  module->walk([](tfm::AttentionOp op) {
    EXPECT_EQ(op.getScale().convertToDouble(), 1.0);
  });
  auto scaled = emit(gpt2Small());
  scaled->walk([](tfm::AttentionOp op) {
    EXPECT_EQ(op.getScale().convertToDouble(), 1.0 / 8.0); // head size 64
  });
}

// do_layer_norm_weight_decay: NeMo puts every parameter in one decayed group.
TEST_F(TfmGenTest, LayerNormWeightDecayDecaysEveryParameter) {
  ModelDescription d = gpt2Small();
  d.numLayers = 1;
  auto params = parameters(*emit(d));
  EXPECT_FALSE(params.at("final_norm.weight").getWeightDecay());
  EXPECT_FALSE(params.at("layers.0.mlp.fc1.bias").getWeightDecay());
  EXPECT_TRUE(params.at("layers.0.mlp.fc1.weight").getWeightDecay());
  d.doLayerNormWeightDecay = true;
  auto all = parameters(*emit(d));
  for (auto &[name, op] : all)
    EXPECT_TRUE(op.getWeightDecay()) << name;
}

} // namespace

//===- LayerRecomputeTest.cpp - full recomputation on whole models --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Recompute/LayerRecompute.h"
#include "compiler/Testing/TinyModels.h"

#include "compiler/Lowering/PlannedProgram.h"
#include "compiler/Transforms/Passes.h"
#include "frontends/tfmgen/TfmGen.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <set>

using namespace mlir;
using namespace mlir::strata;
namespace fe = ::strata::frontend;
namespace planning = ::strata::planning;

namespace {

constexpr int64_t kBatch = 2, kHeads = 3, kSeq = 11;

/// A GPT with dropout on, so that streams matter.
fe::ModelDescription tinyGpt(int64_t layers) {
  fe::ModelDescription d =
      ::strata::testing::withDropout(::strata::testing::tinyGpt(layers));
  d.maxPositionEmbeddings = 16;
  return d;
}

/// A Llama: its layers also take the positions (rotary embeddings).
fe::ModelDescription tinyLlama(int64_t layers) {
  fe::ModelDescription d = ::strata::testing::tinyLlama(tinyGpt(layers));
  d.numQueryGroups = 1;
  return d;
}

fe::ModelDescription withFull(fe::ModelDescription d,
                              fe::RecomputeMethod method, int64_t layers) {
  d.recomputeGranularity = fe::RecomputeGranularity::Full;
  d.recomputeMethod = method;
  d.recomputeNumLayers = layers;
  return d;
}

class LayerRecomputeTest : public ::testing::Test {
protected:
  /// The training module of |d| after strata-tfm-recompute; null (with the
  /// diagnostic in |diagnostics|) when a pass fails.
  OwningOpRef<ModuleOp> train(const fe::ModelDescription &d,
                              bool recompute = true) {
    OwningOpRef<ModuleOp> module = fe::emitTfmModule(d, context);
    PassManager pm(&context);
    pm.addPass(createDeriveTrainingPass());
    if (recompute)
      pm.addPass(createRecomputeActivationsPass());
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      diagnostics += diag.str() + "\n";
      return success();
    });
    if (failed(pm.run(*module)))
      return nullptr;
    EXPECT_TRUE(succeeded(verify(*module)));
    return module;
  }

  static func::FuncOp forwardBackward(ModuleOp module) {
    return module.lookupSymbol<func::FuncOp>("forward_backward");
  }

  /// Forward and backward layers of forward_backward by index.
  static std::map<int64_t, LayerPair> layers(ModuleOp module) {
    std::map<int64_t, LayerPair> out;
    forwardBackward(module).walk([&](tfm::LayerOp layer) {
      (layer.getBackward() ? out[layer.getIndex()].backward
                           : out[layer.getIndex()].forward) = layer;
    });
    return out;
  }

  static int64_t recomputedOps(Operation *root) {
    int64_t count = 0;
    root->walk([&](Operation *op) { count += op->hasAttr(kRecomputedAttr); });
    return count;
  }

  static std::string print(ModuleOp module) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module.print(os);
    return text;
  }

  static size_t activationPeak(ModuleOp module) {
    FailureOr<PlannedProgram> program = planProgram(module);
    EXPECT_TRUE(succeeded(program));
    return succeeded(program)
               ? program->plan.peak(planning::BufferCategory::Activation)
               : 0;
  }

  /// Stream numbers of the dropouts (standalone and in attention) under
  /// |root|, only of recomputed ops when |recomputedOnly|.
  static std::multiset<int64_t> streams(Operation *root, bool recomputedOnly) {
    std::multiset<int64_t> out;
    root->walk([&](Operation *op) {
      if (recomputedOnly && !op->hasAttr(kRecomputedAttr))
        return;
      if (auto dropout = dyn_cast<tfm::DropoutOp>(op)) {
        if (auto stream = dropout.getRngStreamAttr())
          out.insert(stream.getInt());
      } else if (auto attention = dyn_cast<tfm::AttentionOp>(op)) {
        if (auto stream = attention.getRngStreamAttr())
          out.insert(stream.getInt());
      }
    });
    return out;
  }

  MLIRContext context;
  std::string diagnostics;
};

TEST_F(LayerRecomputeTest, UniformOneStoresOnlyEachLayersInput) {
  OwningOpRef<ModuleOp> module =
      train(withFull(tinyGpt(2), fe::RecomputeMethod::Uniform, 1));
  ASSERT_TRUE(module) << diagnostics;
  std::map<int64_t, LayerPair> pairs = layers(*module);
  ASSERT_EQ(pairs.size(), 2u);
  for (auto &[index, pair] : pairs) {
    SCOPED_TRACE("layer " + std::to_string(index));
    ASSERT_TRUE(pair.forward && pair.backward);
    // The forward layer yields its output only, which the backward layer
    // does not read: it takes the layer's input and the output gradient.
    EXPECT_EQ(pair.forward.getNumResults(), 1u);
    ASSERT_EQ(pair.backward.getNumOperands(), 2u);
    EXPECT_EQ(pair.backward.getOperand(0), pair.forward.getOperand(0));
    for (Value operand : pair.backward.getOperands())
      EXPECT_NE(operand.getDefiningOp(), pair.forward.getOperation());
    // It re-runs the forward ops, with the forward layer's dropout streams
    // (the hidden dropout after the MLP only feeds the layer's output,
    // which is not recomputed).
    EXPECT_GT(recomputedOps(pair.backward), 0);
    EXPECT_EQ(recomputedOps(pair.forward), 0);
    std::multiset<int64_t> forwardStreams = streams(pair.forward, false);
    std::multiset<int64_t> redrawn = streams(pair.backward, true);
    EXPECT_EQ(redrawn.size(), 2u); // attention, and the attention output's
    for (int64_t stream : redrawn)
      EXPECT_EQ(forwardStreams.count(stream), 1u) << "stream " << stream;
  }
  // The evaluation function keeps its layers as they are.
  auto forward = module->lookupSymbol<func::FuncOp>("forward");
  EXPECT_EQ(recomputedOps(forward), 0);
}

TEST_F(LayerRecomputeTest, UniformGroupsRecomputeInTheirFirstBackwardLayer) {
  OwningOpRef<ModuleOp> module =
      train(withFull(tinyGpt(4), fe::RecomputeMethod::Uniform, 2));
  ASSERT_TRUE(module) << diagnostics;
  std::map<int64_t, LayerPair> pairs = layers(*module);
  ASSERT_EQ(pairs.size(), 4u);
  for (int64_t group : {0, 2}) {
    SCOPED_TRACE("group of layers " + std::to_string(group) + ", " +
                 std::to_string(group + 1));
    LayerPair &lower = pairs[group], &upper = pairs[group + 1];
    // Layer group+1's backward runs first and recomputes both layers: it
    // takes the group's input, not layer group+1's own input.
    EXPECT_EQ(lower.forward.getNumResults(), 1u);
    EXPECT_EQ(upper.forward.getNumResults(), 1u);
    EXPECT_EQ(upper.backward.getOperand(0), lower.forward.getOperand(0));
    for (Operation *user : lower.forward.getResult(0).getUsers())
      EXPECT_EQ(user, upper.forward.getOperation())
          << "the group's inner activation is stored";
    // All three of the lower layer's streams (its output is the upper
    // layer's input), two of the upper layer's.
    EXPECT_EQ(streams(upper.backward, true).size(), 5u);
    EXPECT_EQ(recomputedOps(lower.backward), 0);
    // Layer group's backward reads the stored group input, and what layer
    // group+1's backward recomputed, and the gradient it returned.
    ASSERT_GT(upper.backward.getNumResults(), 1u);
    for (Value operand : lower.backward.getOperands()) {
      if (operand == lower.forward.getOperand(0))
        continue;
      Operation *def = operand.getDefiningOp();
      EXPECT_TRUE(def == upper.backward.getOperation())
          << "an operand of layer " << group << "'s backward comes from "
          << (def ? def->getName().getStringRef().str() : "an argument");
    }
  }
}

TEST_F(LayerRecomputeTest, LlamaGroupsStoreThePositions) {
  // Three layers in groups of two: {0, 1} and {2}.
  OwningOpRef<ModuleOp> module =
      train(withFull(tinyLlama(3), fe::RecomputeMethod::Uniform, 2));
  ASSERT_TRUE(module) << diagnostics;
  std::map<int64_t, LayerPair> pairs = layers(*module);
  ASSERT_EQ(pairs.size(), 3u);
  Value positions = pairs[0].forward.getOperand(1);
  // The recomputing backward layers take (group input, positions, dy).
  for (int64_t first : {0, 2}) {
    int64_t last = first == 0 ? 1 : 2;
    tfm::LayerOp backward = pairs[last].backward;
    ASSERT_GE(backward.getNumOperands(), 3u);
    EXPECT_EQ(backward.getOperand(0), pairs[first].forward.getOperand(0));
    EXPECT_EQ(backward.getOperand(1), positions);
    EXPECT_GT(recomputedOps(backward), 0);
  }
  EXPECT_EQ(recomputedOps(pairs[0].backward), 0);
}

TEST_F(LayerRecomputeTest, BlockRecomputesOnlyTheFirstLayers) {
  OwningOpRef<ModuleOp> plain = train(tinyGpt(3), /*recompute=*/false);
  OwningOpRef<ModuleOp> module =
      train(withFull(tinyGpt(3), fe::RecomputeMethod::Block, 1));
  ASSERT_TRUE(plain && module) << diagnostics;
  std::map<int64_t, LayerPair> before = layers(*plain), after = layers(*module);
  EXPECT_EQ(after[0].forward.getNumResults(), 1u);
  EXPECT_GT(recomputedOps(after[0].backward), 0);
  for (int64_t i : {1, 2}) {
    SCOPED_TRACE("layer " + std::to_string(i));
    EXPECT_GT(after[i].forward.getNumResults(), 1u);
    EXPECT_EQ(after[i].forward.getNumResults(),
              before[i].forward.getNumResults());
    EXPECT_EQ(recomputedOps(after[i].backward), 0);
  }
}

TEST_F(LayerRecomputeTest, FullRecomputationLowersTheActivationPeak) {
  OwningOpRef<ModuleOp> plain = train(tinyGpt(4), /*recompute=*/false);
  OwningOpRef<ModuleOp> uniform1 =
      train(withFull(tinyGpt(4), fe::RecomputeMethod::Uniform, 1));
  OwningOpRef<ModuleOp> uniform2 =
      train(withFull(tinyGpt(4), fe::RecomputeMethod::Uniform, 2));
  OwningOpRef<ModuleOp> block2 =
      train(withFull(tinyGpt(4), fe::RecomputeMethod::Block, 2));
  ASSERT_TRUE(plain && uniform1 && uniform2 && block2) << diagnostics;
  size_t none = activationPeak(*plain);
  size_t one = activationPeak(*uniform1);
  size_t two = activationPeak(*uniform2);
  size_t block = activationPeak(*block2);
  // Recomputing every layer stores least; groups of two hold two layers'
  // activations during their backward pass; recomputing half of the
  // layers saves less than recomputing all of them.
  EXPECT_LT(one, two);
  EXPECT_LT(two, none);
  EXPECT_LT(one, block);
  EXPECT_LT(block, none);
}

TEST_F(LayerRecomputeTest, RecomputedOpsSurviveFlatteningAndCse) {
  OwningOpRef<ModuleOp> module =
      train(withFull(tinyGpt(2), fe::RecomputeMethod::Uniform, 1));
  ASSERT_TRUE(module) << diagnostics;
  int64_t before = 0;
  forwardBackward(*module).walk([&](Operation *op) {
    before += isa<tfm::LayerNormOp>(op) && op->hasAttr(kRecomputedAttr);
  });
  EXPECT_EQ(before, 4); // both norms of both layers
  FailureOr<PlannedProgram> program = planProgram(*module);
  ASSERT_TRUE(succeeded(program));
  int64_t after = 0;
  program->module->lookupSymbol<func::FuncOp>("forward_backward")
      .walk([&](Operation *op) {
        after += isa<tfm::LayerNormOp>(op) && op->hasAttr(kRecomputedAttr);
      });
  EXPECT_EQ(after, 4) << "cse merged recomputed ops into the forward ones";
}

TEST_F(LayerRecomputeTest, RunsOnce) {
  OwningOpRef<ModuleOp> module =
      train(withFull(tinyGpt(2), fe::RecomputeMethod::Uniform, 1));
  ASSERT_TRUE(module) << diagnostics;
  std::string once = print(*module);
  PassManager pm(&context);
  pm.addPass(createRecomputeActivationsPass());
  ASSERT_TRUE(succeeded(pm.run(*module)));
  EXPECT_EQ(print(*module), once);
}

TEST_F(LayerRecomputeTest, MoreLayersThanTheModelIsAnError) {
  // The frontend rejects this description; a module written by hand or
  // edited can still say it.
  EXPECT_FALSE(train(withFull(tinyGpt(2), fe::RecomputeMethod::Block, 3)));
  EXPECT_NE(diagnostics.find("has 2 layers with a backward pass, fewer than "
                             "activations_checkpoint_num_layers 3"),
            std::string::npos)
      << diagnostics;
}

TEST_F(LayerRecomputeTest, SelectiveChangesNothingAndNoBufferHoldsScores) {
  fe::ModelDescription d = tinyGpt(2);
  d.recomputeGranularity = fe::RecomputeGranularity::Selective;
  OwningOpRef<ModuleOp> plain = train(d, /*recompute=*/false);
  OwningOpRef<ModuleOp> selective = train(d);
  ASSERT_TRUE(plain && selective) << diagnostics;
  EXPECT_EQ(print(*selective), print(*plain));

  // Megatron's selective recomputation exists to avoid storing the
  // attention scores and probabilities, [batch, heads, seq, seq] per layer.
  // tfm.attention never materializes them: no buffer of the planned
  // training step holds a tensor with two sequence-long dimensions (no
  // other size of the model is 11), while the attention's log-sum-exp,
  // [batch, heads, seq], has buffers.
  FailureOr<PlannedProgram> program = planProgram(*selective);
  ASSERT_TRUE(succeeded(program));
  SmallVector<int64_t> lse = {kBatch, kHeads, kSeq};
  int64_t scoreBuffers = 0, lseBuffers = 0;
  for (auto &[value, buffer] : program->assignment.bufferOf) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type)
      continue;
    scoreBuffers += llvm::count(type.getShape(), kSeq) >= 2;
    lseBuffers += type.getShape() == ArrayRef<int64_t>(lse);
  }
  EXPECT_EQ(scoreBuffers, 0);
  EXPECT_GT(lseBuffers, 0);
}

} // namespace

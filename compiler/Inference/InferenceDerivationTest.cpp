//===- InferenceDerivationTest.cpp - KV-cache derivation on whole models --===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Inference/InferenceDerivation.h"
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

ModelDescription tinyGpt() {
  ModelDescription d =
      ::strata::testing::withDropout(::strata::testing::tinyGpt());
  d.maxPositionEmbeddings = 16;
  return d;
}

ModelDescription tinyLlama() {
  ModelDescription d = ::strata::testing::withDropout(
      ::strata::testing::tinyLlama(tinyGpt()), 0.0);
  d.numQueryGroups = 1;
  return d;
}

class InferenceDerivationTest : public ::testing::Test {
protected:
  /// |d| emitted at query lengths 5 (`prefill`) and 1 (`decode`) in one
  /// module, as strata-compile --mode infer builds it.
  OwningOpRef<ModuleOp> prefillAndDecode(ModelDescription d) {
    d.seqLength = 5;
    OwningOpRef<ModuleOp> module =
        ::strata::frontend::emitTfmModule(d, context);
    d.seqLength = 1;
    OwningOpRef<ModuleOp> decode =
        ::strata::frontend::emitTfmModule(d, context);
    auto prefill = module->lookupSymbol<func::FuncOp>("forward");
    prefill.setSymName("prefill");
    auto decodeFunction = decode->lookupSymbol<func::FuncOp>("forward");
    decodeFunction.setSymName("decode");
    decodeFunction->moveAfter(prefill);
    return module;
  }

  LogicalResult run(ModuleOp module, bool flattenFirst = false,
                    bool flattenAfter = false) {
    PassManager pm(&context);
    if (flattenFirst)
      pm.addPass(createFlattenLayersPass());
    pm.addPass(createDeriveInferencePass());
    if (flattenAfter)
      pm.addPass(createFlattenLayersPass());
    return pm.run(module);
  }

  static std::string print(ModuleOp module) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module.print(os);
    return text;
  }

  /// Checks one derived function of a model with |layers| layers.
  static void expectDerived(func::FuncOp function, int64_t layers,
                            int64_t length) {
    SCOPED_TRACE(function.getSymName().str());
    FunctionType type = function.getFunctionType();
    // A prefill (length > 1) also takes `last` and returns one position's
    // logits per row (selectLastPositions).
    ASSERT_EQ(type.getNumInputs(), length > 1 ? 3u : 2u);
    ASSERT_EQ(type.getNumResults(), 1u);
    EXPECT_EQ(cast<RankedTensorType>(type.getResult(0)).getShape(),
              (ArrayRef<int64_t>{2, 1, 37}));
    int64_t attention = 0, cached = 0, writes = 0, dropout = 0, loss = 0;
    function.walk([&](Operation *op) {
      attention += isa<tfm::AttentionOp>(op);
      dropout += isa<tfm::DropoutOp>(op);
      loss += isa<tfm::CrossEntropyOp>(op);
      if (auto write = dyn_cast<tfm::CacheWriteOp>(op)) {
        ++writes;
        // Every write comes before the attention that reads its cache.
        Operation *reader = nullptr;
        for (Operation *next = op->getNextNode(); next && !reader;
             next = next->getNextNode())
          if (auto read = dyn_cast<tfm::CachedAttentionOp>(next))
            if (read.getKeyCache() == write.getCache() ||
                read.getValueCache() == write.getCache())
              reader = next;
        EXPECT_NE(reader, nullptr)
            << "no later reader of @" << write.getCache().str();
      }
      cached += isa<tfm::CachedAttentionOp>(op);
    });
    EXPECT_EQ(attention, 0);
    EXPECT_EQ(dropout, 0);
    EXPECT_EQ(loss, 0);
    EXPECT_EQ(cached, layers);
    EXPECT_EQ(writes, 2 * layers);
  }

  MLIRContext context;
};

TEST_F(InferenceDerivationTest, PrefillAndDecodeShareOneCachePerLayer) {
  OwningOpRef<ModuleOp> module = prefillAndDecode(tinyGpt());
  ASSERT_TRUE(succeeded(run(*module)));
  ASSERT_TRUE(succeeded(verify(*module)));
  std::vector<std::string> names;
  for (auto cache : module->getOps<tfm::KVCacheOp>()) {
    names.push_back(cache.getSymName().str());
    // [micro_batch, max_position_embeddings, groups, head_dim]
    EXPECT_EQ(cache.getTensorType().getShape(),
              (ArrayRef<int64_t>{2, 16, 3, 10}));
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{keyCacheName(0), valueCacheName(0),
                                      keyCacheName(1), valueCacheName(1)}));
  EXPECT_EQ(names[0], "layers.0.attention.key_cache");
  expectDerived(module->lookupSymbol<func::FuncOp>("prefill"), 2, 5);
  expectDerived(module->lookupSymbol<func::FuncOp>("decode"), 2, 1);
  // GPT layers did not take the positions: the derivation added them.
  module->walk(
      [](tfm::LayerOp layer) { EXPECT_EQ(layer.getInputs().size(), 2u); });
  EXPECT_EQ((*module)->getAttrOfType<StringAttr>("tfm.phase").getValue(),
            "inference");
}

TEST_F(InferenceDerivationTest, RopeLayersKeepTheirPositionsOperand) {
  OwningOpRef<ModuleOp> module = prefillAndDecode(tinyLlama());
  ASSERT_TRUE(succeeded(run(*module)));
  ASSERT_TRUE(succeeded(verify(*module)));
  module->walk(
      [](tfm::LayerOp layer) { EXPECT_EQ(layer.getInputs().size(), 2u); });
  expectDerived(module->lookupSymbol<func::FuncOp>("prefill"), 2, 5);
  expectDerived(module->lookupSymbol<func::FuncOp>("decode"), 2, 1);
  for (auto cache : module->getOps<tfm::KVCacheOp>())
    EXPECT_EQ(cache.getTensorType().getShape(),
              (ArrayRef<int64_t>{2, 16, 1, 10})); // multi-query
}

TEST_F(InferenceDerivationTest, LayersOrFlatCodeGiveTheSameProgram) {
  for (const ModelDescription &d : {tinyGpt(), tinyLlama()}) {
    OwningOpRef<ModuleOp> inLayers = prefillAndDecode(d);
    OwningOpRef<ModuleOp> flat = prefillAndDecode(d);
    ASSERT_TRUE(succeeded(run(*inLayers, false, /*flattenAfter=*/true)));
    ASSERT_TRUE(succeeded(run(*flat, /*flattenFirst=*/true)));
    EXPECT_EQ(print(*inLayers), print(*flat));
  }
}

TEST_F(InferenceDerivationTest, CachesOfAnotherShapeAreAnError) {
  // A second function with another micro-batch cannot share the caches.
  OwningOpRef<ModuleOp> module = prefillAndDecode(tinyGpt());
  ModelDescription other = tinyGpt();
  other.microBatchSize = 3;
  OwningOpRef<ModuleOp> third =
      ::strata::frontend::emitTfmModule(other, context);
  auto function = third->lookupSymbol<func::FuncOp>("forward");
  function.setSymName("wide");
  function->moveAfter(&module->getBody()->back());
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message += diag.str() + "\n";
    return success();
  });
  EXPECT_TRUE(failed(run(*module)));
  EXPECT_NE(message.find("needs a cache @\"layers.0.attention.key_cache\" of "
                         "type 'tensor<3x16x3x10xf32>', but the module "
                         "declares it as 'tensor<2x16x3x10xf32>'"),
            std::string::npos)
      << message;
}

TEST_F(InferenceDerivationTest, TheCacheMustHoldTheQueries) {
  OwningOpRef<ModuleOp> module = prefillAndDecode(tinyGpt());
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message += diag.str() + "\n";
    return success();
  });
  PassManager pm(&context);
  DeriveInferencePassOptions options;
  options.cacheLength = 4;
  pm.addPass(createDeriveInferencePass(options));
  EXPECT_TRUE(failed(pm.run(*module)));
  EXPECT_NE(message.find("cannot use a cache of 4 positions for 5 queries"),
            std::string::npos)
      << message;
}

TEST_F(InferenceDerivationTest, PagedCachesTakeABlockTableAfterPositions) {
  for (const ModelDescription &d : {tinyGpt(), tinyLlama()}) {
    OwningOpRef<ModuleOp> module = prefillAndDecode(d);
    PassManager pm(&context);
    DeriveInferencePassOptions options;
    options.kvBlockSize = 5; // 16 positions: W = 4 blocks, the last partial
    pm.addPass(createDeriveInferencePass(options));
    ASSERT_TRUE(succeeded(pm.run(*module)));
    ASSERT_TRUE(succeeded(verify(*module)));
    const int64_t groups = d.numQueryGroups > 0 ? d.numQueryGroups : 3;
    for (auto cache : module->getOps<tfm::KVCacheOp>())
      // [batch x W blocks, block size, groups, head_dim]
      EXPECT_EQ(cache.getTensorType().getShape(),
                (ArrayRef<int64_t>{2 * 4, 5, groups, 10}));
    for (StringRef name : {"prefill", "decode"}) {
      SCOPED_TRACE(name.str());
      auto function = module->lookupSymbol<func::FuncOp>(name);
      // tokens, positions, block_table[, last]: the table right after
      // positions, so the others keep their order.
      ASSERT_GE(function.getNumArguments(), 3u);
      EXPECT_EQ(function.getArgAttrOfType<StringAttr>(1, "tfm.name").getValue(),
                "positions");
      EXPECT_EQ(function.getArgAttrOfType<StringAttr>(2, "tfm.name").getValue(),
                "block_table");
      auto table = cast<RankedTensorType>(function.getArgumentTypes()[2]);
      EXPECT_EQ(table.getShape(), (ArrayRef<int64_t>{2, 4}));
      EXPECT_TRUE(table.getElementType().isInteger(32));
      // Every cache op reads the table, inside the layers through a layer
      // operand, as the positions.
      int64_t paged = 0, ops = 0;
      function.walk([&](Operation *op) {
        Value operand;
        if (auto write = dyn_cast<tfm::CacheWriteOp>(op))
          operand = write.getBlockTable();
        else if (auto cached = dyn_cast<tfm::CachedAttentionOp>(op))
          operand = cached.getBlockTable();
        else
          return;
        ++ops;
        paged += operand && operand.getType() == table;
      });
      EXPECT_EQ(ops, 6);
      EXPECT_EQ(paged, 6);
    }
    module->walk(
        [](tfm::LayerOp layer) { EXPECT_EQ(layer.getInputs().size(), 3u); });
  }
}

TEST_F(InferenceDerivationTest, KVBlocksSetsThePoolSize) {
  OwningOpRef<ModuleOp> module = prefillAndDecode(tinyGpt());
  PassManager pm(&context);
  DeriveInferencePassOptions options;
  options.kvBlockSize = 16;
  options.kvBlocks = 3;
  pm.addPass(createDeriveInferencePass(options));
  ASSERT_TRUE(succeeded(pm.run(*module)));
  for (auto cache : module->getOps<tfm::KVCacheOp>())
    EXPECT_EQ(cache.getTensorType().getShape(),
              (ArrayRef<int64_t>{3, 16, 3, 10}));
  auto decode = module->lookupSymbol<func::FuncOp>("decode");
  EXPECT_EQ(cast<RankedTensorType>(decode.getArgumentTypes()[2]).getShape(),
            (ArrayRef<int64_t>{2, 1}));
}

} // namespace

//===- DeriveInference.cpp - prefill and decode with a KV cache -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A thin wrapper: the rewrites are in compiler/Inference/InferenceDerivation.
//
//===----------------------------------------------------------------------===//
#include "compiler/Inference/InferenceDerivation.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::strata {
#define GEN_PASS_DEF_DERIVEINFERENCEPASS
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::strata

using namespace mlir;
using namespace mlir::strata;

namespace {

class DeriveInferencePass
    : public mlir::strata::impl::DeriveInferencePassBase<DeriveInferencePass> {
public:
  using DeriveInferencePassBase::DeriveInferencePassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t length = cacheLength;
    if (length <= 0) {
      auto config = module->getAttrOfType<DictionaryAttr>("tfm.config");
      auto max = config ? config.getAs<IntegerAttr>("max_position_embeddings")
                        : IntegerAttr();
      if (!max || max.getInt() < 1) {
        module.emitError() << "expected a cache-length option or a "
                              "tfm.config max_position_embeddings to size "
                              "the KV caches";
        return signalPassFailure();
      }
      length = max.getInt();
    }
    if (kvBlockSize < 0 || kvBlocks < 0 || (kvBlocks > 0 && kvBlockSize == 0)) {
      module.emitError() << "expected kv-block-size >= 1 for paged caches "
                            "(kv-blocks only with it), got kv-block-size "
                         << kvBlockSize << " and kv-blocks " << kvBlocks;
      return signalPassFailure();
    }
    KVCacheLayout layout{length, kvBlockSize, kvBlocks};
    SmallVector<func::FuncOp> selected;
    if (functions.empty()) {
      llvm::append_range(selected, module.getOps<func::FuncOp>());
    } else {
      for (const std::string &name : functions) {
        auto function = module.lookupSymbol<func::FuncOp>(name);
        if (!function) {
          module.emitError()
              << "no function @" << name << " to derive inference from";
          return signalPassFailure();
        }
        selected.push_back(function);
      }
    }
    // The default pool holds every row of the largest batch at the whole
    // context (prefill and decode may have different batches).
    if (layout.paged() && layout.numBlocks == 0) {
      int64_t batch = 1;
      for (func::FuncOp function : selected)
        if (function.getNumArguments() > 0)
          if (auto type = dyn_cast<RankedTensorType>(
                  function.getArgument(0).getType());
              type && type.getRank() >= 1)
            batch = std::max(batch, type.getDimSize(0));
      layout.numBlocks = batch * layout.tableWidth();
    }
    for (func::FuncOp function : selected)
      if (failed(deriveInferenceFunction(function, layout)))
        return signalPassFailure();
    module->setAttr("tfm.phase", Builder(module).getStringAttr("inference"));
  }
};

} // namespace

//===- WeightQuantization.cpp - int8 weight-only quantization -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Inference/WeightQuantization.h"

#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::strata;

namespace {

/// The function's token argument: its first (prefill and decode take
/// tokens first), seen through no region (lookups sit outside layers).
bool readsTokens(tfm::EmbeddingOp lookup) {
  auto argument = dyn_cast<BlockArgument>(lookup.getIds());
  return argument && argument.getArgNumber() == 0 &&
         isa<func::FuncOp>(argument.getOwner()->getParentOp());
}

/// Every read of |parameter| is a param_ref feeding only matmul weights
/// and embedding tables, and one of them is a matmul weight or a token
/// lookup (not the position embedding).
bool isQuantizable(tfm::ParameterOp parameter, ModuleOp module) {
  if (!isa<FloatType>(parameter.getTensorType().getElementType()) ||
      parameter.getTensorType().getRank() < 2)
    return false;
  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(parameter.getSymNameAttr(), module);
  if (!uses)
    return false;
  bool weightOrTokens = false, any = false;
  for (const SymbolTable::SymbolUse &use : *uses) {
    auto ref = dyn_cast<tfm::ParamRefOp>(use.getUser());
    if (!ref)
      return false;
    for (OpOperand &read : ref.getResult().getUses()) {
      any = true;
      if (auto matmul = dyn_cast<tfm::MatmulOp>(read.getOwner());
          matmul && read.getOperandNumber() == 1)
        weightOrTokens = true;
      else if (auto lookup = dyn_cast<tfm::EmbeddingOp>(read.getOwner());
               lookup && read.getOperandNumber() == 0)
        weightOrTokens |= readsTokens(lookup);
      else
        return false;
    }
  }
  return any && weightOrTokens;
}

/// Replaces the readers of one param_ref of a quantized weight.
void rewriteReaders(tfm::ParamRefOp ref, tfm::ParameterOp scales) {
  OpBuilder builder(ref);
  Value scaleRead = tfm::ParamRefOp::create(
      builder, ref.getLoc(), scales.getTensorType(),
      FlatSymbolRefAttr::get(scales.getSymNameAttr()));
  // The new ops read |ref| too: collect the old readers first.
  SmallVector<Operation *> users(ref.getResult().getUsers());
  for (Operation *user : users) {
    builder.setInsertionPoint(user);
    Value replacement;
    if (auto matmul = dyn_cast<tfm::MatmulOp>(user))
      replacement = tfm::QuantizedMatmulOp::create(
          builder, matmul.getLoc(), matmul.getType(), matmul.getInput(),
          ref.getResult(), scaleRead, matmul.getContractingDimsAttr());
    else if (auto lookup = dyn_cast<tfm::EmbeddingOp>(user))
      replacement = tfm::QuantizedEmbeddingOp::create(
          builder, lookup.getLoc(), lookup.getType(), ref.getResult(),
          lookup.getIds(), scaleRead, lookup.getVocabShardAxisAttr());
    user->getResult(0).replaceAllUsesWith(replacement);
    user->erase();
  }
}

} // namespace

std::string mlir::strata::quantizationScaleName(llvm::StringRef weight) {
  return weight.str() + "_scale";
}

std::vector<std::string> mlir::strata::quantizableWeights(ModuleOp module) {
  std::vector<std::string> names;
  for (auto parameter : module.getOps<tfm::ParameterOp>())
    if (isQuantizable(parameter, module))
      names.push_back(parameter.getSymName().str());
  return names;
}

LogicalResult mlir::strata::quantizeWeightsInt8(ModuleOp module) {
  SymbolTable symbols(module);
  for (const std::string &name : quantizableWeights(module)) {
    auto parameter = symbols.lookup<tfm::ParameterOp>(name);
    const std::string scaleName = quantizationScaleName(name);
    if (symbols.lookup(scaleName))
      return parameter.emitError()
             << "cannot quantize @" << name << ": its scale parameter @"
             << scaleName << " already exists";
    RankedTensorType type = parameter.getTensorType();
    // The scales cover the output dimensions: the weight's all but the
    // contracted ones, which every matmul reading it must agree on.
    std::optional<int64_t> contracted;
    // (Kept in a variable: a range-for over *getSymbolUses() would read a
    // destroyed temporary.)
    std::optional<SymbolTable::UseRange> reads =
        SymbolTable::getSymbolUses(parameter.getSymNameAttr(), module);
    for (const SymbolTable::SymbolUse &use : *reads)
      for (Operation *user : use.getUser()->getResult(0).getUsers()) {
        int64_t c = 1;
        if (auto matmul = dyn_cast<tfm::MatmulOp>(user))
          c = matmul.getNumContractingDims();
        if (contracted && *contracted != c)
          return parameter.emitError()
                 << "cannot quantize @" << name
                 << " per output channel: its readers contract " << *contracted
                 << " and " << c << " trailing dimensions";
        contracted = c;
      }
    OpBuilder builder(parameter);
    builder.setInsertionPointAfter(parameter);
    auto scaleType = RankedTensorType::get(
        type.getShape().drop_back(*contracted), builder.getF32Type());
    auto scales = tfm::ParameterOp::create(
        builder, parameter.getLoc(), builder.getStringAttr(scaleName),
        TypeAttr::get(scaleType),
        tfm::InitAttr::get(builder.getContext(), tfm::InitKind::ones),
        /*trainable=*/UnitAttr(), /*weight_decay=*/UnitAttr(),
        /*main=*/TypeAttr(), /*scales=*/FlatSymbolRefAttr());
    symbols.insert(scales);
    // Inference does not train: the i8 weight has no optimizer state.
    auto int8 = type.clone(builder.getIntegerType(8));
    parameter.setTypeAttr(TypeAttr::get(int8));
    parameter.setTrainable(false);
    parameter.setWeightDecay(false);
    parameter.removeMainAttr();
    parameter.setScalesAttr(FlatSymbolRefAttr::get(scales.getSymNameAttr()));
    for (const SymbolTable::SymbolUse &use : *reads) {
      auto ref = cast<tfm::ParamRefOp>(use.getUser());
      ref.getResult().setType(int8);
      rewriteReaders(ref, scales);
    }
  }
  return success();
}

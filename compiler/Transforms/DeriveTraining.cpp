//===- DeriveTraining.cpp - the training step from the forward function ---===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Autodiff/ReverseMode.h"
#include "compiler/Inference/PromptTables.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::strata {
#define GEN_PASS_DEF_DERIVETRAININGPASS
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::strata

using namespace mlir;
using namespace mlir::strata;

namespace {

constexpr StringLiteral kForward = "forward";
constexpr StringLiteral kForwardBackward = "forward_backward";
constexpr StringLiteral kZeroGrads = "zero_grads";
constexpr StringLiteral kOptimizerStep = "optimizer_step";

/// Gives every attention op its log-sum-exp result, which the backward
/// pass reads instead of recomputing the scores' normalizer.
void addLogSumExpResults(func::FuncOp function) {
  SmallVector<tfm::AttentionOp> attentions;
  function.walk([&](tfm::AttentionOp op) {
    if (!op.getLse())
      attentions.push_back(op);
  });
  for (tfm::AttentionOp op : attentions) {
    auto query = cast<RankedTensorType>(op.getQuery().getType());
    ArrayRef<int64_t> q = query.getShape();
    Type element = query.getElementType().isF64()
                       ? Type(Float64Type::get(op.getContext()))
                       : Type(Float32Type::get(op.getContext()));
    auto lseType = RankedTensorType::get({q[0], q[2], q[1]}, element);
    OpBuilder builder(op);
    auto replacement = tfm::AttentionOp::create(
        builder, op.getLoc(), op.getResult().getType(), lseType,
        op.getQuery(), op.getKey(), op.getValue(), op.getCausalAttr(),
        op.getScaleAttr(), op.getDropoutAttr(), op.getRngStreamAttr(),
        op.getHeadShardAxisAttr());
    op.getResult().replaceAllUsesWith(replacement.getResult());
    op.erase();
  }
}

/// Numbers the random streams of dropout (standalone and inside attention)
/// in program order, so forward and backward draw the same masks.
void assignRandomStreams(func::FuncOp function) {
  int64_t next = 0;
  Builder builder(function.getContext());
  function.walk([&](Operation *op) {
    if (auto dropout = dyn_cast<tfm::DropoutOp>(op)) {
      dropout.setRngStreamAttr(builder.getI64IntegerAttr(next++));
    } else if (auto attention = dyn_cast<tfm::AttentionOp>(op)) {
      if (attention.getDropoutRate() > 0.0)
        attention.setRngStreamAttr(builder.getI64IntegerAttr(next++));
    }
  });
}

/// The number of micro-batches a step accumulates, from the description.
int64_t microBatchesPerStep(ModuleOp module) {
  auto config = module->getAttrOfType<DictionaryAttr>("tfm.config");
  if (!config)
    return 1;
  auto get = [&](StringRef key) -> int64_t {
    auto value = config.getAs<IntegerAttr>(key);
    return value ? value.getInt() : 1;
  };
  int64_t perStep = get("micro_batch_size") * get("data_parallel_size");
  return perStep > 0 ? std::max<int64_t>(1, get("global_batch_size") / perStep)
                     : 1;
}

/// f16 mixed precision scales the loss dynamically (NeMo's GradScaler):
/// precision 16 with the O1 or O2 recipe; bf16 and Lightning's 16-true do
/// not.
bool usesLossScaling(ModuleOp module) {
  auto config = module->getAttrOfType<DictionaryAttr>("tfm.config");
  if (!config)
    return false;
  auto precision = config.getAs<StringAttr>("precision");
  auto recipe = config.getAs<StringAttr>("mixed_precision");
  return precision && precision.getValue() == "16" && recipe &&
         recipe.getValue() != "none";
}

class DeriveTrainingPass
    : public mlir::strata::impl::DeriveTrainingPassBase<DeriveTrainingPass> {
public:
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>(kForward);
    if (!forward) {
      module.emitError() << "expected a @" << kForward
                         << " function (the input phase) to derive training "
                            "from";
      return signalPassFailure();
    }
    for (StringRef name : {kForwardBackward, kZeroGrads, kOptimizerStep})
      if (module.lookupSymbol(name)) {
        module.emitError() << "the module already has a @" << name
                           << " function; derive training once";
        return signalPassFailure();
      }
    FunctionType forwardType = forward.getFunctionType();
    auto lossType = forwardType.getNumResults() == 2
                        ? dyn_cast<RankedTensorType>(forwardType.getResult(1))
                        : RankedTensorType();
    if (!lossType || lossType.getRank() != 0) {
      forward.emitOpError() << "expected results (logits, scalar loss), got "
                            << forwardType.getResults();
      return signalPassFailure();
    }
    // P-tuning's tables, which checkpoints carry for inference: copied from
    // forward before anything rewrites it.
    if (failed(addPromptTablesFunction(forward)))
      return signalPassFailure();
    // The training-mode forward draws the same masks as forward_backward's
    // forward for the same seed and call.
    assignRandomStreams(forward);
    if (failed(buildForwardBackward(module, forward, lossType)))
      return signalPassFailure();
    buildZeroGrads(module);
    buildOptimizerStep(module, lossType);
    module->setAttr("tfm.phase", Builder(module).getStringAttr("training"));
    module->setAttr("tfm.micro_batches",
                    Builder(module).getI64IntegerAttr(
                        microBatchesPerStep(module)));
  }

private:
  LogicalResult buildForwardBackward(ModuleOp module, func::FuncOp forward,
                                     RankedTensorType lossType) {
    OpBuilder builder(module.getContext());
    builder.setInsertionPointAfter(forward);
    auto function = cast<func::FuncOp>(builder.clone(*forward));
    function.setSymName(kForwardBackward);
    unsigned scaleIndex = function.getNumArguments();
    if (failed(function.insertArgument(
            scaleIndex, lossType,
            builder.getDictionaryAttr(builder.getNamedAttr(
                "tfm.name", builder.getStringAttr("loss_scale"))),
            function.getLoc())))
      return failure();
    Block &entry = function.getBody().front();
    BlockArgument lossScale = entry.getArgument(scaleIndex);
    // Training returns the loss only: the logits die inside the step.
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    Value loss = ret.getOperand(1);
    ret->setOperands(ValueRange{loss});
    if (failed(function.eraseResult(0)))
      return failure();

    addLogSumExpResults(function);
    assignRandomStreams(function);
    return differentiateFunction(function, loss, lossScale);
  }

  void buildZeroGrads(ModuleOp module) {
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    auto function = func::FuncOp::create(builder, module.getLoc(), kZeroGrads,
                                         builder.getFunctionType({}, {}));
    builder.setInsertionPointToStart(function.addEntryBlock());
    tfm::ZeroGradsOp::create(builder, module.getLoc());
    func::ReturnOp::create(builder, module.getLoc());
  }

  /// optimizer_step(lr, beta1, beta2, eps, weight_decay, max_grad_norm,
  /// step[, loss_scale]) -> norm. Under f16 loss scaling the gradient slots
  /// hold the scaled loss's gradients: the norm is divided by the scale,
  /// AdamW takes clip / scale and skips the step unless the norm is finite.
  /// A parameter with a main parameter updates that, then rounds it back.
  void buildOptimizerStep(ModuleOp module, RankedTensorType scalarType) {
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    SmallVector<StringRef> names = {"lr",           "beta1",         "beta2",
                                    "eps",          "weight_decay",  "max_grad_norm",
                                    "step"};
    const bool scaled = usesLossScaling(module);
    if (scaled)
      names.push_back("loss_scale");
    SmallVector<Type> inputs(names.size(), scalarType);
    Location loc = module.getLoc();
    auto function =
        func::FuncOp::create(builder, loc, kOptimizerStep,
                             builder.getFunctionType(inputs, {scalarType}));
    for (auto [i, name] : llvm::enumerate(names))
      function.setArgAttr(i, "tfm.name", builder.getStringAttr(name));
    Block *entry = function.addEntryBlock();
    builder.setInsertionPointToStart(entry);
    auto arg = [&](size_t i) { return entry->getArgument(i); };
    Value norm = tfm::GradNormOp::create(builder, loc, scalarType,
                                         /*parameters=*/ArrayAttr(),
                                         /*plus=*/Value());
    Value lossScale = scaled ? arg(7) : Value();
    if (scaled)
      norm = tfm::UnscaleOp::create(builder, loc, norm, lossScale);
    Value coefficient =
        tfm::ClipCoefficientOp::create(builder, loc, norm, arg(5));
    if (scaled)
      coefficient =
          tfm::UnscaleOp::create(builder, loc, coefficient, lossScale);
    for (auto parameter : module.getOps<tfm::ParameterOp>()) {
      if (!parameter.getTrainable())
        continue;
      auto name = FlatSymbolRefAttr::get(parameter.getSymNameAttr());
      const bool main = static_cast<bool>(parameter.getMainElementType());
      tfm::AdamWOp::create(builder, parameter.getLoc(), name, arg(0), arg(1),
                           arg(2), arg(3), arg(4), arg(6), coefficient,
                           /*finite_check=*/scaled ? norm : Value(),
                           /*shard_axis=*/StringAttr(),
                           /*main=*/main ? builder.getUnitAttr() : UnitAttr());
      if (main)
        tfm::ParamFromMainOp::create(builder, parameter.getLoc(), name,
                                     /*shard_axis=*/StringAttr());
    }
    func::ReturnOp::create(builder, loc, norm);
  }
};

} // namespace

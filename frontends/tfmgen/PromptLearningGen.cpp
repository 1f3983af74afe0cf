//===- PromptLearningGen.cpp - virtual tokens, prompt encoders, LoRA ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The emitter's prompt-learning pieces (docs/prompt-learning.md): each
// task's table inserted at its virtual positions, p-tuning's MLP and LSTM
// prompt encoders (NeMo's PromptEncoder), and LoRA adapters beside the
// frozen projections (NeMo's ParallelLinearAdapter: linear_in N(0,
// sqrt(2 / (in + r))), NeMo's xavier; linear_out zeros; the update scaled by
// alpha / r).
//
//===----------------------------------------------------------------------===//
#include "frontends/tfmgen/TfmEmitter.h"

#include <cmath>

namespace strata::frontend::detail {

ArrayAttr TfmEmitter::promptTasksAttr() {
  SmallVector<Attribute> tasks;
  for (const PromptTask &task : d.promptTasks.tasks) {
    SmallVector<NamedAttribute> entries = {
        builder.getNamedAttr("name", builder.getStringAttr(task.name)),
        builder.getNamedAttr("prompt_template",
                             builder.getStringAttr(task.templateText)),
        builder.getNamedAttr(
            "total_virtual_tokens",
            builder.getI64IntegerAttr(task.totalVirtualTokens)),
        builder.getNamedAttr("virtual_token_splits",
                             builder.getI64ArrayAttr(task.virtualTokenSplits)),
        builder.getNamedAttr("truncate_field",
                             builder.getStringAttr(task.truncateField)),
        builder.getNamedAttr("answer_only_loss",
                             builder.getBoolAttr(task.answerOnlyLoss)),
        builder.getNamedAttr("answer_field",
                             builder.getStringAttr(task.answerField)),
        builder.getNamedAttr("trained", builder.getBoolAttr(task.trained))};
    tasks.push_back(builder.getDictionaryAttr(entries));
  }
  return builder.getArrayAttr(tasks);
}

Value TfmEmitter::emitVirtualTokens(Value embeddings, Value virtualTokens) {
  Value x = embeddings;
  const PromptTaskSet &tasks = d.promptTasks;
  for (size_t i = 0; i < tasks.tasks.size(); ++i) {
    const PromptTask &task = tasks.tasks[i];
    Value table = emitTaskTable(task);
    x = tfm::InsertVirtualTokensOp::create(
        builder, nameLoc("virtual_tokens." + task.name), x, table,
        virtualTokens, builder.getI64IntegerAttr(tasks.offsetOf(i)));
  }
  return x;
}

Value TfmEmitter::emitTaskTable(const PromptTask &task) {
  const int64_t n = task.totalVirtualTokens, h = d.hiddenSize;
  // Prompt tuning's table, the table p-tuning leaves an existing task (its
  // encoder's output, frozen), and every p-tuning table for inference.
  if (*d.virtualPromptStyle == VirtualPromptStyle::PromptTuning ||
      !task.trained || options.promptTablesAsParameters)
    return weight(promptTableName(task.name), {n, h}, d.initMethodStd,
                  task.trained ? Role::Trained : Role::Frozen);
  const std::string prefix = "prompt_encoder." + task.name;
  // torch.nn.Embedding's N(0, 1), as NeMo's PromptEncoder leaves it: the
  // encoder's input must vary across rows at the scale its layers expect, or
  // every row of the table starts (and stays) nearly the same.
  Value input =
      weight(prefix + ".embedding.weight", {n, h}, 1.0, Role::Trained);
  return d.pTuning.encoderType == PTuningSettings::EncoderType::Lstm
             ? emitLstmEncoder(prefix, input)
             : emitMlpEncoder(prefix, input);
}

Value TfmEmitter::emitEncoderLinear(const std::string &name, Value x,
                                    int64_t in, int64_t out) {
  // torch.nn.Linear's U(-1/sqrt(in), 1/sqrt(in)) for weight and bias, by its
  // variance (NeMo's PromptEncoder keeps PyTorch's initialization).
  const double std = 1.0 / std::sqrt(3.0 * double(in));
  const int64_t n = cast<RankedTensorType>(x.getType()).getDimSize(0);
  Value w = weight(name + ".weight", {out, in}, std, Role::Trained);
  Value b = parameter(name + ".bias", {out},
                      tfm::InitAttr::get(&ctx, tfm::InitKind::normal, std),
                      Decay::No, Role::Trained);
  x = tfm::MatmulOp::create(builder, nameLoc(name), floatTensor({n, out}), x, w,
                            IntegerAttr());
  return tfm::BiasAddOp::create(builder, nameLoc(name), x, b);
}

Value TfmEmitter::emitMlpEncoder(const std::string &prefix, Value input) {
  const int64_t layers = d.pTuning.numLayers, h = d.hiddenSize;
  const int64_t hidden = d.pTuning.encoderHidden;
  Value x = input;
  for (int64_t i = 0; i < layers; ++i) {
    const std::string name = prefix + ".mlp." + std::to_string(i);
    const int64_t in = i == 0 ? h : hidden, out = i + 1 == layers ? h : hidden;
    x = emitEncoderLinear(name, x, in, out);
    if (i + 1 < layers)
      x = tfm::ReluOp::create(builder, nameLoc(name), x);
  }
  return x;
}

Value TfmEmitter::emitLstmEncoder(const std::string &prefix, Value input) {
  const int64_t layers = d.pTuning.numLayers, h = d.hiddenSize;
  const int64_t units = d.pTuning.encoderHidden;
  const int64_t n = cast<RankedTensorType>(input.getType()).getDimSize(0);
  // torch.nn.LSTM's U(-1/sqrt(E), 1/sqrt(E)) by its variance; the bias is
  // PyTorch's bias_ih + bias_hh, two such draws.
  const double std = 1.0 / std::sqrt(3.0 * double(units));
  Value x = input;
  for (int64_t i = 0; i < layers; ++i) {
    const std::string name = prefix + ".lstm." + std::to_string(i);
    const int64_t in = i == 0 ? h : 2 * units;
    // PyTorch's LSTM dropout: on each layer's output but the last.
    if (i > 0)
      x = emitDropout(x, d.pTuning.dropout);
    Value wi =
        weight(name + ".weight_ih", {2, 4 * units, in}, std, Role::Trained);
    Value wh =
        weight(name + ".weight_hh", {2, 4 * units, units}, std, Role::Trained);
    Value b = parameter(
        name + ".bias", {2, 4 * units},
        tfm::InitAttr::get(&ctx, tfm::InitKind::normal, std * std::sqrt(2.0)),
        Decay::No, Role::Trained);
    x = tfm::LstmOp::create(builder, nameLoc(name), floatTensor({n, 2 * units}),
                            x, wi, wh, b);
  }
  // NeMo's head: Linear(2E, 2E), ReLU, Linear(2E, hidden).
  for (int64_t i = 0; i < 2; ++i) {
    const std::string name = prefix + ".mlp_head." + std::to_string(i);
    x = emitEncoderLinear(name, x, 2 * units, i == 0 ? 2 * units : h);
    if (i == 0)
      x = tfm::ReluOp::create(builder, nameLoc(name), x);
  }
  return x;
}

void TfmEmitter::addLora(const std::string &adapter, Value x,
                         int64_t contracting, ArrayRef<std::string> names,
                         ArrayRef<SmallVector<int64_t, 2>> outShapes,
                         ArrayRef<std::string> targets,
                         MutableArrayRef<Value> outputs) {
  const int64_t r = d.lora.adapterDim;
  auto linearOut = [&](size_t i) {
    return adapter + ".linear_out" + (names[i].empty() ? "" : "." + names[i]) +
           ".weight";
  };
  if (options.mergeLora) {
    for (size_t i = 0; i < outputs.size(); ++i)
      loraUpdates.push_back(builder.getDictionaryAttr({
          builder.getNamedAttr("target",
                               builder.getStringAttr(targets[i] + ".weight")),
          builder.getNamedAttr("linear_in", builder.getStringAttr(
                                                adapter + ".linear_in.weight")),
          builder.getNamedAttr("linear_out",
                               builder.getStringAttr(linearOut(i))),
      }));
    return;
  }
  ArrayRef<int64_t> xShape = cast<RankedTensorType>(x.getType()).getShape();
  ArrayRef<int64_t> inDims = xShape.take_back(contracting);
  int64_t in = 1;
  for (int64_t dim : inDims)
    in *= dim;
  SmallVector<int64_t> aShape = {r};
  llvm::append_range(aShape, inDims);
  Value a = weight(adapter + ".linear_in.weight", aShape,
                   std::sqrt(2.0 / double(in + r)), Role::Trained);
  SmallVector<int64_t> lowShape(xShape.drop_back(contracting));
  lowShape.push_back(r);
  Location loc = nameLoc(adapter);
  IntegerAttr contractingAttr =
      contracting == 1 ? IntegerAttr() : builder.getI64IntegerAttr(contracting);
  Value low = tfm::MatmulOp::create(builder, loc, floatTensor(lowShape),
                                    emitDropout(x, d.lora.adapterDropout), a,
                                    contractingAttr);
  const FloatAttr scale = builder.getF64FloatAttr(d.lora.alpha / double(r));
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string name = linearOut(i);
    SmallVector<int64_t> bShape(outShapes[i].begin(), outShapes[i].end());
    bShape.push_back(r);
    Value b =
        parameter(name, bShape, tfm::InitAttr::get(&ctx, tfm::InitKind::zeros),
                  Decay::Yes, Role::Trained);
    Value update = tfm::MatmulOp::create(
        builder, nameLoc(name), outputs[i].getType(), low, b, IntegerAttr());
    update = tfm::ScaleOp::create(builder, nameLoc(name), update, scale);
    outputs[i] = tfm::AddOp::create(builder, nameLoc(name), outputs[i], update);
  }
}

DictionaryAttr TfmEmitter::loraMergeAttr() {
  const int64_t r = d.lora.adapterDim;
  return builder.getDictionaryAttr({
      builder.getNamedAttr("scale",
                           builder.getF64FloatAttr(d.lora.alpha / double(r))),
      builder.getNamedAttr("rank", builder.getI64IntegerAttr(r)),
      builder.getNamedAttr("updates", builder.getArrayAttr(loraUpdates)),
  });
}

} // namespace strata::frontend::detail

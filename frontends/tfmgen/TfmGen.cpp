//===- TfmGen.cpp - model description to tfm IR ---------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The model follows Megatron-LM's GPT and Llama definitions: pre-norm
// layers, residual connections around attention and MLP, an optional final
// norm and an output head tied to (or separate from) the word embeddings.
// Parameters are initialized as Megatron does: N(0, init_method_std) for
// weights, std / sqrt(2 * num_layers) for the two output projections of each
// layer when use_scaled_init_method, zeros for biases, ones for norm scales.
//
//===----------------------------------------------------------------------===//
#include "frontends/tfmgen/TfmGen.h"
#include "frontends/tfmgen/TfmEmitter.h"

#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>
#include <string>

using namespace mlir;
using namespace mlir::strata;

namespace strata::frontend {
namespace detail {

Value TfmEmitter::parameter(const std::string &name, ArrayRef<int64_t> shape,
                            tfm::InitAttr init, Decay decay, Role role) {
  // NeMo's do_layer_norm_weight_decay: every base parameter decays.
  if (role == Role::Base && d.doLayerNormWeightDecay)
    decay = Decay::Yes;
  RankedTensorType type = floatTensor(shape);
  RankedTensorType stored = type.clone(parameterType);
  const bool trainable =
      role == Role::Trained || (role == Role::Base && !d.freezesBase());
  {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPoint(forwardOp);
    tfm::ParameterOp::create(
        builder, nameLoc(name), builder.getStringAttr(name),
        TypeAttr::get(stored), init,
        /*trainable=*/trainable ? builder.getUnitAttr() : UnitAttr(),
        /*weight_decay=*/decay == Decay::Yes ? builder.getUnitAttr()
                                             : UnitAttr(),
        /*main=*/trainable && d.mixedPrecision == MixedPrecision::O2
            ? TypeAttr::get(builder.getF32Type())
            : TypeAttr(),
        /*scales=*/FlatSymbolRefAttr());
  }
  Value read = tfm::ParamRefOp::create(builder, nameLoc(name), stored,
                                       FlatSymbolRefAttr::get(&ctx, name));
  if (stored == type)
    return read;
  return tfm::CastOp::create(builder, nameLoc(name), type, read);
}

Value TfmEmitter::emitNorm(const std::string &prefix, Value x) {
  Location loc = nameLoc(prefix);
  int64_t h = d.hiddenSize;
  // layernorm1p stores w - 1, zero at init, as NeMo (and its checkpoints)
  // do; the kernel scales by 1 + w.
  const bool zeroCentered = d.normalization == Normalization::LayerNorm1P;
  Value scale =
      parameter(prefix + ".weight", {h},
                tfm::InitAttr::get(&ctx, zeroCentered ? tfm::InitKind::zeros
                                                      : tfm::InitKind::ones),
                Decay::No);
  FloatAttr epsilon = builder.getF64FloatAttr(d.layernormEpsilon);
  if (d.normalization == Normalization::RMSNorm)
    return tfm::RMSNormOp::create(builder, loc, x, scale, epsilon);
  Value shift = d.bias ? bias(prefix + ".bias", {h}) : Value();
  return tfm::LayerNormOp::create(
      builder, loc, x.getType(), x, scale, shift, epsilon,
      zeroCentered ? builder.getUnitAttr() : UnitAttr());
}

// y = x . W (+ b), with W laid out [out..., in...] and b [out...].
Value TfmEmitter::emitLinear(const std::string &prefix, Value x,
                             ArrayRef<int64_t> outShape, int64_t contracting,
                             double std) {
  Location loc = nameLoc(prefix);
  ArrayRef<int64_t> xShape = cast<RankedTensorType>(x.getType()).getShape();
  SmallVector<int64_t> wShape(outShape);
  llvm::append_range(wShape, xShape.take_back(contracting));
  Value w = weight(prefix + ".weight", wShape, std);
  SmallVector<int64_t> yShape(xShape.drop_back(contracting));
  llvm::append_range(yShape, outShape);
  IntegerAttr contractingAttr =
      contracting == 1 ? IntegerAttr() : builder.getI64IntegerAttr(contracting);
  Value y = tfm::MatmulOp::create(builder, loc, floatTensor(yShape), x, w,
                                  contractingAttr);
  if (!d.bias)
    return y;
  Value b = bias(prefix + ".bias", outShape);
  return tfm::BiasAddOp::create(builder, loc, y, b);
}

Value TfmEmitter::emitAttention(const std::string &prefix, Value x,
                                Value positions) {
  double std = d.initMethodStd;
  double outputStd =
      d.useScaledInitMethod ? std / std::sqrt(2.0 * d.numLayers) : std;
  int64_t heads = d.numAttentionHeads, groups = d.numQueryGroups,
          dim = d.headDim;
  Value q = emitLinear(prefix + ".query", x, {heads, dim}, 1, std);
  Value k = emitLinear(prefix + ".key", x, {groups, dim}, 1, std);
  Value v = emitLinear(prefix + ".value", x, {groups, dim}, 1, std);
  if (d.lora.enabled && d.lora.attentionQkv) {
    Value qkv[] = {q, k, v};
    addLora(prefix + ".lora_qkv", x, 1, {"query", "key", "value"},
            {{heads, dim}, {groups, dim}, {groups, dim}},
            {prefix + ".query", prefix + ".key", prefix + ".value"}, qkv);
    q = qkv[0], k = qkv[1], v = qkv[2];
  }
  if (d.positionEmbedding == PositionEmbedding::Rope) {
    // Megatron rounds the rotated width down to an even number of dims.
    int64_t rotary = static_cast<int64_t>(d.rotaryPercentage * dim) / 2 * 2;
    FloatAttr base = builder.getF64FloatAttr(d.rotaryBase);
    IntegerAttr dims = builder.getI64IntegerAttr(rotary);
    Location loc = nameLoc(prefix + ".rotary");
    q = tfm::RotaryEmbeddingOp::create(builder, loc, q.getType(), q, positions,
                                       base, dims);
    k = tfm::RotaryEmbeddingOp::create(builder, loc, k.getType(), k, positions,
                                       base, dims);
  }
  FloatAttr dropout = d.attentionDropout > 0.0
                          ? builder.getF64FloatAttr(d.attentionDropout)
                          : FloatAttr();
  Value context =
      tfm::AttentionOp::create(
          builder, nameLoc(prefix + ".core"), q.getType(), /*lse=*/Type(), q, k,
          v, /*causal=*/builder.getUnitAttr(),
          // normalize_attention_scores false: unscaled scores (NeMo).
          // Megatron's apply_query_key_layer_scaling divides by the layer
          // number and multiplies back in its f32 softmax: the same scores.
          builder.getF64FloatAttr(d.normalizeAttentionScores
                                      ? 1.0 /
                                            std::sqrt(static_cast<double>(dim))
                                      : 1.0),
          dropout, /*rng_stream=*/IntegerAttr(),
          /*head_shard_axis=*/StringAttr())
          .getResult();
  Value out =
      emitLinear(prefix + ".output", context, {d.hiddenSize}, 2, outputStd);
  if (d.lora.enabled && d.lora.attentionDense)
    addLora(prefix + ".lora_dense", context, 2, {""}, {{d.hiddenSize}},
            {prefix + ".output"}, out);
  return out;
}

Value TfmEmitter::emitMlp(const std::string &prefix, Value x) {
  double std = d.initMethodStd;
  double outputStd =
      d.useScaledInitMethod ? std / std::sqrt(2.0 * d.numLayers) : std;
  int64_t ffn = d.ffnHiddenSize;
  Value h;
  if (d.activation == Activation::SwiGLU) {
    Value gate = emitLinear(prefix + ".gate", x, {ffn}, 1, std);
    Value up = emitLinear(prefix + ".up", x, {ffn}, 1, std);
    if (d.lora.enabled && d.lora.mlpFc1) {
      Value gateUp[] = {gate, up};
      addLora(prefix + ".lora_fc1", x, 1, {"gate", "up"}, {{ffn}, {ffn}},
              {prefix + ".gate", prefix + ".up"}, gateUp);
      gate = gateUp[0], up = gateUp[1];
    }
    h = tfm::SwiGLUOp::create(builder, nameLoc(prefix + ".activation"), gate,
                              up);
  } else {
    Value fc1 = emitLinear(prefix + ".fc1", x, {ffn}, 1, std);
    if (d.lora.enabled && d.lora.mlpFc1)
      addLora(prefix + ".lora_fc1", x, 1, {""}, {{ffn}}, {prefix + ".fc1"},
              fc1);
    auto approximation = d.activation == Activation::FastGelu
                             ? tfm::GeluApproximation::tanh
                             : tfm::GeluApproximation::erf;
    h = tfm::GeluOp::create(builder, nameLoc(prefix + ".activation"),
                            approximation, fc1);
  }
  h = emitDropout(h, d.ffnDropout);
  Value out = emitLinear(prefix + ".fc2", h, {d.hiddenSize}, 1, outputStd);
  if (d.lora.enabled && d.lora.mlpFc2)
    addLora(prefix + ".lora_fc2", h, 1, {""}, {{d.hiddenSize}},
            {prefix + ".fc2"}, out);
  return out;
}

void TfmEmitter::emitLayer(int64_t index, Value &hidden, Value positions) {
  std::string prefix = "layers." + std::to_string(index);
  SmallVector<Value> inputs = {hidden};
  if (positions)
    inputs.push_back(positions);
  auto layer = tfm::LayerOp::create(builder, nameLoc(prefix), index, inputs,
                                    TypeRange{hidden.getType()});
  OpBuilder::InsertionGuard guard(builder);
  Block &body = layer.getBody().front();
  builder.setInsertionPointToStart(&body);
  Value x = body.getArgument(0);
  Value layerPositions = positions ? body.getArgument(1) : Value();

  Value attention =
      emitAttention(prefix + ".attention", emitNorm(prefix + ".input_norm", x),
                    layerPositions);
  attention = emitDropout(attention, d.hiddenDropout);
  Value mid =
      tfm::AddOp::create(builder, nameLoc(prefix + ".residual"), x, attention);
  Value mlp =
      emitMlp(prefix + ".mlp", emitNorm(prefix + ".post_attention_norm", mid));
  mlp = emitDropout(mlp, d.hiddenDropout);
  Value out =
      tfm::AddOp::create(builder, nameLoc(prefix + ".residual"), mid, mlp);
  tfm::YieldOp::create(builder, nameLoc(prefix), ValueRange{out});
  hidden = layer.getResult(0);
}

Value TfmEmitter::emitEmbeddings(Value tokens, Value positions,
                                 Value virtualTokens, Value &wordEmbeddings) {
  wordEmbeddings = weight("embedding.word_embeddings.weight",
                          {d.paddedVocabSize, d.hiddenSize}, d.initMethodStd);
  Value x = tfm::EmbeddingOp::create(builder, nameLoc("embedding"),
                                     hiddenType(), wordEmbeddings, tokens,
                                     /*vocab_shard_axis=*/StringAttr());
  // As NeMo: virtual tokens replace word embeddings, positions come after.
  if (virtualTokens)
    x = emitVirtualTokens(x, virtualTokens);
  if (d.positionEmbedding == PositionEmbedding::LearnedAbsolute) {
    Value table =
        weight("embedding.position_embeddings.weight",
               {d.maxPositionEmbeddings, d.hiddenSize}, d.initMethodStd);
    Value p = tfm::EmbeddingOp::create(builder, nameLoc("embedding"),
                                       hiddenType(), table, positions,
                                       /*vocab_shard_axis=*/StringAttr());
    x = tfm::AddOp::create(builder, nameLoc("embedding"), x, p);
  }
  return emitDropout(x, d.hiddenDropout);
}

DictionaryAttr TfmEmitter::configAttr() {
  SmallVector<NamedAttribute> entries;
  auto add = [&](StringRef key, Attribute value) {
    entries.push_back(builder.getNamedAttr(key, value));
  };
  auto i64 = [&](int64_t v) { return builder.getI64IntegerAttr(v); };
  auto f64 = [&](double v) { return builder.getF64FloatAttr(v); };
  auto str = [&](StringRef v) { return builder.getStringAttr(v); };
  add("name", str(d.name));
  add("num_layers", i64(d.numLayers));
  add("hidden_size", i64(d.hiddenSize));
  add("ffn_hidden_size", i64(d.ffnHiddenSize));
  add("num_attention_heads", i64(d.numAttentionHeads));
  add("num_query_groups", i64(d.numQueryGroups));
  add("kv_channels", i64(d.headDim));
  add("seq_length", i64(d.seqLength));
  add("max_position_embeddings", i64(d.maxPositionEmbeddings));
  add("vocab_size", i64(d.vocabSize));
  add("padded_vocab_size", i64(d.paddedVocabSize));
  add("normalization", str(toString(d.normalization)));
  add("activation", str(toString(d.activation)));
  add("position_embedding_type", str(toString(d.positionEmbedding)));
  // The Hugging Face family those choices make, which the artifact records
  // for the runtime's checkpoints; a mixture has none.
  ::strata::Checked<::strata::ModelFamily> family = ::strata::modelFamilyOf(
      d.normalization, d.activation, d.positionEmbedding);
  if (family.isOk())
    add("model_family", str(::strata::modelFamilyKey(*family)));
  add("rotary_percentage", f64(d.rotaryPercentage));
  add("rotary_base", f64(d.rotaryBase));
  add("share_embeddings_and_output_weights",
      builder.getBoolAttr(d.shareEmbeddingsAndOutputWeights));
  add("bias", builder.getBoolAttr(d.bias));
  add("hidden_dropout", f64(d.hiddenDropout));
  add("attention_dropout", f64(d.attentionDropout));
  add("ffn_dropout", f64(d.ffnDropout));
  add("init_method_std", f64(d.initMethodStd));
  add("use_scaled_init_method", builder.getBoolAttr(d.useScaledInitMethod));
  add("layernorm_epsilon", f64(d.layernormEpsilon));
  // Only when they differ from the defaults, so other programs' IR stays as
  // it was.
  if (!d.normalizeAttentionScores)
    add("normalize_attention_scores", builder.getBoolAttr(false));
  if (d.doLayerNormWeightDecay)
    add("do_layer_norm_weight_decay", builder.getBoolAttr(true));
  add("tensor_model_parallel_size", i64(d.tensorParallelSize));
  add("pipeline_model_parallel_size", i64(d.pipelineParallelSize));
  add("virtual_pipeline_model_parallel_size",
      i64(d.virtualPipelineParallelSize));
  add("data_parallel_size", i64(d.dataParallelSize));
  add("sequence_parallel", builder.getBoolAttr(d.sequenceParallel));
  add("use_distributed_optimizer", builder.getBoolAttr(d.distributedOptimizer));
  add("activations_checkpoint_granularity",
      str(toString(d.recomputeGranularity)));
  add("activations_checkpoint_method", str(toString(d.recomputeMethod)));
  add("activations_checkpoint_num_layers", i64(d.recomputeNumLayers));
  add("micro_batch_size", i64(d.microBatchSize));
  add("global_batch_size", i64(d.globalBatchSize));
  add("precision", str(toString(d.precision)));
  // Where the runtime finds the frozen base of a prompt-learning model.
  if (!d.languageModelPath.empty())
    add("language_model_path", str(d.languageModelPath));
  // Half precisions only, so that f32 and f64 programs stay as they were.
  if (d.precision == Precision::BF16 || d.precision == Precision::FP16)
    add("mixed_precision", str(toString(d.mixedPrecision)));
  // The runtime's f16 loss scaler (NeMo's GradScaler settings).
  if (d.precision == Precision::FP16 &&
      d.mixedPrecision != MixedPrecision::None) {
    add("native_amp_init_scale", f64(d.lossScaleInit));
    add("native_amp_growth_interval", i64(d.lossScaleGrowthInterval));
    add("hysteresis", i64(d.lossScaleHysteresis));
  }
  return builder.getDictionaryAttr(entries);
}

DictionaryAttr TfmEmitter::recordedKeysAttr() {
  // A later entry for the same path (an override) replaces an earlier one.
  llvm::StringMap<size_t> position;
  SmallVector<NamedAttribute> entries;
  for (const RecordedKey &key : d.recordedKeys) {
    NamedAttribute entry =
        builder.getNamedAttr(key.path, builder.getStringAttr(key.value));
    auto [it, inserted] = position.try_emplace(key.path, entries.size());
    if (inserted)
      entries.push_back(entry);
    else
      entries[it->second] = entry;
  }
  return builder.getDictionaryAttr(entries);
}

OwningOpRef<ModuleOp> TfmEmitter::emit() {
  Location fileLoc =
      d.sourcePath.empty()
          ? Location(builder.getUnknownLoc())
          : Location(FileLineColLoc::get(&ctx, d.sourcePath, 1, 1));
  OwningOpRef<ModuleOp> owned = ModuleOp::create(fileLoc, d.name);
  module = *owned;
  module->setAttr(kConfigAttrName, configAttr());
  if (!d.recordedKeys.empty())
    module->setAttr(kRecordedKeysAttrName, recordedKeysAttr());
  if (!d.trainingSettings.empty())
    module->setAttr(kTrainingSettingsAttrName, trainingSettingsAttr(d, ctx));
  // The tasks go to the artifact whether or not they have virtual tokens:
  // LoRA alone trains on the same JSON-lines task data.
  if (!d.promptTasks.tasks.empty())
    module->setAttr(kPromptTasksAttrName, promptTasksAttr());
  if (d.virtualPromptStyle)
    module->setAttr(kVirtualPromptStyleAttrName,
                    builder.getStringAttr(toString(*d.virtualPromptStyle)));

  RankedTensorType idsType = RankedTensorType::get({batch, seq}, indexType);
  RankedTensorType logitsType = floatTensor({batch, seq, d.paddedVocabSize});
  // The loss is f32 (the cross-entropy accumulates in f32) except in an f64
  // program, where everything is f64.
  RankedTensorType lossType = RankedTensorType::get(
      {}, floatType.isF64() ? floatType : builder.getF32Type());
  builder.setInsertionPointToEnd(module.getBody());
  // With virtual tokens a fourth input says which positions are virtual
  // (docs/prompt-learning.md).
  SmallVector<Type> inputs = {idsType, idsType, idsType};
  if (d.virtualPromptStyle)
    inputs.push_back(idsType);
  auto forward = func::FuncOp::create(
      builder, nameLoc(kForwardFunctionName), kForwardFunctionName,
      builder.getFunctionType(inputs, {logitsType, lossType}));
  forwardOp = forward;
  forward.setArgAttr(0, "tfm.name", builder.getStringAttr("tokens"));
  forward.setArgAttr(1, "tfm.name", builder.getStringAttr("positions"));
  forward.setArgAttr(2, "tfm.name", builder.getStringAttr("labels"));
  if (d.virtualPromptStyle)
    forward.setArgAttr(3, "tfm.name",
                       builder.getStringAttr(kVirtualTokensArgumentName));
  Block *entry = forward.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  Value tokens = entry->getArgument(0), positions = entry->getArgument(1),
        labels = entry->getArgument(2);
  Value virtualTokens = d.virtualPromptStyle ? entry->getArgument(3) : Value();

  Value wordEmbeddings;
  Value hidden =
      emitEmbeddings(tokens, positions, virtualTokens, wordEmbeddings);
  Value layerPositions =
      d.positionEmbedding == PositionEmbedding::Rope ? positions : Value();
  for (int64_t i = 0; i < d.numLayers; ++i)
    emitLayer(i, hidden, layerPositions);
  hidden = emitNorm("final_norm", hidden);
  Value outputWeight =
      d.shareEmbeddingsAndOutputWeights
          ? wordEmbeddings
          : weight("output.weight", {d.paddedVocabSize, d.hiddenSize},
                   d.initMethodStd);
  Value logits = tfm::MatmulOp::create(builder, nameLoc("output"), logitsType,
                                       hidden, outputWeight, IntegerAttr());
  // Megatron's padding rows are no tokens: the loss's softmax leaves them out.
  IntegerAttr validVocab;
  if (d.vocabSize > 0 && d.vocabSize < d.paddedVocabSize)
    validVocab = builder.getI64IntegerAttr(d.vocabSize);
  Value loss = tfm::CrossEntropyOp::create(builder, nameLoc("loss"), lossType,
                                           tfm::Reduction::mean, logits,
                                           labels, validVocab);
  func::ReturnOp::create(builder, nameLoc("output"), ValueRange{logits, loss});
  if (options.mergeLora && d.lora.enabled)
    module->setAttr(kLoraMergeAttrName, loraMergeAttr());
  return owned;
}

} // namespace detail

OwningOpRef<ModuleOp> emitTfmModule(const ModelDescription &description,
                                    MLIRContext &context,
                                    const EmitOptions &options) {
  context.loadDialect<tfm::TfmDialect, func::FuncDialect>();
  return detail::TfmEmitter(description, context, options).emit();
}

} // namespace strata::frontend

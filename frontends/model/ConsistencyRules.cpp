//===- ConsistencyRules.cpp - Defaults and rules across keys -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The rules follow Megatron-LM / NeMo: heads split evenly over tensor-
// parallel ranks, layers over pipeline stages (and virtual stages), the
// global batch over micro-batches and data-parallel replicas, and the
// vocabulary is padded for equal embedding shards.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ConsistencyRules.h"


#include "frontends/model/PromptLearningRules.h"
#include "frontends/model/ScalarValues.h"
#include "frontends/model/SectionReader.h"
#include "frontends/model/TrainingRules.h"
#include "frontends/model/Vocabulary.h"

#include <cmath>

namespace strata::frontend {

namespace {

/// "12 (line 5)", or "1 (default)" for an unset key.
std::string valueWithLine(const Given<int64_t> &given, int64_t effective,
                          const std::string &why = "default") {
  if (given.has())
    return std::to_string(*given) + describeLine(given.location);
  return std::to_string(effective) + " (" + why + ")";
}

/// "name 12 (line 5)", or "name 1 (default)" for an unset key.
std::string mention(const std::string &name, const Given<int64_t> &given,
                    int64_t effective, const std::string &why = "default") {
  return name + " " + valueWithLine(given, effective, why);
}

template <typename T>
const SourceLocation &locationOr(const Given<T> &given,
                                 const SourceLocation &fallback) {
  return given.present ? given.location : fallback;
}

class RuleChecker {
public:
  RuleChecker(const Settings &s, DiagnosticSink &sink, ModelDescription &d)
      : s(s), sink(sink), d(d) {}

  bool run();

private:
  bool checkRequired();
  void architecture();
  void tensorParallel();
  void rotary();
  void pipeline();
  void recompute();
  void sequenceParallel();
  void dataParallelAndBatches();
  void positions();
  void precision();
  void vocabulary();

  const Settings &s;
  DiagnosticSink &sink;
  ModelDescription &d;
  /// The sequence-length key as written: seq_length or encoder_seq_length.
  const Given<int64_t> *seq = nullptr;
  std::string seqName;
};

bool RuleChecker::run() {
  if (!checkRequired() || sink.hasErrors())
    return false;
  architecture();
  tensorParallel();
  rotary();
  pipeline();
  recompute();
  sequenceParallel();
  dataParallelAndBatches();
  positions();
  precision();
  vocabulary();
  applyPromptLearningRules(s, sink, d);
  applyTrainingRules(s, sink, d);
  return !sink.hasErrors();
}

bool RuleChecker::checkRequired() {
  if (!s.hasModel || !s.modelIsMapping)
    return false;
  bool ok = true;
  auto unresolved = [&](const std::string &name) {
    for (const std::string &key : s.unresolvedKeys)
      if (key == name)
        return true;
    return false;
  };
  // |name| is how the key is named in the message; |key| how it is written.
  auto require = [&](const Given<int64_t> &given, const std::string &key,
                     const std::string &name) {
    if (given.has())
      return;
    ok = false;
    if (unresolved(key))
      return; // the interpolation error is the message
    if (given.null)
      sink.error(given.location, key + " must be given, got null");
    else if (!given.present)
      sink.error(s.modelKeyLocation,
                 "missing required key " + name + " in model");
    // Otherwise the value was rejected, and that was reported.
  };
  require(s.numLayers, "num_layers", "'num_layers'");
  require(s.hiddenSize, "hidden_size", "'hidden_size'");
  require(s.numAttentionHeads, "num_attention_heads", "'num_attention_heads'");
  if (s.seqLength.has()) {
    seq = &s.seqLength;
    seqName = "seq_length";
  } else if (s.encoderSeqLength.has()) {
    seq = &s.encoderSeqLength;
    seqName = "encoder_seq_length";
  } else if (s.seqLength.present || unresolved("seq_length")) {
    require(s.seqLength, "seq_length", "'seq_length'");
  } else {
    require(s.encoderSeqLength, "encoder_seq_length",
            "'encoder_seq_length' (or 'seq_length')");
  }
  if (ok && s.seqLength.has() && s.encoderSeqLength.has() &&
      *s.seqLength != *s.encoderSeqLength) {
    sink.error(s.seqLength.location,
               "seq_length " + std::to_string(*s.seqLength) +
                   " does not match " +
                   mention("encoder_seq_length", s.encoderSeqLength, 0) +
                   "; give only one of them");
    ok = false;
  }
  return ok;
}

void RuleChecker::architecture() {
  d.numLayers = *s.numLayers;
  d.hiddenSize = *s.hiddenSize;
  d.numAttentionHeads = *s.numAttentionHeads;
  d.seqLength = **seq;
  d.ffnHiddenSize = s.ffnHiddenSize.valueOr(4 * d.hiddenSize);
  d.normalization = s.normalization.valueOr(Normalization::LayerNorm);
  d.activation = s.activation.valueOr(Activation::Gelu);
  // NeMo's openai_gelu picks Megatron's tanh ("OpenAI") GELU for activation
  // gelu; other activations ignore it (megatron activation_to_func).
  if (d.activation == Activation::Gelu && s.openaiGelu.valueOr(false))
    d.activation = Activation::FastGelu;
  d.normalizeAttentionScores = s.normalizeAttentionScores.valueOr(true);
  d.doLayerNormWeightDecay = s.doLayerNormWeightDecay.valueOr(false);
  d.positionEmbedding =
      s.positionEmbedding.valueOr(PositionEmbedding::LearnedAbsolute);
  d.shareEmbeddingsAndOutputWeights =
      s.shareEmbeddingsAndOutputWeights.valueOr(true);
  d.bias = s.bias.valueOr(true);
  d.hiddenDropout = s.hiddenDropout.valueOr(0.1);
  d.attentionDropout = s.attentionDropout.valueOr(0.1);
  d.ffnDropout = s.ffnDropout.valueOr(0.0);
  d.initMethodStd = s.initMethodStd.valueOr(0.02);
  d.useScaledInitMethod = s.useScaledInitMethod.valueOr(true);
  d.layernormEpsilon = s.layernormEpsilon.valueOr(1e-5);
  d.tensorParallelSize = s.tensorParallelSize.valueOr(1);
  d.pipelineParallelSize = s.pipelineParallelSize.valueOr(1);
  d.virtualPipelineParallelSize = s.virtualPipelineParallelSize.valueOr(1);
  d.recordedKeys = s.recordedKeys;
  // NeMo's names of Megatron's distributed optimizer (Apex's and
  // Megatron-core's); any other name is plain AdamW.
  d.distributedOptimizer =
      s.optimizerName.has() && (*s.optimizerName == "distributed_fused_adam" ||
                                *s.optimizerName == "mcore_distributed_optim");

  if (s.kvChannels.has()) {
    d.headDim = *s.kvChannels;
  } else if (d.hiddenSize % d.numAttentionHeads != 0) {
    sink.error(s.hiddenSize.location,
               "hidden_size " + std::to_string(d.hiddenSize) +
                   " is not divisible by " +
                   mention("num_attention_heads", s.numAttentionHeads, 0) +
                   "; change one or set kv_channels");
  } else {
    d.headDim = d.hiddenSize / d.numAttentionHeads;
  }

  d.numQueryGroups = s.numQueryGroups.valueOr(d.numAttentionHeads);
  if (d.numAttentionHeads % d.numQueryGroups != 0)
    sink.error(s.numQueryGroups.location,
               mention("num_attention_heads", s.numAttentionHeads, 0) +
                   " is not divisible by num_query_groups " +
                   std::to_string(d.numQueryGroups));
}

void RuleChecker::tensorParallel() {
  const int64_t tp = d.tensorParallelSize;
  const SourceLocation &at = s.tensorParallelSize.location;
  std::string tpText = " is not divisible by tensor_model_parallel_size " +
                       std::to_string(tp);
  if (d.numAttentionHeads % tp != 0)
    sink.error(at, mention("num_attention_heads", s.numAttentionHeads, 0) +
                       tpText);
  else if (d.numQueryGroups % tp != 0)
    sink.error(at, mention("num_query_groups", s.numQueryGroups,
                           d.numQueryGroups, "default num_attention_heads") +
                       tpText);
  if (d.ffnHiddenSize % tp != 0)
    sink.error(at, mention("ffn_hidden_size", s.ffnHiddenSize,
                           d.ffnHiddenSize, "default 4 * hidden_size") +
                       tpText);
}

void RuleChecker::rotary() {
  // NeMo's defaults carry rotary_percentage (and rotary_base) beside
  // learned_absolute positions, and NeMo ignores them there: so does Strata.
  if (d.positionEmbedding != PositionEmbedding::Rope)
    return;
  d.rotaryPercentage = s.rotaryPercentage.valueOr(1.0);
  d.rotaryBase = s.rotaryBase.valueOr(10000.0);
  if (d.headDim == 0)
    return; // already reported
  double rotated = static_cast<double>(d.headDim) * d.rotaryPercentage;
  double whole = std::round(rotated);
  bool even = std::fabs(rotated - whole) < 1e-6 && whole >= 2 &&
              std::fmod(whole, 2.0) == 0;
  if (even)
    return;
  std::string message =
      "rope must rotate an even number of channels per head, but "
      "rotary_percentage " +
      formatDouble(d.rotaryPercentage) + " of head size " +
      std::to_string(d.headDim) + " is " + formatDouble(rotated);
  sink.error(s.rotaryPercentage.has() ? s.rotaryPercentage.location
                                      : s.positionEmbedding.location,
             message);
}

void RuleChecker::pipeline() {
  const int64_t pp = d.pipelineParallelSize, vp = d.virtualPipelineParallelSize;
  if (d.numLayers % pp != 0) {
    sink.error(s.pipelineParallelSize.location,
               mention("num_layers", s.numLayers, 0) +
                   " is not divisible by pipeline_model_parallel_size " +
                   std::to_string(pp));
    return;
  }
  if (vp == 1)
    return;
  if (pp == 1) {
    sink.error(s.virtualPipelineParallelSize.location,
               "virtual_pipeline_model_parallel_size " + std::to_string(vp) +
                   " needs pipeline_model_parallel_size > 1, got " +
                   valueWithLine(s.pipelineParallelSize, 1));
    return;
  }
  if (d.numLayers % (pp * vp) != 0)
    sink.error(s.virtualPipelineParallelSize.location,
               mention("num_layers", s.numLayers, 0) +
                   " is not divisible by " +
                   mention("pipeline_model_parallel_size",
                           s.pipelineParallelSize, pp) +
                   " x virtual_pipeline_model_parallel_size " +
                   std::to_string(vp) + " = " + std::to_string(pp * vp));
}

void RuleChecker::recompute() {
  d.recomputeGranularity =
      s.recomputeGranularity.valueOr(RecomputeGranularity::None);
  d.recomputeMethod = s.recomputeMethod.valueOr(RecomputeMethod::None);
  switch (d.recomputeGranularity) {
  case RecomputeGranularity::None:
  case RecomputeGranularity::Selective:
    // NeMo reads activations_checkpoint_method and _num_layers only with
    // granularity full; its own configs set them beside null and selective
    // (method block, 0 layers), so they are ignored here too, silently.
    d.recomputeMethod = RecomputeMethod::None;
    break;
  case RecomputeGranularity::Full: {
    if (!s.recomputeMethod.has())
      sink.error(s.recomputeGranularity.location,
                 "activations_checkpoint_granularity full requires "
                 "activations_checkpoint_method uniform or block");
    if (!s.recomputeNumLayers.has() || *s.recomputeNumLayers == 0) {
      sink.error(s.recomputeNumLayers.has() ? s.recomputeNumLayers.location
                                            : s.recomputeGranularity.location,
                 "activations_checkpoint_granularity full requires "
                 "activations_checkpoint_num_layers >= 1" +
                     std::string(s.recomputeNumLayers.has() ? ", got 0" : ""));
      break;
    }
    d.recomputeNumLayers = *s.recomputeNumLayers;
    const int64_t pp = d.pipelineParallelSize;
    if (d.numLayers % pp == 0 && d.recomputeNumLayers > d.numLayers / pp)
      sink.error(s.recomputeNumLayers.location,
                 "activations_checkpoint_num_layers " +
                     std::to_string(d.recomputeNumLayers) +
                     " is more than the " + std::to_string(d.numLayers / pp) +
                     " layers of each pipeline stage (" +
                     mention("num_layers", s.numLayers, 0) + " / " +
                     mention("pipeline_model_parallel_size",
                             s.pipelineParallelSize, pp) +
                     ")");
    break;
  }
  }
}

void RuleChecker::sequenceParallel() {
  d.sequenceParallel = s.sequenceParallel.valueOr(false);
  if (!d.sequenceParallel)
    return;
  const int64_t tp = d.tensorParallelSize;
  if (tp == 1) {
    // Megatron turns it off too: there is nothing to split the sequence over.
    sink.warning(s.sequenceParallel.location,
                 "sequence_parallel has no effect with " +
                     mention("tensor_model_parallel_size",
                             s.tensorParallelSize, 1) +
                     "; it is turned off");
    d.sequenceParallel = false;
    return;
  }
  if (d.seqLength % tp != 0)
    sink.error(s.sequenceParallel.location,
               "sequence_parallel needs " + mention(seqName, *seq, 0) +
                   " to be divisible by " +
                   mention("tensor_model_parallel_size", s.tensorParallelSize,
                           tp));
}

void RuleChecker::dataParallelAndBatches() {
  const int64_t tp = d.tensorParallelSize, pp = d.pipelineParallelSize;
  d.dataParallelSize = 1;
  if (s.hasTrainer) {
    const int64_t devices = s.devices.valueOr(1), nodes = s.numNodes.valueOr(1);
    int64_t total = 0, modelParallel = 0;
    const SourceLocation &at =
        s.devices.has() ? s.devices.location
        : s.numNodes.has() ? s.numNodes.location
                           : s.trainerKeyLocation;
    if (__builtin_mul_overflow(devices, nodes, &total) ||
        __builtin_mul_overflow(tp, pp, &modelParallel)) {
      sink.error(at, "the device counts are too large");
      return;
    }
    if (total % modelParallel != 0) {
      sink.error(at, mention("trainer.devices", s.devices, devices) + " x " +
                         mention("trainer.num_nodes", s.numNodes, nodes) +
                         " = " + std::to_string(total) +
                         " devices is not divisible by " +
                         mention("tensor_model_parallel_size",
                                 s.tensorParallelSize, tp) +
                         " x " +
                         mention("pipeline_model_parallel_size",
                                 s.pipelineParallelSize, pp) +
                         " = " + std::to_string(modelParallel));
      return;
    }
    d.dataParallelSize = total / modelParallel;
  }

  d.microBatchSize = s.microBatchSize.valueOr(1);
  int64_t perStep = 0;
  if (__builtin_mul_overflow(d.microBatchSize, d.dataParallelSize, &perStep)) {
    sink.error(locationOr(s.microBatchSize, s.modelKeyLocation),
               "micro_batch_size " +
                                              std::to_string(d.microBatchSize) +
                                              " is too large");
    return;
  }
  // Without global_batch_size: one micro-batch per replica, no accumulation.
  d.globalBatchSize = s.globalBatchSize.valueOr(perStep);
  if (d.globalBatchSize % perStep != 0)
    sink.error(s.globalBatchSize.location,
               "global_batch_size " + std::to_string(d.globalBatchSize) +
                   " is not divisible by " +
                   mention("micro_batch_size", s.microBatchSize,
                           d.microBatchSize) +
                   " x data-parallel size " +
                   std::to_string(d.dataParallelSize) + " = " +
                   std::to_string(perStep));
}

void RuleChecker::positions() {
  d.maxPositionEmbeddings = s.maxPositionEmbeddings.valueOr(d.seqLength);
  if (d.positionEmbedding == PositionEmbedding::LearnedAbsolute &&
      d.maxPositionEmbeddings < d.seqLength)
    sink.error(s.maxPositionEmbeddings.location,
               "max_position_embeddings " +
                   std::to_string(d.maxPositionEmbeddings) +
                   " is smaller than " + mention(seqName, *seq, 0) +
                   "; learned_absolute positions need one embedding per "
                   "position");
}

/// Lightning's `bf16-true` / `16-true`: the whole model in the half type,
/// without NeMo's mixed-precision recipes.
bool isTrueHalf(const Given<Precision> &p) {
  if (!p.has() || (*p != Precision::BF16 && *p != Precision::FP16))
    return false;
  const std::string text = toLower(p.text);
  return text.size() > 5 && text.compare(text.size() - 5, 5, "-true") == 0;
}

void RuleChecker::precision() {
  if (s.modelPrecision.has() && s.trainerPrecision.has() &&
      (*s.modelPrecision != *s.trainerPrecision ||
       isTrueHalf(s.modelPrecision) != isTrueHalf(s.trainerPrecision)))
    sink.error(s.modelPrecision.location,
               "precision " + s.modelPrecision.text +
                   " does not match trainer.precision " +
                   s.trainerPrecision.text +
                   describeLine(s.trainerPrecision.location));
  const Given<Precision> &given =
      s.modelPrecision.has() ? s.modelPrecision : s.trainerPrecision;
  d.precision = given.valueOr(Precision::FP32);
  const bool half =
      d.precision == Precision::BF16 || d.precision == Precision::FP16;
  const bool o2 = s.megatronAmpO2.valueOr(false);
  // NeMo: megatron_amp_O2 picks the recipe of bf16/16 mixed precision
  // (MegatronHalfPrecisionPlugin, Float16Module); other precisions keep
  // f32 (or f64, or all-half) parameters and ignore it.
  if (!half || isTrueHalf(given)) {
    d.mixedPrecision = MixedPrecision::None;
    if (o2)
      sink.warning(s.megatronAmpO2.location,
                   "megatron_amp_O2 is ignored with precision " +
                       (given.has() ? given.text : std::string("32")) +
                       "; it applies to bf16, bf16-mixed, 16 and 16-mixed");
  } else {
    d.mixedPrecision = o2 ? MixedPrecision::O2 : MixedPrecision::O1;
  }
  d.lossScaleInit = s.lossScaleInit.valueOr(d.lossScaleInit);
  d.lossScaleGrowthInterval =
      s.lossScaleGrowthInterval.valueOr(d.lossScaleGrowthInterval);
  d.lossScaleHysteresis = s.lossScaleHysteresis.valueOr(d.lossScaleHysteresis);
}

void RuleChecker::vocabulary() {
  std::optional<int64_t> vocab =
      tokenizerVocabSize(s.tokenizer, s.fileName, sink);
  if (!vocab)
    return;
  d.vocabSize = *vocab;
  const int64_t tp = d.tensorParallelSize;
  if (s.paddedVocabSize.has()) {
    const int64_t padded = *s.paddedVocabSize;
    if (padded < d.vocabSize) {
      sink.error(s.paddedVocabSize.location,
                 "padded_vocab_size " + std::to_string(padded) +
                     " is smaller than the tokenizer's vocabulary of " +
                     std::to_string(d.vocabSize));
      return;
    }
    if (padded % tp != 0) {
      sink.error(s.paddedVocabSize.location,
                 "padded_vocab_size " + std::to_string(padded) +
                     " is not divisible by " +
                     mention("tensor_model_parallel_size",
                             s.tensorParallelSize, tp) +
                     "; pad it to " +
                     std::to_string(roundUpToMultiple(padded, tp)) +
                     " or leave it out and set make_vocab_size_divisible_by");
      return;
    }
    d.paddedVocabSize = padded;
    return;
  }
  if (d.vocabSize == 0 && !s.tokenizer.launcherPaths.empty()) {
    // The tokenizer's file is named through a launcher's key: say which.
    const LauncherPath &file = s.tokenizer.launcherPaths.front();
    sink.error(file.location,
               "the vocabulary size is unknown: " + file.key + " '" +
                   file.text + "' refers to " + file.missing +
                   ", which the description does not define (NeMo's "
                   "launcher does); give it with an override (" +
                   file.missing +
                   "=DIR), or set padded_vocab_size or tokenizer.vocab_size");
    return;
  }
  if (d.vocabSize == 0) {
    sink.error(s.tokenizer.present ? s.tokenizer.location : s.modelKeyLocation,
               "the vocabulary size is unknown: set padded_vocab_size or "
               "tokenizer.vocab_size, or use a tokenizer Strata knows "
               "(type GPT2BPETokenizer, vocab_file with a JSON vocabulary, or "
               "library sentencepiece with its model file)");
    return;
  }
  const int64_t divisor = s.makeVocabSizeDivisibleBy.valueOr(128);
  int64_t multiple = 0;
  if (__builtin_mul_overflow(divisor, tp, &multiple) ||
      multiple > kMaxIntegerValue) {
    sink.error(locationOr(s.makeVocabSizeDivisibleBy,
                          s.tensorParallelSize.location),
               mention("make_vocab_size_divisible_by",
                       s.makeVocabSizeDivisibleBy, divisor) +
                   " x tensor_model_parallel_size " + std::to_string(tp) +
                   " is too large");
    return;
  }
  d.paddedVocabSize = roundUpToMultiple(d.vocabSize, multiple);
}

} // namespace

bool buildDescription(const Settings &settings, DiagnosticSink &sink,
                      ModelDescription &out) {
  return RuleChecker(settings, sink, out).run();
}

} // namespace strata::frontend

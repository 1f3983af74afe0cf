//===- SectionReader.cpp - Reading the sections of a description ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// One handler per used key, looked up in a hash table; each handler checks
// its value alone (type, range, spelling) and stores it in Settings with its
// location. Prompt-learning and PEFT keys are read by
// PromptLearningSection.cpp, the values themselves by ValueReader.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/SectionReader.h"

#include "frontends/model/EditDistance.h"
#include "frontends/model/Interpolation.h"
#include "frontends/model/KeyTable.h"
#include "frontends/model/PromptLearningSection.h"
#include "frontends/model/ScalarValues.h"
#include "frontends/model/TrainingSection.h"

#include <functional>
#include <unordered_map>

namespace strata::frontend {

namespace {

const Spellings<Normalization> kNormalizations = {
    {"layernorm", Normalization::LayerNorm},
    {"layernorm1p", Normalization::LayerNorm1P},
    {"rmsnorm", Normalization::RMSNorm},
    {"low_precision_layernorm", std::nullopt},
};

const Spellings<Activation> kActivations = {
    {"gelu", Activation::Gelu},
    {"fast-gelu", Activation::FastGelu},
    {"openai-gelu", Activation::FastGelu},
    {"approx-gelu", Activation::FastGelu},
    {"swiglu", Activation::SwiGLU},
    {"fast-swiglu", Activation::SwiGLU},
    {"geglu", std::nullopt},
    {"fast-geglu", std::nullopt},
    {"reglu", std::nullopt},
    {"fast-reglu", std::nullopt},
    {"squared-relu", std::nullopt},
};

const Spellings<PositionEmbedding> kPositionEmbeddings = {
    {"learned_absolute", PositionEmbedding::LearnedAbsolute},
    {"rope", PositionEmbedding::Rope},
    {"alibi", std::nullopt},
    {"none", std::nullopt},
    {"xpos", std::nullopt},
    {"kerple", std::nullopt},
    {"sandwich", std::nullopt},
};

const Spellings<RecomputeGranularity> kGranularities = {
    {"selective", RecomputeGranularity::Selective},
    {"full", RecomputeGranularity::Full},
};

const Spellings<RecomputeMethod> kMethods = {
    {"uniform", RecomputeMethod::Uniform},
    {"block", RecomputeMethod::Block},
};

const Spellings<Precision> kPrecisions = {
    {"32", Precision::FP32},         {"32-true", Precision::FP32},
    {"fp32", Precision::FP32},       {"16", Precision::FP16},
    {"16-mixed", Precision::FP16},   {"16-true", Precision::FP16},
    {"fp16", Precision::FP16},       {"bf16", Precision::BF16},
    {"bf16-mixed", Precision::BF16}, {"bf16-true", Precision::BF16},
    {"64", Precision::FP64},         {"64-true", Precision::FP64},
    {"fp64", Precision::FP64},
    {"transformer-engine", std::nullopt},
};

class SectionReader {
public:
  SectionReader(const YamlNode &root, Settings &settings, DiagnosticSink &sink)
      : root(root), s(settings), sink(sink),
        values(root, sink, settings.recordedKeys) {}

  void run();

private:
  using Handler = std::function<void(SectionReader &, const std::string &,
                                     const ResolvedValue &)>;
  static const std::unordered_map<std::string_view, Handler> &modelHandlers();

  void readTrainer(const ResolvedValue &value);
  void readModel(const ResolvedValue &value);
  void readTokenizer(const ResolvedValue &value);

  const YamlNode &root;
  Settings &s;
  DiagnosticSink &sink;
  ValueReader values;
};

//===----------------------------------------------------------------------===//
// Sections
//===----------------------------------------------------------------------===//

void SectionReader::run() {
  s.rootLocation = root.location;
  if (root.isNull()) {
    sink.error(SourceLocation{s.fileName, 1, 1},
               "the description is empty; expected a mapping with a "
               "'model:' section");
    return;
  }
  if (!root.isMapping()) {
    sink.error(root.location,
               "expected a mapping with a 'model:' section at the top "
               "level, got " +
                   describeNode(root));
    return;
  }
  for (const YamlEntry &entry : root.entries) {
    const KeyInfo *info = findKey(Section::TopLevel, entry.key);
    if (!info) {
      sink.error(entry.keyLocation,
                 unknownKeyMessage(Section::TopLevel, entry.key));
      continue;
    }
    if (info->use == KeyUse::Recorded) {
      values.record(entry.key, *info, *entry.value);
      continue;
    }
    std::optional<ResolvedValue> value =
        values.resolveUsed(entry.key, *entry.value);
    if (!value)
      continue;
    if (entry.key == "name") {
      if ((*value)->isScalar() && !(*value)->text.empty())
        s.name = (*value)->text;
      else
        sink.error(value->location,
                   "name must be a non-empty string, got " +
                       describeNode(**value));
    } else if (entry.key == "trainer") {
      s.trainerKeyLocation = entry.keyLocation;
      if (!(*value)->isNull() && values.expectMapping("trainer", *value))
        readTrainer(*value);
    } else if (entry.key == "model") {
      s.hasModel = true;
      s.modelKeyLocation = entry.keyLocation;
      s.modelIsMapping = values.expectMapping("model", *value);
      if (s.modelIsMapping)
        readModel(*value);
    }
  }
  if (!s.hasModel)
    sink.error(root.location, "missing the 'model:' section");
}

void SectionReader::readTrainer(const ResolvedValue &trainer) {
  s.hasTrainer = true;
  for (const YamlEntry &entry : trainer->entries) {
    const KeyInfo *info = findKey(Section::Trainer, entry.key);
    if (!info) {
      sink.error(entry.keyLocation,
                 unknownKeyMessage(Section::Trainer, entry.key));
      continue;
    }
    std::string name = "trainer." + entry.key;
    if (info->use == KeyUse::Recorded) {
      values.record(name, *info, *entry.value);
      continue;
    }
    std::optional<ResolvedValue> value = values.resolveUsed(name, *entry.value);
    if (!value)
      continue;
    if (entry.key == "devices")
      values.readInt(name, *value, s.devices);
    else if (entry.key == "num_nodes")
      values.readInt(name, *value, s.numNodes);
    else if (entry.key == "precision")
      values.readEnum(name, *value, kPrecisions, s.trainerPrecision);
    else
      readTrainerTrainingKey(values, entry.key, *value, s.training);
  }
}

void SectionReader::readModel(const ResolvedValue &model) {
  const auto &handlers = modelHandlers();
  for (const YamlEntry &entry : model->entries) {
    const KeyInfo *info = findKey(Section::Model, entry.key);
    if (!info) {
      sink.error(entry.keyLocation,
                 unknownKeyMessage(Section::Model, entry.key));
      continue;
    }
    if (info->use == KeyUse::Recorded) {
      values.record("model." + entry.key, *info, *entry.value);
      continue;
    }
    std::optional<ResolvedValue> value =
        values.resolveUsed(entry.key, *entry.value);
    if (!value) {
      s.unresolvedKeys.push_back(entry.key);
      continue;
    }
    if (readPromptLearningKey(values, *model, entry.key, *value,
                              s.promptLearning))
      continue;
    auto handler = handlers.find(entry.key);
    if (handler != handlers.end())
      handler->second(*this, entry.key, *value);
  }
}

void SectionReader::readTokenizer(const ResolvedValue &tokenizer) {
  TokenizerSettings &t = s.tokenizer;
  t.present = true;
  t.location = tokenizer.location;
  for (const YamlEntry &entry : tokenizer->entries) {
    const KeyInfo *info = findKey(Section::Tokenizer, entry.key);
    if (!info) {
      sink.error(entry.keyLocation,
                 unknownKeyMessage(Section::Tokenizer, entry.key));
      continue;
    }
    std::string name = "tokenizer." + entry.key;
    // Every tokenizer key but Strata's own vocab_size is recorded: the
    // runtime needs the tokenizer's files, which the description does not
    // model.
    if (entry.key != "vocab_size")
      values.record("model." + name, *info, *entry.value);
    if (info->use == KeyUse::Recorded)
      continue;
    // A file path built from a key only the launcher defines
    // (`${data_dir}/bpe/vocab.json`) is left alone here; Vocabulary.cpp
    // names it only if the vocabulary cannot be had otherwise.
    if (entry.key == "vocab_file" || entry.key == "model")
      if (std::optional<std::string> missing =
              values.missingReference(*entry.value)) {
        t.launcherPaths.push_back(LauncherPath{"model." + name,
                                               entry.value->text, *missing,
                                               entry.value->location});
        continue;
      }
    std::optional<ResolvedValue> value = values.resolveUsed(name, *entry.value);
    if (!value)
      continue;
    if (entry.key == "library")
      values.readString(name, *value, t.library);
    else if (entry.key == "type")
      values.readString(name, *value, t.type);
    else if (entry.key == "vocab_file")
      values.readString(name, *value, t.vocabFile);
    else if (entry.key == "model")
      values.readString(name, *value, t.model);
    else if (entry.key == "vocab_size")
      values.readInt(name, *value, t.vocabSize);
  }
}

const std::unordered_map<std::string_view, SectionReader::Handler> &
SectionReader::modelHandlers() {
  auto integer = [](Given<int64_t> Settings::*field) -> Handler {
    return [field](SectionReader &r, const std::string &name,
                   const ResolvedValue &v) {
      r.values.readInt(name, v, r.s.*field);
    };
  };
  auto real = [](Given<double> Settings::*field, FloatRange range) -> Handler {
    return [field, range](SectionReader &r, const std::string &name,
                          const ResolvedValue &v) {
      r.values.readFloat(name, v, range, r.s.*field);
    };
  };
  auto boolean = [](Given<bool> Settings::*field) -> Handler {
    return [field](SectionReader &r, const std::string &name,
                   const ResolvedValue &v) {
      r.values.readBool(name, v, r.s.*field);
    };
  };
  auto enumerated = [](auto field, const auto &spellings) -> Handler {
    return [field, &spellings](SectionReader &r, const std::string &name,
                               const ResolvedValue &v) {
      r.values.readEnum(name, v, spellings, r.s.*field);
    };
  };
  static const std::unordered_map<std::string_view, Handler> handlers = {
      {"num_layers", integer(&Settings::numLayers)},
      {"hidden_size", integer(&Settings::hiddenSize)},
      {"ffn_hidden_size", integer(&Settings::ffnHiddenSize)},
      {"num_attention_heads", integer(&Settings::numAttentionHeads)},
      {"num_query_groups", integer(&Settings::numQueryGroups)},
      {"kv_channels", integer(&Settings::kvChannels)},
      {"seq_length", integer(&Settings::seqLength)},
      {"encoder_seq_length", integer(&Settings::encoderSeqLength)},
      {"max_position_embeddings", integer(&Settings::maxPositionEmbeddings)},
      {"padded_vocab_size", integer(&Settings::paddedVocabSize)},
      {"make_vocab_size_divisible_by",
       integer(&Settings::makeVocabSizeDivisibleBy)},
      {"tokenizer",
       [](SectionReader &r, const std::string &name, const ResolvedValue &v) {
         if (!v->isNull() && r.values.expectMapping(name, v))
           r.readTokenizer(v);
       }},
      {"normalization", enumerated(&Settings::normalization, kNormalizations)},
      {"activation", enumerated(&Settings::activation, kActivations)},
      {"position_embedding_type",
       enumerated(&Settings::positionEmbedding, kPositionEmbeddings)},
      {"rotary_percentage",
       real(&Settings::rotaryPercentage, FloatRange::Fraction)},
      {"rotary_base", real(&Settings::rotaryBase, FloatRange::Positive)},
      {"share_embeddings_and_output_weights",
       boolean(&Settings::shareEmbeddingsAndOutputWeights)},
      {"bias", boolean(&Settings::bias)},
      {"hidden_dropout",
       real(&Settings::hiddenDropout, FloatRange::Probability)},
      {"attention_dropout",
       real(&Settings::attentionDropout, FloatRange::Probability)},
      {"ffn_dropout", real(&Settings::ffnDropout, FloatRange::Probability)},
      {"init_method_std", real(&Settings::initMethodStd, FloatRange::Positive)},
      {"use_scaled_init_method", boolean(&Settings::useScaledInitMethod)},
      {"openai_gelu", boolean(&Settings::openaiGelu)},
      {"normalize_attention_scores",
       boolean(&Settings::normalizeAttentionScores)},
      {"do_layer_norm_weight_decay",
       boolean(&Settings::doLayerNormWeightDecay)},
      {"layernorm_epsilon",
       real(&Settings::layernormEpsilon, FloatRange::Positive)},
      {"tensor_model_parallel_size", integer(&Settings::tensorParallelSize)},
      {"pipeline_model_parallel_size",
       integer(&Settings::pipelineParallelSize)},
      {"virtual_pipeline_model_parallel_size",
       integer(&Settings::virtualPipelineParallelSize)},
      {"sequence_parallel", boolean(&Settings::sequenceParallel)},
      {"activations_checkpoint_granularity",
       enumerated(&Settings::recomputeGranularity, kGranularities)},
      {"activations_checkpoint_method",
       enumerated(&Settings::recomputeMethod, kMethods)},
      // 0 is what NeMo's configs write when the key is not in use.
      {"activations_checkpoint_num_layers",
       [](SectionReader &r, const std::string &name, const ResolvedValue &v) {
         r.values.readInt(name, v, r.s.recomputeNumLayers,
                          IntRange::NonNegative);
       }},
      {"micro_batch_size", integer(&Settings::microBatchSize)},
      {"global_batch_size", integer(&Settings::globalBatchSize)},
      {"precision", enumerated(&Settings::modelPrecision, kPrecisions)},
      {"megatron_amp_O2", boolean(&Settings::megatronAmpO2)},
      {"native_amp_init_scale",
       real(&Settings::lossScaleInit, FloatRange::Positive)},
      {"native_amp_growth_interval",
       integer(&Settings::lossScaleGrowthInterval)},
      {"hysteresis", integer(&Settings::lossScaleHysteresis)},
      {"optim",
       [](SectionReader &r, const std::string &, const ResolvedValue &v) {
         readOptim(r.values, v, r.s.training, r.s.optimizerName);
       }},
  };
  return handlers;
}

} // namespace

void readSections(const YamlNode &root, Settings &settings,
                  DiagnosticSink &sink) {
  SectionReader(root, settings, sink).run();
}

} // namespace strata::frontend

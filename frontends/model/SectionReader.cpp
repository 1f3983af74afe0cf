//===- SectionReader.cpp - Reading the sections of a description ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// One handler per used key, looked up in a hash table; each handler checks
// its value alone (type, range, spelling) and stores it in Settings with its
// location.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/SectionReader.h"

#include "frontends/model/EditDistance.h"
#include "frontends/model/Interpolation.h"
#include "frontends/model/KeyTable.h"
#include "frontends/model/ScalarValues.h"

#include <functional>
#include <unordered_map>

namespace strata::frontend {

namespace {

/// How an enumerated key may be spelled; no value means "known but not
/// supported yet".
template <typename E> struct Spelling {
  std::string_view text;
  std::optional<E> value;
};

template <typename E> using Spellings = std::vector<Spelling<E>>;

const Spellings<Normalization> kNormalizations = {
    {"layernorm", Normalization::LayerNorm},
    {"rmsnorm", Normalization::RMSNorm},
    {"layernorm1p", std::nullopt},
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

enum class FloatRange {
  Probability, // [0, 1)
  Positive,    // > 0
  Fraction,    // (0, 1]
};

class SectionReader {
public:
  SectionReader(const YamlNode &root, Settings &settings, DiagnosticSink &sink)
      : root(root), s(settings), sink(sink), interpolator(root, sink) {}

  void run();

private:
  using Handler = std::function<void(SectionReader &, const std::string &,
                                     const ResolvedValue &)>;
  static const std::unordered_map<std::string_view, Handler> &modelHandlers();

  void readTrainer(const ResolvedValue &value);
  void readModel(const ResolvedValue &value);
  void readTokenizer(const ResolvedValue &value);
  void record(const std::string &path, const KeyInfo &info,
              const YamlNode &value);
  std::optional<ResolvedValue> resolveUsed(const std::string &name,
                                           const YamlNode &value);
  bool expectMapping(const std::string &name, const ResolvedValue &value);

  void readInt(const std::string &name, const ResolvedValue &value,
               Given<int64_t> &out);
  void readFloat(const std::string &name, const ResolvedValue &value,
                 FloatRange range, Given<double> &out);
  void readBool(const std::string &name, const ResolvedValue &value,
                Given<bool> &out);
  void readString(const std::string &name, const ResolvedValue &value,
                  Given<std::string> &out);
  template <typename E>
  void readEnum(const std::string &name, const ResolvedValue &value,
                const Spellings<E> &spellings, Given<E> &out);

  /// Marks |out| present at |value|; false when the value is null (the
  /// setting then keeps its default).
  template <typename T>
  bool begin(const ResolvedValue &value, Given<T> &out) {
    out.present = true;
    out.null = value->isNull();
    out.location = value.location;
    out.value.reset();
    out.text = value->isNull() ? "null" : value->text;
    return !value->isNull();
  }

  const YamlNode &root;
  Settings &s;
  DiagnosticSink &sink;
  Interpolator interpolator;
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
      record(entry.key, *info, *entry.value);
      continue;
    }
    std::optional<ResolvedValue> value = resolveUsed(entry.key, *entry.value);
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
      if (!(*value)->isNull() && expectMapping("trainer", *value))
        readTrainer(*value);
    } else if (entry.key == "model") {
      s.hasModel = true;
      s.modelKeyLocation = entry.keyLocation;
      s.modelIsMapping = expectMapping("model", *value);
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
      record(name, *info, *entry.value);
      continue;
    }
    std::optional<ResolvedValue> value = resolveUsed(name, *entry.value);
    if (!value)
      continue;
    if (entry.key == "devices")
      readInt(name, *value, s.devices);
    else if (entry.key == "num_nodes")
      readInt(name, *value, s.numNodes);
    else if (entry.key == "precision")
      readEnum(name, *value, kPrecisions, s.trainerPrecision);
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
      record("model." + entry.key, *info, *entry.value);
      // Of the optimizer's settings only its name changes the program
      // (distributed_fused_adam: the distributed optimizer); the runtime
      // takes the hyperparameters.
      if (entry.key == "optim" && entry.value->isMapping())
        if (const YamlEntry *name = entry.value->find("name"))
          if (std::optional<ResolvedValue> value =
                  resolveUsed("optim.name", *name->value))
            readString("optim.name", *value, s.optimizerName);
      continue;
    }
    std::optional<ResolvedValue> value = resolveUsed(entry.key, *entry.value);
    if (!value) {
      s.unresolvedKeys.push_back(entry.key);
      continue;
    }
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
      record("model." + name, *info, *entry.value);
    if (info->use == KeyUse::Recorded)
      continue;
    std::optional<ResolvedValue> value = resolveUsed(name, *entry.value);
    if (!value)
      continue;
    if (entry.key == "library")
      readString(name, *value, t.library);
    else if (entry.key == "type")
      readString(name, *value, t.type);
    else if (entry.key == "vocab_file")
      readString(name, *value, t.vocabFile);
    else if (entry.key == "vocab_size")
      readInt(name, *value, t.vocabSize);
  }
}

const std::unordered_map<std::string_view, SectionReader::Handler> &
SectionReader::modelHandlers() {
  auto integer = [](Given<int64_t> Settings::*field) -> Handler {
    return [field](SectionReader &r, const std::string &name,
                   const ResolvedValue &v) { r.readInt(name, v, r.s.*field); };
  };
  auto real = [](Given<double> Settings::*field, FloatRange range) -> Handler {
    return [field, range](SectionReader &r, const std::string &name,
                          const ResolvedValue &v) {
      r.readFloat(name, v, range, r.s.*field);
    };
  };
  auto boolean = [](Given<bool> Settings::*field) -> Handler {
    return [field](SectionReader &r, const std::string &name,
                   const ResolvedValue &v) { r.readBool(name, v, r.s.*field); };
  };
  auto enumerated = [](auto field, const auto &spellings) -> Handler {
    return [field, &spellings](SectionReader &r, const std::string &name,
                               const ResolvedValue &v) {
      r.readEnum(name, v, spellings, r.s.*field);
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
         if (!v->isNull() && r.expectMapping(name, v))
           r.readTokenizer(v);
       }},
      {"normalization",
       enumerated(&Settings::normalization, kNormalizations)},
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
      {"activations_checkpoint_num_layers",
       integer(&Settings::recomputeNumLayers)},
      {"micro_batch_size", integer(&Settings::microBatchSize)},
      {"global_batch_size", integer(&Settings::globalBatchSize)},
      {"precision", enumerated(&Settings::modelPrecision, kPrecisions)},
      {"megatron_amp_O2", boolean(&Settings::megatronAmpO2)},
      {"native_amp_init_scale",
       real(&Settings::lossScaleInit, FloatRange::Positive)},
      {"native_amp_growth_interval",
       integer(&Settings::lossScaleGrowthInterval)},
      {"hysteresis", integer(&Settings::lossScaleHysteresis)},
  };
  return handlers;
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

void SectionReader::record(const std::string &path, const KeyInfo &info,
                           const YamlNode &value) {
  std::string text = value.isScalar() ? value.text : renderFlow(value);
  if (!info.implemented.empty() &&
      !(value.isScalar() && Interpolator::hasInterpolation(value.text))) {
    std::string actual = value.isScalar() ? toLower(value.text) : text;
    if (actual != info.implemented)
      sink.warning(value.location,
                   std::string(info.name) + " " + text +
                       " is not implemented and is ignored; Strata builds "
                       "the model with " +
                       std::string(info.name) + " " +
                       std::string(info.implemented));
  }
  s.recordedKeys.push_back(RecordedKey{path, std::move(text), value.location});
}

std::optional<ResolvedValue>
SectionReader::resolveUsed(const std::string &name, const YamlNode &node) {
  std::optional<ResolvedValue> value = interpolator.resolve(node);
  if (value && (*value)->isScalar() && (*value)->plain &&
      (*value)->text == "???") {
    sink.error(value->location, name +
                                    " is '\?\?\?', a value that must be given; "
                                    "set it in the file or with an override");
    return std::nullopt;
  }
  return value;
}

bool SectionReader::expectMapping(const std::string &name,
                                  const ResolvedValue &value) {
  if (value->isMapping())
    return true;
  sink.error(value.location,
             name + " must be a mapping, got " + describeNode(*value));
  return false;
}

void SectionReader::readInt(const std::string &name, const ResolvedValue &v,
                            Given<int64_t> &out) {
  if (!begin(v, out))
    return;
  int64_t parsed = 0;
  IntegerStatus status = v->isScalar() && v->plain
                             ? parseYamlInteger(v->text, parsed)
                             : IntegerStatus::NotAnInteger;
  if (status == IntegerStatus::NotAnInteger) {
    sink.error(v.location,
               name + " must be an integer, got " + describeNode(*v));
    return;
  }
  if (status == IntegerStatus::OutOfRange || parsed > kMaxIntegerValue) {
    sink.error(v.location, name + " " + v->text + " is too large (at most " +
                               std::to_string(kMaxIntegerValue) + ")");
    return;
  }
  if (parsed <= 0) {
    sink.error(v.location, name + " must be positive, got " + v->text);
    return;
  }
  out.value = parsed;
}

void SectionReader::readFloat(const std::string &name, const ResolvedValue &v,
                              FloatRange range, Given<double> &out) {
  if (!begin(v, out))
    return;
  std::optional<double> parsed;
  if (v->isScalar() && v->plain)
    parsed = parseYamlFloat(v->text);
  if (!parsed) {
    sink.error(v.location, name + " must be a number, got " + describeNode(*v));
    return;
  }
  double x = *parsed;
  switch (range) {
  case FloatRange::Probability:
    if (x < 0 || x >= 1) {
      sink.error(v.location,
                 name + " must be in [0, 1), got " + v->text);
      return;
    }
    break;
  case FloatRange::Positive:
    if (x <= 0) {
      sink.error(v.location, name + " must be positive, got " + v->text);
      return;
    }
    break;
  case FloatRange::Fraction:
    if (x <= 0 || x > 1) {
      sink.error(v.location, name + " must be in (0, 1], got " + v->text);
      return;
    }
    break;
  }
  out.value = x;
}

void SectionReader::readBool(const std::string &name, const ResolvedValue &v,
                             Given<bool> &out) {
  if (!begin(v, out))
    return;
  std::optional<bool> parsed;
  if (v->isScalar() && v->plain)
    parsed = parseYamlBool(v->text);
  if (!parsed) {
    sink.error(v.location,
               name + " must be true or false, got " + describeNode(*v));
    return;
  }
  out.value = *parsed;
}

void SectionReader::readString(const std::string &name,
                               const ResolvedValue &v,
                               Given<std::string> &out) {
  if (!begin(v, out))
    return;
  if (!v->isScalar()) {
    sink.error(v.location, name + " must be a string, got " + describeNode(*v));
    return;
  }
  out.value = v->text;
}

template <typename E>
void SectionReader::readEnum(const std::string &name, const ResolvedValue &v,
                             const Spellings<E> &spellings, Given<E> &out) {
  if (!begin(v, out))
    return;
  if (!v->isScalar()) {
    sink.error(v.location, name + " must be a string, got " + describeNode(*v));
    return;
  }
  std::vector<std::string_view> supported, all;
  for (const Spelling<E> &spelling : spellings) {
    all.push_back(spelling.text);
    if (spelling.value)
      supported.push_back(spelling.text);
  }
  std::string choices;
  for (size_t i = 0; i < supported.size(); ++i)
    choices += (i == 0 ? "" : i + 1 == supported.size() ? " or " : ", ") +
               std::string(supported[i]);

  std::string text = toLower(v->text);
  for (const Spelling<E> &spelling : spellings) {
    if (spelling.text != text)
      continue;
    if (spelling.value)
      out.value = *spelling.value;
    else
      sink.error(v.location, name + " " + v->text +
                                 " is not supported yet; use " + choices);
    return;
  }
  std::string message =
      "unknown " + name + " '" + v->text + "'; expected " + choices;
  std::string close = closestMatch(text, all);
  if (!close.empty())
    message += "; did you mean '" + close + "'?";
  sink.error(v.location, message);
}

} // namespace

void readSections(const YamlNode &root, Settings &settings,
                  DiagnosticSink &sink) {
  SectionReader(root, settings, sink).run();
}

} // namespace strata::frontend

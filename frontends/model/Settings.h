//===- Settings.h - What a description says, before the rules ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend. SectionReader fills Settings
// from the YAML tree, checking each value on its own (type, range, spelling);
// ConsistencyRules then applies defaults and the rules that relate several
// keys, producing the ModelDescription. Every setting remembers where it was
// written so cross-key messages can point at it.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_SETTINGS_H
#define STRATA_FRONTENDS_MODEL_SETTINGS_H

#include "frontends/model/ModelDescription.h"

#include <optional>
#include <string>
#include <vector>

namespace strata::frontend {

/// One setting: its value when given (a null leaves it unset, meaning "use
/// the default"), the text it was written as, and where.
template <typename T> struct Given {
  std::optional<T> value;
  /// The value as written, for messages ("bf16-mixed", "0.1").
  std::string text;
  /// Where the value was written (also for a null): the place to point at.
  SourceLocation location;
  /// The key appears (possibly with null).
  bool present = false;
  /// The key appears with null.
  bool null = false;

  bool has() const { return value.has_value(); }
  const T &operator*() const { return *value; }
  T valueOr(T fallback) const { return value.value_or(fallback); }
};

struct TokenizerSettings {
  bool present = false;
  SourceLocation location; // of the `tokenizer:` value
  Given<std::string> library;
  Given<std::string> type;
  Given<std::string> vocabFile;
  Given<int64_t> vocabSize;
};

struct Settings {
  std::string fileName;       // as given to the parser, for relative paths
  std::string name;
  SourceLocation rootLocation;
  bool hasModel = false;
  bool modelIsMapping = false;
  SourceLocation modelKeyLocation; // the `model:` key

  // model: architecture.
  Given<int64_t> numLayers, hiddenSize, ffnHiddenSize, numAttentionHeads,
      numQueryGroups, kvChannels, seqLength, encoderSeqLength,
      maxPositionEmbeddings, paddedVocabSize, makeVocabSizeDivisibleBy;
  TokenizerSettings tokenizer;
  Given<Normalization> normalization;
  Given<Activation> activation;
  Given<PositionEmbedding> positionEmbedding;
  Given<double> rotaryPercentage, rotaryBase, hiddenDropout, attentionDropout,
      ffnDropout, initMethodStd, layernormEpsilon;
  Given<bool> shareEmbeddingsAndOutputWeights, bias, useScaledInitMethod;

  // model: parallelism, recomputation, batching, precision.
  Given<int64_t> tensorParallelSize, pipelineParallelSize,
      virtualPipelineParallelSize, recomputeNumLayers, microBatchSize,
      globalBatchSize;
  Given<bool> sequenceParallel;
  /// model.optim.name (the rest of `optim` is recorded only).
  Given<std::string> optimizerName;
  Given<RecomputeGranularity> recomputeGranularity;
  Given<RecomputeMethod> recomputeMethod;
  Given<Precision> modelPrecision;
  Given<bool> megatronAmpO2;
  Given<double> lossScaleInit;
  Given<int64_t> lossScaleGrowthInterval, lossScaleHysteresis;

  // trainer.
  bool hasTrainer = false;
  SourceLocation trainerKeyLocation;
  Given<int64_t> devices, numNodes;
  Given<Precision> trainerPrecision;

  std::vector<RecordedKey> recordedKeys;
  /// Used keys whose `${...}` could not be resolved (already reported):
  /// present, but without a value, so not "missing" either.
  std::vector<std::string> unresolvedKeys;
};

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_SETTINGS_H

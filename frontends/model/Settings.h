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

#include "frontends/model/Given.h"
#include "frontends/model/ModelDescription.h"
#include "frontends/model/PromptLearningKeys.h"
#include "frontends/model/TrainingKeys.h"

#include <string>
#include <vector>

namespace strata::frontend {

/// A tokenizer file whose path interpolates a key the description does not
/// define (NeMo-Framework-Launcher's `${data_dir}/bpe/vocab.json`): left
/// alone unless the vocabulary can be had from nowhere else.
struct LauncherPath {
  std::string key;     // "model.tokenizer.vocab_file"
  std::string text;    // the path as written
  std::string missing; // the undefined key it refers to: "data_dir"
  SourceLocation location;
};

struct TokenizerSettings {
  bool present = false;
  SourceLocation location; // of the `tokenizer:` value
  Given<std::string> library;
  Given<std::string> type;
  Given<std::string> vocabFile;
  /// tokenizer.model: a SentencePiece model file (library sentencepiece).
  Given<std::string> model;
  Given<int64_t> vocabSize;
  std::vector<LauncherPath> launcherPaths;
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
  Given<bool> shareEmbeddingsAndOutputWeights, bias, useScaledInitMethod,
      openaiGelu, normalizeAttentionScores, doLayerNormWeightDecay;

  // model: parallelism, recomputation, batching, precision.
  Given<int64_t> tensorParallelSize, pipelineParallelSize,
      virtualPipelineParallelSize, recomputeNumLayers, microBatchSize,
      globalBatchSize;
  Given<bool> sequenceParallel;
  /// model.optim.name; the rest of `optim` is in |training|.
  Given<std::string> optimizerName;
  Given<RecomputeGranularity> recomputeGranularity;
  Given<RecomputeMethod> recomputeMethod;
  Given<Precision> modelPrecision;
  Given<bool> megatronAmpO2;
  Given<double> lossScaleInit;
  Given<int64_t> lossScaleGrowthInterval, lossScaleHysteresis;

  // model: prompt learning and LoRA.
  PromptLearningKeys promptLearning;

  // model.optim and the trainer's training-loop keys.
  TrainingKeys training;

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

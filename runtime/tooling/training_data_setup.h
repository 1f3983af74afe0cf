//===- training_data_setup.h - strata-run train's --data --------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What `strata-run train --data` trains on (runtime/training/
// training_data.h), read and described in the log:
//  - a language model: a text corpus (tokenized once and cached), its last
//    --val-fraction held out for validation;
//  - a prompt-learning model (an artifact that records tasks): NeMo's
//    JSON-lines examples, --data for training and --validation-data for
//    validation, each line's task among the artifact's.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOOLING_TRAINING_DATA_SETUP_H
#define STRATA_RUNTIME_TOOLING_TRAINING_DATA_SETUP_H

#include "common/prompt_tasks.h"
#include "runtime/executor/model_program.h"
#include "runtime/support/status.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/training/training_data.h"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace strata::runtime {

struct DataFiles {
  std::string data;
  std::string validationData;
  std::string tokenizerDirectory;
  /// Corpus token caches (empty: data::defaultCacheDirectory()).
  std::string cacheDirectory;
  double validationFraction = 0.05;
};

/// FNV-1a of the tokenizer's two files: the cache key of token files.
StatusOr<uint64_t> tokenizerFingerprint(const std::string &directory);

StatusOr<std::unique_ptr<training::TrainingData>>
loadCorpusData(const DataFiles &files, const tokenizer::Tokenizer &tokenizer,
               const ModelProgram &program, int64_t globalBatch, uint64_t seed,
               std::FILE *out);

StatusOr<std::unique_ptr<training::TrainingData>>
loadPromptData(const DataFiles &files, const PromptTaskSet &tasks,
               const tokenizer::Tokenizer &tokenizer,
               const ModelProgram &program, int64_t globalBatch, uint64_t seed,
               std::FILE *out);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_TOOLING_TRAINING_DATA_SETUP_H

//===- training_data_setup.cc - strata-run train's --data -----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/training_data_setup.h"

#include "common/fnv1a.h"
#include "runtime/data/corpus.h"
#include "runtime/data/prompt_dataset.h"
#include "runtime/io/file_io.h"
#include "runtime/training/prompt_data.h"

#include <optional>

namespace strata::runtime {

StatusOr<uint64_t> tokenizerFingerprint(const std::string &directory) {
  uint64_t hash = kFnv1aOffset;
  for (const char *name : {"/encoder.json", "/vocab.bpe"}) {
    STRATA_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                            io::readWholeFile(directory + name));
    hash = fnv1a(bytes.data(), bytes.size(), hash);
  }
  return hash;
}

StatusOr<std::unique_ptr<training::TrainingData>>
loadCorpusData(const DataFiles &files, const tokenizer::Tokenizer &tokenizer,
               const ModelProgram &program, int64_t globalBatch, uint64_t seed,
               std::FILE *out) {
  if (!files.validationData.empty())
    return Status::invalidArgument(
        "--validation-data is for prompt-learning examples; a text corpus "
        "holds out its last --val-fraction for validation");
  data::CorpusTokenizer corpusTokenizer;
  corpusTokenizer.encode = [&tokenizer](const std::string &text) {
    return tokenizer.encode(text);
  };
  corpusTokenizer.endOfText = tokenizer.endOfTextId();
  corpusTokenizer.vocabSize = tokenizer.vocabSize();
  STRATA_ASSIGN_OR_RETURN(corpusTokenizer.fingerprint,
                          tokenizerFingerprint(files.tokenizerDirectory));
  STRATA_ASSIGN_OR_RETURN(data::Corpus corpus,
                          data::loadCorpus(files.data, corpusTokenizer,
                                           files.cacheDirectory.empty()
                                               ? data::defaultCacheDirectory()
                                               : files.cacheDirectory,
                                           out));
  const std::string fingerprint = corpus.fingerprint;
  const size_t tokenCount = corpus.tokens.size();
  STRATA_ASSIGN_OR_RETURN(
      data::SplitCorpus split,
      data::splitCorpus(std::move(corpus.tokens), program.seqLength(),
                        files.validationFraction, "--data " + files.data));
  std::fprintf(out,
               "data: %zu tokens: %lld training and %lld validation samples "
               "of %lld tokens; %lld rows per step (%lld micro-batches of "
               "%lld)\n",
               tokenCount, static_cast<long long>(split.train.size()),
               static_cast<long long>(split.validation.size()),
               static_cast<long long>(program.seqLength()),
               static_cast<long long>(globalBatch),
               static_cast<long long>(globalBatch / program.microBatchSize()),
               static_cast<long long>(program.microBatchSize()));
  return std::unique_ptr<training::TrainingData>(
      new training::CorpusData(std::move(split), fingerprint, seed));
}

StatusOr<std::unique_ptr<training::TrainingData>>
loadPromptData(const DataFiles &files, const PromptTaskSet &tasks,
               const tokenizer::Tokenizer &tokenizer,
               const ModelProgram &program, int64_t globalBatch, uint64_t seed,
               std::FILE *out) {
  STRATA_ASSIGN_OR_RETURN(data::PromptDataset train,
                          data::PromptDataset::load(files.data, tasks,
                                                    tokenizer,
                                                    program.seqLength()));
  std::fprintf(out, "data: %s: %lld examples (%s)\n", files.data.c_str(),
               static_cast<long long>(train.size()), train.summary().c_str());
  std::optional<data::PromptDataset> validation;
  std::vector<std::string> fingerprinted = {files.data};
  if (!files.validationData.empty()) {
    STRATA_ASSIGN_OR_RETURN(
        validation, data::PromptDataset::load(files.validationData, tasks,
                                              tokenizer, program.seqLength()));
    std::fprintf(out, "validation: %s: %lld examples (%s)\n",
                 files.validationData.c_str(),
                 static_cast<long long>(validation->size()),
                 validation->summary().c_str());
    fingerprinted.push_back(files.validationData);
  }
  std::fprintf(out,
               "%lld rows per step (%lld micro-batches of %lld), tasks "
               "mixed\n",
               static_cast<long long>(globalBatch),
               static_cast<long long>(globalBatch / program.microBatchSize()),
               static_cast<long long>(program.microBatchSize()));
  STRATA_ASSIGN_OR_RETURN(uint64_t tokenizerHash,
                          tokenizerFingerprint(files.tokenizerDirectory));
  STRATA_ASSIGN_OR_RETURN(std::string fingerprint,
                          training::promptDataFingerprint(fingerprinted,
                                                          program.seqLength(),
                                                          tokenizerHash));
  return std::unique_ptr<training::TrainingData>(new training::PromptData(
      std::move(train), std::move(validation), std::move(fingerprint), seed,
      program.takesVirtualTokens()));
}

} // namespace strata::runtime

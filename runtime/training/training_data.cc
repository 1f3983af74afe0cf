//===- training_data.cc - what the training loop trains on ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/training_data.h"

namespace strata::runtime::training {

CorpusData::CorpusData(data::SplitCorpus corpus, std::string fingerprint,
                       uint64_t seed)
    : corpus_(std::move(corpus)), fingerprint_(std::move(fingerprint)),
      sampler_(corpus_.train, seed) {}

TrainingBatch CorpusData::batch(int64_t first, int64_t rows) {
  return sampler_.batch(first, rows);
}

StatusOr<ValidationLoss> CorpusData::validate(ModelProgram &program,
                                              int64_t batches) {
  double sum = 0.0;
  const int64_t rows = program.microBatchSize();
  for (int64_t b = 0; b < batches; ++b) {
    STRATA_ASSIGN_OR_RETURN(
        Evaluation evaluation,
        program.evaluate(
            data::sequentialBatch(corpus_.validation, b * rows, rows),
            /*keepLogits=*/false));
    sum += evaluation.loss;
  }
  ValidationLoss out;
  out.loss = sum / double(batches);
  return out;
}

} // namespace strata::runtime::training

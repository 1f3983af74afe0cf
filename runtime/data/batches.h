//===- batches.h - deterministic training and validation batches -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A corpus of N tokens is split into a training part and a validation part
// (the last |validationFraction| of the tokens). Each part is cut into
// non-overlapping samples of seq + 1 tokens (inputs and shifted targets;
// consecutive samples share their boundary token, as in Megatron's GPT
// dataset). Training visits the samples epoch by epoch, each epoch in its
// own order (shuffled_order.h): sample k of the whole run is a pure function
// of (corpus, seq, seed, k), so a run resumed at sample k sees exactly the
// batches an uninterrupted run sees, and the data position a checkpoint
// stores is just k.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_DATA_BATCHES_H
#define STRATA_RUNTIME_DATA_BATCHES_H

#include "runtime/data/shuffled_order.h"
#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace strata::runtime::data {

/// The samples of one token sequence: sample i is tokens
/// [i * seq, i * seq + seq + 1).
class SampleSet {
public:
  SampleSet(std::shared_ptr<const std::vector<int32_t>> tokens, int64_t begin,
            int64_t end, int64_t seqLength);

  int64_t size() const { return samples_; }
  int64_t seqLength() const { return seq_; }
  /// Copies sample |index| (< size()) into |out| (seq + 1 ids).
  void copySample(int64_t index, int32_t *out) const;

private:
  std::shared_ptr<const std::vector<int32_t>> tokens_;
  int64_t begin_ = 0;
  int64_t seq_ = 0;
  int64_t samples_ = 0;
};

struct SplitCorpus {
  SampleSet train;
  SampleSet validation;
};

/// Splits |tokens| (named |source| in errors) into training and validation
/// samples of |seqLength| + 1 tokens. Errors when either part is shorter
/// than one sample, naming the token counts needed and available.
StatusOr<SplitCorpus> splitCorpus(std::vector<int32_t> tokens,
                                  int64_t seqLength, double validationFraction,
                                  const std::string &source);

/// The training order: sample k of the run, epoch after shuffled epoch.
class ShuffledSampler {
public:
  ShuffledSampler(const SampleSet &samples, uint64_t seed);

  /// Samples [first, first + rows) as an I32 tensor [rows, seq + 1].
  io::HostTensor batch(int64_t first, int64_t rows);
  /// The epoch sample |k| belongs to.
  int64_t epochOf(int64_t k) const { return order_.epochOf(k); }

private:
  const SampleSet *samples_;
  ShuffledOrder order_;
};

/// Samples [first, first + rows) of |samples| in order (validation), as an
/// I32 tensor [rows, seq + 1]; wraps around at the end.
io::HostTensor sequentialBatch(const SampleSet &samples, int64_t first,
                               int64_t rows);

} // namespace strata::runtime::data

#endif // STRATA_RUNTIME_DATA_BATCHES_H

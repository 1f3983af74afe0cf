//===- batches.cc - deterministic training and validation batches ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/data/batches.h"

#include <cmath>
#include <cstring>

namespace strata::runtime::data {

SampleSet::SampleSet(std::shared_ptr<const std::vector<int32_t>> tokens,
                     int64_t begin, int64_t end, int64_t seqLength)
    : tokens_(std::move(tokens)), begin_(begin), seq_(seqLength),
      samples_(end - begin > seqLength ? (end - begin - 1) / seqLength : 0) {}

void SampleSet::copySample(int64_t index, int32_t *out) const {
  std::memcpy(out, tokens_->data() + begin_ + index * seq_,
              sizeof(int32_t) * (seq_ + 1));
}

StatusOr<SplitCorpus> splitCorpus(std::vector<int32_t> tokens,
                                  int64_t seqLength, double validationFraction,
                                  const std::string &source) {
  if (seqLength < 1)
    return Status::invalidArgument("sequence length " +
                                   std::to_string(seqLength) +
                                   " should be at least 1");
  if (!(validationFraction > 0.0 && validationFraction < 1.0))
    return Status::invalidArgument("validation fraction " +
                                   std::to_string(validationFraction) +
                                   " should be in (0, 1)");
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t sample = seqLength + 1;
  // At least one sample each side.
  int64_t validation = static_cast<int64_t>(std::llround(n * validationFraction));
  validation = std::max(validation, sample);
  const int64_t train = n - validation;
  if (train < sample)
    return Status::invalidArgument(
        source + " has " + std::to_string(n) + " tokens; a training and a " +
        "validation sample of seq_length " + std::to_string(seqLength) +
        " + 1 tokens need at least " + std::to_string(2 * sample));
  auto shared = std::make_shared<const std::vector<int32_t>>(std::move(tokens));
  return SplitCorpus{SampleSet(shared, 0, train, seqLength),
                     SampleSet(shared, train, n, seqLength)};
}

ShuffledSampler::ShuffledSampler(const SampleSet &samples, uint64_t seed)
    : samples_(&samples), order_(samples.size(), seed) {}

io::HostTensor ShuffledSampler::batch(int64_t first, int64_t rows) {
  const int64_t width = samples_->seqLength() + 1;
  io::HostTensor out(io::DType::I32, {rows, width});
  for (int64_t r = 0; r < rows; ++r) {
    samples_->copySample(order_.sampleAt(first + r),
                         out.data<int32_t>() + r * width);
  }
  return out;
}

io::HostTensor sequentialBatch(const SampleSet &samples, int64_t first,
                               int64_t rows) {
  const int64_t width = samples.seqLength() + 1;
  io::HostTensor out(io::DType::I32, {rows, width});
  for (int64_t r = 0; r < rows; ++r)
    samples.copySample((first + r) % samples.size(),
                       out.data<int32_t>() + r * width);
  return out;
}

} // namespace strata::runtime::data

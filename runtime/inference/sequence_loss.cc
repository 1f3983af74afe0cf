//===- sequence_loss.cc - next-token loss through decode ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/inference/sequence_loss.h"

#include "runtime/executor/parameters.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace strata::runtime::inference {

namespace {

std::vector<int64_t> shapeOf(const artifact::Buffer &buffer) {
  return buffer.shape() ? std::vector<int64_t>(buffer.shape()->begin(),
                                               buffer.shape()->end())
                        : std::vector<int64_t>();
}

} // namespace

StatusOr<SequenceLoss> decodeSequenceLoss(Executor &executor,
                                          const io::HostTensor &tokens) {
  const std::string &path = executor.artifact().path();
  STRATA_ASSIGN_OR_RETURN(const PreparedFunction *decode,
                          executor.function("decode"));
  const std::vector<int64_t> inputShape =
      shapeOf(executor.buffer(decode->arguments[0]));
  if (decode->arguments.size() != 2 || inputShape.size() != 2 ||
      inputShape[1] != 1)
    return Status::invalidArgument(
        path + ": decode should take tokens [B, 1] and positions");
  const int64_t batch = inputShape[0];
  int64_t context = 0;
  for (const artifact::Buffer *buffer : *executor.root().buffers())
    if (buffer->category() == artifact::BufferCategory::KVCache &&
        buffer->shape()->size() >= 2)
      context = buffer->shape()->Get(1);
  if (tokens.shape().size() != 2 || tokens.shape()[1] < 2)
    return Status::invalidArgument(
        "token rows should be [rows, seq + 1] with seq >= 1, got " +
        io::shapeToString(tokens.shape()));
  const int64_t rows = tokens.shape()[0], seq = tokens.shape()[1] - 1;
  if (rows % batch != 0)
    return Status::invalidArgument(
        std::to_string(rows) + " token rows are not a multiple of " + path +
        "'s batch of " + std::to_string(batch));
  if (seq > context)
    return Status::invalidArgument(
        std::to_string(seq) + " positions per row do not fit " + path +
        "'s KV cache of " + std::to_string(context));
  STRATA_ASSIGN_OR_RETURN(io::HostTensor ids,
                          io::convertTensor(tokens, io::DType::I32));
  const int32_t *id = ids.data<int32_t>();
  const bool dropout = executor.options().dropout;
  executor.setDropout(false);
  double sum = 0.0;
  std::vector<int32_t> in(static_cast<size_t>(batch)),
      positions(static_cast<size_t>(batch));
  for (int64_t first = 0; first < rows; first += batch)
    for (int64_t t = 0; t < seq; ++t) {
      for (int64_t b = 0; b < batch; ++b) {
        in[size_t(b)] = id[(first + b) * (seq + 1) + t];
        positions[size_t(b)] = int32_t(t);
      }
      STRATA_RETURN_IF_ERROR(executor.writeBytes(
          decode->arguments[0], in.data(), in.size() * sizeof(int32_t)));
      STRATA_RETURN_IF_ERROR(executor.writeBytes(
          decode->arguments[1], positions.data(),
          positions.size() * sizeof(int32_t)));
      STRATA_RETURN_IF_ERROR(executor.run(*decode));
      // Gathered over a split vocabulary, widened from 16 bits.
      STRATA_ASSIGN_OR_RETURN(io::HostTensor raw,
                              executor.readResult(*decode, 0));
      STRATA_ASSIGN_OR_RETURN(io::HostTensor logits,
                              io::convertTensor(raw, io::DType::F64));
      // The padded vocabulary's rows take no mass (as in the training
      // loss's valid_vocab).
      const int64_t padded = logits.shape().back();
      const int64_t real = realVocabSize(executor.artifact());
      const int64_t vocab = real > 0 ? std::min(real, padded) : padded;
      for (int64_t b = 0; b < batch; ++b) {
        const double *row = logits.data<double>() + b * padded;
        const int32_t label = id[(first + b) * (seq + 1) + t + 1];
        if (label < 0 || label >= vocab)
          return Status::invalidArgument(
              "label " + std::to_string(label) + " of row " +
              std::to_string(first + b) + " is outside the vocabulary of " +
              std::to_string(vocab));
        const double max = *std::max_element(row, row + vocab);
        double z = 0.0;
        for (int64_t v = 0; v < vocab; ++v)
          z += std::exp(row[v] - max);
        sum += max + std::log(z) - row[label];
      }
    }
  executor.setDropout(dropout);
  return SequenceLoss{sum / double(rows * seq), rows * seq};
}

} // namespace strata::runtime::inference

//===- token_batch.cc - the rows a model's functions take -----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/token_batch.h"

#include <algorithm>
#include <string>

namespace strata::runtime {

TokenBatch nextTokenBatch(const io::HostTensor &tokens) {
  const int64_t rows = tokens.shape()[0], width = tokens.shape()[1];
  const int64_t seq = width - 1;
  TokenBatch batch;
  batch.tokens = io::HostTensor(io::DType::I32, {rows, seq});
  batch.labels = io::HostTensor(io::DType::I32, {rows, seq});
  auto id = [&](int64_t i) -> int32_t {
    return tokens.dtype() == io::DType::I32
               ? tokens.data<int32_t>()[i]
               : static_cast<int32_t>(tokens.data<int64_t>()[i]);
  };
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t s = 0; s < seq; ++s) {
      batch.tokens.data<int32_t>()[r * seq + s] = id(r * width + s);
      batch.labels.data<int32_t>()[r * seq + s] = id(r * width + s + 1);
    }
  return batch;
}

TokenBatch rowsOf(const TokenBatch &batch, int64_t first, int64_t count) {
  auto slice = [&](const io::HostTensor &t) {
    if (t.numElements() == 0)
      return io::HostTensor();
    const int64_t seq = t.shape()[1];
    io::HostTensor out(io::DType::I32, {count, seq});
    std::copy_n(t.data<int32_t>() + first * seq, count * seq,
                out.data<int32_t>());
    return out;
  };
  return {slice(batch.tokens), slice(batch.labels), slice(batch.virtualTokens)};
}

namespace {

Status checkTensor(const io::HostTensor &t, const char *name, int64_t rows,
                   int64_t seq, int64_t low, int64_t high,
                   const char *range) {
  if (t.dtype() != io::DType::I32)
    return Status::invalidArgument(std::string(name) + " should be int32, got " +
                                   io::toString(t.dtype()));
  if (t.shape() != std::vector<int64_t>{rows, seq})
    return Status::invalidArgument(
        std::string(name) + " have shape " + io::shapeToString(t.shape()) +
        "; the model needs [" + std::to_string(rows) + ", " +
        std::to_string(seq) + "]");
  for (int64_t i = 0; i < t.numElements(); ++i) {
    const int64_t v = t.data<int32_t>()[i];
    if (v < low || (high >= 0 && v >= high))
      return Status::invalidArgument(
          std::string(name) + " value " + std::to_string(v) + " at row " +
          std::to_string(i / seq) + ", column " + std::to_string(i % seq) +
          " is outside " + range);
  }
  return Status::ok();
}

} // namespace

Status checkTokenBatch(const TokenBatch &batch, int64_t seq, int64_t vocab,
                       int64_t rowsMultiple, const char *what) {
  const int64_t rows = batch.rows();
  if (rows == 0 || rows % rowsMultiple != 0)
    return Status::invalidArgument(
        "the batch has " + std::to_string(rows) + " rows; " + what +
        " needs a positive multiple of " + std::to_string(rowsMultiple));
  const std::string vocabulary = "the vocabulary [0, " + std::to_string(vocab) + ")";
  STRATA_RETURN_IF_ERROR(checkTensor(batch.tokens, "tokens", rows, seq, 0,
                                     vocab, vocabulary.c_str()));
  const std::string labels = vocabulary + " (or -1, ignored)";
  STRATA_RETURN_IF_ERROR(checkTensor(batch.labels, "labels", rows, seq, -1,
                                     vocab, labels.c_str()));
  if (batch.hasVirtualTokens())
    STRATA_RETURN_IF_ERROR(checkTensor(batch.virtualTokens, "virtual tokens",
                                       rows, seq, -1, -1,
                                       "[-1, ...) (-1: a real token)"));
  return Status::ok();
}

} // namespace strata::runtime

//===- token_batch.h - the rows a model's functions take --------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What a micro-batch feeds a model's forward functions besides positions:
// token ids, labels (-1: ignored, as the cross-entropy kernels take it) and,
// for prompt learning, each position's virtual row (-1: a real token;
// docs/prompt-learning.md). Language-model training reads token files of
// [rows, seq + 1] ids, whose labels are the next tokens (nextTokenBatch);
// prompt-learning data builds the three tensors directly.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_TOKEN_BATCH_H
#define STRATA_RUNTIME_EXECUTOR_TOKEN_BATCH_H

#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <cstdint>

namespace strata::runtime {

struct TokenBatch {
  /// Int32 [rows, seq] each; virtualTokens is empty (no elements) when the
  /// rows have no virtual tokens.
  io::HostTensor tokens, labels, virtualTokens;

  int64_t rows() const { return tokens.shape().empty() ? 0 : tokens.shape()[0]; }
  bool hasVirtualTokens() const { return virtualTokens.numElements() > 0; }
};

/// The batch of a token file's rows [rows, seq + 1] (int32 or int64): the
/// first seq ids of each row, labelled with the next ones.
TokenBatch nextTokenBatch(const io::HostTensor &tokens);

/// Rows [first, first + count) of |batch|.
TokenBatch rowsOf(const TokenBatch &batch, int64_t first, int64_t count);

/// OK when |batch| is int32 [rows, |seq|] tensors (virtual tokens too when
/// present), rows a positive multiple of |rowsMultiple|, tokens in [0,
/// |vocab|), labels in [0, |vocab|) or -1, virtual rows >= -1; otherwise an
/// error naming the tensor, the position and the value (|what| says what
/// needs the rows).
Status checkTokenBatch(const TokenBatch &batch, int64_t seq, int64_t vocab,
                       int64_t rowsMultiple, const char *what);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_TOKEN_BATCH_H

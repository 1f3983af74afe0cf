//===- model_step.h - one prefill or decode call of a batch -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// An inference artifact (strata-compile --mode infer) has
//   prefill(tokens [B, P], positions [B, P][, block_table [B, W]]
//           [, virtual_tokens [B, P]][, last [B]]) -> logits
//   decode(tokens [B, 1], positions [B, 1][, block_table [B, W]])
//     -> logits [B, 1, V]
// over one key and one value cache per layer, persistent state that both
// functions first write at their positions and then attend up to each
// query's position. The caches are [B, Tmax, G, D], one row per batch row,
// or with --kv-block-size N paged: pools [M, N, G, D] shared by the rows,
// where position t of row b lives in block block_table[b, t / N], row
// t % N (as in vLLM). ModelStep is one call of either function on the whole
// batch: it checks the artifact's signatures once, writes the caller's
// inputs, runs, and returns the logits as f32 on the host (gathered from
// the tensor-parallel ranks; every rank must make the same calls). A
// pipeline stage (strata-compile --mode infer with pp > 1) runs its pieces
// prefill.0 and decode.0, which receive the previous stage's hidden states
// and send theirs on; the last stage sends the logits to every other stage,
// so every rank of the job returns the same logits.
//
// Who owns which block is the caller's business (the generator's fixed
// slices, a serving scheduler's allocator): ModelStep checks sizes, and the
// kernels check every position against W * N and every table entry a call
// reads or writes against [0, M) before they touch the cache. A row the
// caller does not use in a call still runs: its positions and table must
// point at blocks it owns or at a scratch block no live row reads (see
// docs/architecture.md, "Paged KV cache"), never at another row's blocks.
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(ModelStep step, ModelStep::create(executor));
//   STRATA_ASSIGN_OR_RETURN(const float *logits,
//       step.prefill(tokens, positions, &last, step.paged() ? &table : nullptr));
//   ... step.decode(next, positions, &table) ...
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_INFERENCE_MODEL_STEP_H
#define STRATA_RUNTIME_INFERENCE_MODEL_STEP_H

#include "runtime/executor/executor.h"
#include "runtime/executor/pipeline_group.h"
#include "runtime/inference/generation_prompts.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <vector>

namespace strata::runtime::inference {

/// One call of an inference artifact's prefill or decode on the whole batch.
class ModelStep {
public:
  /// Checks that |executor|'s artifact has prefill and decode of the shapes
  /// above (arguments told apart by their names, or by shape in artifacts
  /// older than format 0.14, which have no block table).
  static StatusOr<ModelStep> create(Executor &executor);

  /// B: the rows of a decode call (and of a prefill call, unless the
  /// artifact was compiled with --prefill-batch).
  int64_t batchSize() const { return limits_.batch; }
  /// The rows of a prefill call (a paged artifact may prefill fewer rows
  /// than it decodes).
  int64_t prefillBatchSize() const { return prefillBatch_; }
  /// P: the positions of one prefill call per row.
  int64_t prefillLength() const { return prefillLength_; }
  /// The positions a row may reach: Tmax, or paged min(W * N,
  /// max_position_embeddings).
  int64_t contextLength() const { return limits_.context; }
  int64_t vocabSize() const { return limits_.vocab; }

  /// A paged cache: N positions per block, M blocks per pool, W table
  /// entries per row (0s when unpaged).
  bool paged() const { return blockSize_ > 0; }
  int64_t blockSize() const { return blockSize_; }
  int64_t numBlocks() const { return numBlocks_; }
  int64_t tableWidth() const { return tableWidth_; }

  /// prefill's optional arguments: each position's virtual row (a
  /// prompt-learning model), and `last` (the logits of one position per
  /// row, the derivation's default).
  bool takesVirtualTokens() const { return virtualTokensArgument_ >= 0; }
  bool selectsLast() const { return lastArgument_ >= 0; }

  /// |tokens| and |positions| [Bp * P] (row-major; Bp =
  /// prefillBatchSize()), |last| [Bp] (when selectsLast()), |blockTable|
  /// [Bp * W] (when paged()), |virtualTokens| [Bp * P] (when
  /// takesVirtualTokens(); else null). Returns f32 logits [Bp, 1, V] with
  /// `last` (else [Bp, P, V]), valid until the next call.
  StatusOr<const float *>
  prefill(const std::vector<int32_t> &tokens,
          const std::vector<int32_t> &positions,
          const std::vector<int32_t> *last,
          const std::vector<int32_t> *blockTable,
          const std::vector<int32_t> *virtualTokens = nullptr);
  /// |tokens| and |positions| [B], |blockTable| [B * W] when paged();
  /// logits [B, 1, V], valid until the next call.
  StatusOr<const float *> decode(const std::vector<int32_t> &tokens,
                                 const std::vector<int32_t> &positions,
                                 const std::vector<int32_t> *blockTable);

  /// What prompts must satisfy (batch, context, vocabulary, virtual rows).
  const PromptLimits &limits() const { return limits_; }

private:
  explicit ModelStep(Executor &executor) : executor_(&executor) {}
  /// One input of |function|: |values| must hold |expected| ids, and be
  /// given exactly when the function takes it (|argument| >= 0).
  Status writeInput(const PreparedFunction &function, int argument,
                    const char *name, const std::vector<int32_t> *values,
                    size_t expected);
  /// Runs |function| and returns its logits as f32 on the host (under
  /// pipeline parallelism, the last stage's, sent to every stage).
  StatusOr<const float *> runAndReadLogits(const PreparedFunction &function);
  /// This rank's logits of |function|'s last run as f32 on the host.
  StatusOr<const float *> readLogits(const PreparedFunction &function);

  /// A function's logits: [rows, positions, vocabulary] (the whole
  /// vocabulary) and their type, read from the last pipeline stage's
  /// program on the other stages.
  struct LogitsShape {
    std::vector<int64_t> shape;
    artifact::DType type = artifact::DType::F32;
  };
  static StatusOr<LogitsShape> logitsOf(const Executor &executor,
                                        const PreparedFunction &function);

  Executor *executor_;
  PipelineGroup pipeline_;
  const PreparedFunction *prefill_ = nullptr;
  const PreparedFunction *decode_ = nullptr;
  PromptLimits limits_;
  int64_t prefillLength_ = 0;
  int64_t prefillBatch_ = 0;
  int64_t blockSize_ = 0, numBlocks_ = 0, tableWidth_ = 0;
  /// Argument indices (-1: the function has none).
  int prefillTableArgument_ = -1, decodeTableArgument_ = -1;
  int virtualTokensArgument_ = -1, lastArgument_ = -1;
  LogitsShape prefillLogits_, decodeLogits_;
  /// The last call's logits when the vocabulary is split across ranks.
  io::HostTensor gatheredLogits_;
  /// The logits of the last call on the host (unsplit logits).
  std::vector<float> hostLogits_;
  std::vector<uint16_t> hostHalfLogits_; // bf16/f16 logits before widening
};

} // namespace strata::runtime::inference

#endif // STRATA_RUNTIME_INFERENCE_MODEL_STEP_H

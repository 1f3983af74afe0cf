//===- generator.cc - text generation with a KV cache ---------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/inference/generator.h"

#include "runtime/inference/row_blocks.h"

#include <algorithm>
#include <chrono>

namespace strata::runtime::inference {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

StatusOr<Generator> Generator::create(Executor &executor) {
  STRATA_ASSIGN_OR_RETURN(ModelStep step, ModelStep::create(executor));
  if (step.prefillBatchSize() != step.batchSize())
    return Status::failedPrecondition(
        executor.artifact().path() + " prefills " +
        std::to_string(step.prefillBatchSize()) + " rows per call and decodes " +
        std::to_string(step.batchSize()) +
        " (--prefill-batch): generation here keeps one row per prompt "
        "throughout; serve it with strata-serve, or compile without "
        "--prefill-batch");
  return Generator(executor, std::move(step));
}

StatusOr<std::vector<std::vector<int32_t>>>
Generator::generate(const std::vector<std::vector<int32_t>> &prompts,
                    const GenerationOptions &options,
                    const TokenCallback &onToken, GenerationTiming *timing) {
  std::vector<GenerationPrompt> real(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i)
    real[i].ids = prompts[i];
  return generate(real, options, onToken, timing);
}

StatusOr<std::vector<std::vector<int32_t>>>
Generator::generate(const std::vector<GenerationPrompt> &prompts,
                    const GenerationOptions &options,
                    const TokenCallback &onToken, GenerationTiming *timing) {
  STRATA_RETURN_IF_ERROR(options.sampling.validate());
  const PromptLimits &limits = step_.limits();
  STRATA_RETURN_IF_ERROR(
      checkGenerationPrompts(prompts, options.maxNewTokens, limits));
  const int64_t longest = longestPrompt(prompts);
  std::vector<std::vector<int32_t>> out(prompts.size());
  if (options.maxNewTokens == 0)
    return out;
  const int64_t P = step_.prefillLength();
  // A paged cache: each prompt's row owns the blocks of every position a
  // call writes for it (prefill's padding up to the last chunk's end, then
  // decode), padding rows a scratch block (row_blocks.h).
  std::vector<int32_t> blockTable;
  if (step_.paged()) {
    const int64_t chunks = (longest + P - 1) / P;
    const int64_t lastPosition =
        std::min(limits.context,
                 std::max(chunks * P, longest + options.maxNewTokens)) -
        1;
    STRATA_ASSIGN_OR_RETURN(
        blockTable,
        rowBlockTable(PagedCacheShape{step_.batchSize(), step_.blockSize(),
                                      step_.numBlocks(), step_.tableWidth()},
                      static_cast<int64_t>(prompts.size()), lastPosition));
  }
  const std::vector<int32_t> *table =
      step_.paged() ? &blockTable : nullptr;
  const bool dropout = executor_->options().dropout;
  executor_->setDropout(false);
  struct RestoreDropout {
    Executor *e;
    bool d;
    ~RestoreDropout() { e->setDropout(d); }
  } restore{executor_, dropout};

  const auto start = std::chrono::steady_clock::now();
  const size_t rows = prompts.size();
  std::vector<int32_t> next(rows, 0);
  std::vector<bool> done(rows, false);
  auto choose = [&](size_t row, const float *logits, uint64_t step) {
    const int32_t id = sampleToken(logits, limits.vocab, options.allowedVocab,
                                   options.sampling, row, step);
    next[row] = id;
    if (id == options.endOfText) {
      done[row] = true;
      return;
    }
    out[row].push_back(id);
    if (onToken)
      onToken(row, id);
    if (static_cast<int64_t>(out[row].size()) >= options.maxNewTokens)
      done[row] = true;
  };

  // Prefill in chunks of P positions; padding continues each row's
  // positions (clamped into the cache).
  const int64_t vocab = limits.vocab;
  const bool selectsLast = step_.selectsLast();
  PrefillInputs inputs;
  for (int64_t chunk = 0; chunk * P < longest; ++chunk) {
    fillPrefillChunk(prompts, chunk, limits, P, inputs);
    STRATA_ASSIGN_OR_RETURN(
        const float *logits,
        step_.prefill(inputs.tokens, inputs.positions,
                      selectsLast ? &inputs.last : nullptr, table,
                      step_.takesVirtualTokens() ? &inputs.virtualTokens
                                                 : nullptr));
    for (size_t row = 0; row < rows; ++row) {
      const int64_t end = static_cast<int64_t>(prompts[row].ids.size()) - 1;
      if (end / P == chunk)
        choose(row, logits + (selectsLast ? row : row * P + end % P) * vocab,
               0);
    }
  }
  if (timing)
    timing->prefillSeconds = secondsSince(start);

  // Decode: feed each row's newest token at its position.
  const auto decodeStart = std::chrono::steady_clock::now();
  const int64_t batch = limits.batch;
  std::vector<int32_t> one(batch, 0), position(batch, 0);
  for (uint64_t step = 1;; ++step) {
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; }))
      break;
    for (int64_t b = 0; b < batch; ++b) {
      if (b < static_cast<int64_t>(rows) && !done[b]) {
        one[b] = next[b];
        position[b] = static_cast<int32_t>(prompts[b].ids.size() + out[b].size() - 1);
      } else {
        // Rewrites position 0 of a finished row (its own first block when
        // paged, never read again) or of an unused row (paged: the scratch
        // block); a running row is never disturbed.
        one[b] = 0;
        position[b] = 0;
      }
    }
    STRATA_ASSIGN_OR_RETURN(const float *logits,
                            step_.decode(one, position, table));
    for (size_t row = 0; row < rows; ++row)
      if (!done[row])
        choose(row, logits + row * vocab, step);
    if (timing)
      ++timing->decodeSteps;
  }
  if (timing)
    timing->decodeSeconds = secondsSince(decodeStart);
  return out;
}

} // namespace strata::runtime::inference

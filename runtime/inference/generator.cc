//===- generator.cc - text generation with a KV cache ---------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/inference/generator.h"

#include "runtime/executor/artifact_prompt_tasks.h"
#include "runtime/support/half_float.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace strata::runtime::inference {

namespace {

std::vector<int64_t> shapeOf(const artifact::Buffer &buffer) {
  return std::vector<int64_t>(buffer.shape()->begin(), buffer.shape()->end());
}

bool isLogitsType(artifact::DType type) {
  return type == artifact::DType::F32 || type == artifact::DType::BF16 ||
         type == artifact::DType::F16;
}

/// |count| logits of |type| (f32, bf16 or f16) at |raw| as floats in |out|
/// (exact: widening loses nothing).
void widenLogits(const void *raw, DType type, size_t count, float *out) {
  if (type == DType::F32) {
    std::memcpy(out, raw, count * sizeof(float));
    return;
  }
  const auto *halves = static_cast<const uint16_t *>(raw);
  for (size_t i = 0; i < count; ++i)
    out[i] = type == DType::BF16 ? float(bf16::fromBits(halves[i]))
                                 : float(f16::fromBits(halves[i]));
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

StatusOr<Generator> Generator::create(Executor &executor) {
  Generator g(executor);
  const std::string &path = executor.artifact().path();
  if (!executor.findFunction("prefill") || !executor.findFunction("decode"))
    return Status::failedPrecondition(
        path + " has no prefill and decode functions: compile it with "
               "strata-compile --mode infer");
  g.prefill_ = executor.findFunction("prefill");
  g.decode_ = executor.findFunction("decode");
  auto shape = [&](const PreparedFunction &f, size_t argument) {
    return shapeOf(executor.buffer(f.arguments[argument]));
  };
  // prefill's arguments after tokens and positions, told apart by shape
  // (the artifact does not name them): virtual_tokens [B, P] (a
  // prompt-learning model), then last [B].
  const Status badPrefill = Status::dataLoss(
      path + ": function prefill should take (tokens, positions[, "
             "virtual_tokens][, last]) and return logits");
  const size_t arguments = g.prefill_->arguments.size();
  if (arguments < 2 || g.prefill_->results.size() != 1)
    return badPrefill;
  const auto prefillTokens = shape(*g.prefill_, 0);
  size_t next = 2;
  if (next < arguments && shape(*g.prefill_, next) == prefillTokens)
    g.virtualTokensArgument_ = static_cast<int>(next++);
  if (next < arguments && !prefillTokens.empty() &&
      shape(*g.prefill_, next) == std::vector<int64_t>{prefillTokens[0]})
    g.lastArgument_ = static_cast<int>(next++);
  if (arguments != next)
    return badPrefill;
  if (g.decode_->arguments.size() != 2 || g.decode_->results.size() != 1)
    return Status::dataLoss(path + ": function decode should take (tokens, "
                                   "positions) and return logits");
  for (const PreparedFunction *f : {g.prefill_, g.decode_}) {
    const bool selects = f == g.prefill_ && g.lastArgument_ >= 0;
    const auto tokens = shape(*f, 0);
    const auto logits = shapeOf(executor.buffer(f->results[0]));
    if (tokens.size() != 2 || logits.size() != 3 || logits[0] != tokens[0] ||
        logits[1] != (selects ? 1 : tokens[1]) || shape(*f, 1) != tokens ||
        !isLogitsType(executor.buffer(f->results[0]).dtype()))
      return Status::dataLoss(path + ": function " + f->name +
                              " should map tokens [B, S] to f32, bf16 or "
                              "f16 logits [B, S, V]");
  }
  const auto decodeShape = shape(*g.decode_, 0);
  if (decodeShape[1] != 1 || decodeShape[0] != prefillTokens[0])
    return Status::dataLoss(path + ": decode should take tokens [B, 1]");
  g.limits_.batch = prefillTokens[0];
  g.prefill_len_ = prefillTokens[1];
  g.limits_.vocab = executor.resultDimension(*g.prefill_, 0, 2);
  for (const artifact::Buffer *buffer : *executor.root().buffers())
    if (buffer->category() == artifact::BufferCategory::KVCache &&
        buffer->shape()->size() >= 2)
      g.limits_.context = buffer->shape()->Get(1);
  if (g.limits_.context < g.prefill_len_)
    return Status::dataLoss(path + ": no key/value cache of at least " +
                            std::to_string(g.prefill_len_) + " positions");
  if (g.virtualTokensArgument_ >= 0) {
    g.limits_.virtualTokens = true;
    STRATA_ASSIGN_OR_RETURN(PromptTaskSet tasks,
                            promptTasksOf(executor.artifact()));
    g.limits_.virtualRows = tasks.totalVirtualTokens();
  }
  return g;
}

StatusOr<const float *> Generator::run(const PreparedFunction &function,
                                       const std::vector<int32_t> &tokens,
                                       const std::vector<int32_t> &positions,
                                       const std::vector<int32_t> *virtualTokens,
                                       const std::vector<int32_t> *last) {
  if (virtualTokens)
    STRATA_RETURN_IF_ERROR(executor_->writeBytes(
        function.arguments[virtualTokensArgument_], virtualTokens->data(),
        virtualTokens->size() * sizeof(int32_t)));
  if (last)
    STRATA_RETURN_IF_ERROR(executor_->writeBytes(
        function.arguments[lastArgument_], last->data(),
        last->size() * sizeof(int32_t)));
  STRATA_RETURN_IF_ERROR(executor_->writeBytes(
      function.arguments[0], tokens.data(), tokens.size() * sizeof(int32_t)));
  STRATA_RETURN_IF_ERROR(
      executor_->writeBytes(function.arguments[1], positions.data(),
                            positions.size() * sizeof(int32_t)));
  STRATA_RETURN_IF_ERROR(executor_->run(function));
  // Sampling reads f32: half logits (bf16 and f16 artifacts) are widened
  // into hostLogits_, kept across steps (no allocation per token).
  if (function.resultSplitDims[0] < 0) {
    const artifact::Buffer &buffer = executor_->buffer(function.results[0]);
    const DType type = toRuntimeDType(buffer.dtype());
    const size_t bytes = buffer.size();
    const size_t count = bytes / dtypeSize(type);
    hostLogits_.resize(count);
    if (type == DType::F32) {
      STRATA_RETURN_IF_ERROR(
          executor_->readBytes(function.results[0], hostLogits_.data(), bytes));
      return hostLogits_.data();
    }
    hostHalfLogits_.resize(count);
    STRATA_RETURN_IF_ERROR(executor_->readBytes(
        function.results[0], hostHalfLogits_.data(), bytes));
    widenLogits(hostHalfLogits_.data(), type, count, hostLogits_.data());
    return hostLogits_.data();
  }
  // Vocabulary-parallel logits: gathered from the tensor-parallel ranks.
  STRATA_ASSIGN_OR_RETURN(gatheredLogits_, executor_->readResult(function, 0));
  if (gatheredLogits_.dtype() == DType::F32)
    return gatheredLogits_.data<float>();
  hostLogits_.resize(gatheredLogits_.numElements());
  widenLogits(gatheredLogits_.bytes(), gatheredLogits_.dtype(),
              hostLogits_.size(), hostLogits_.data());
  return hostLogits_.data();
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
  STRATA_RETURN_IF_ERROR(
      checkGenerationPrompts(prompts, options.maxNewTokens, limits_));
  const int64_t longest = longestPrompt(prompts);
  std::vector<std::vector<int32_t>> out(prompts.size());
  if (options.maxNewTokens == 0)
    return out;
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
    const int32_t id = sampleToken(logits, limits_.vocab, options.allowedVocab,
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
  const int64_t P = prefill_len_;
  const int64_t vocab = limits_.vocab;
  PrefillInputs inputs;
  for (int64_t chunk = 0; chunk * P < longest; ++chunk) {
    fillPrefillChunk(prompts, chunk, limits_, P, inputs);
    STRATA_ASSIGN_OR_RETURN(
        const float *logits,
        run(*prefill_, inputs.tokens, inputs.positions,
            virtualTokensArgument_ >= 0 ? &inputs.virtualTokens : nullptr,
            lastArgument_ >= 0 ? &inputs.last : nullptr));
    for (size_t row = 0; row < rows; ++row) {
      const int64_t end = static_cast<int64_t>(prompts[row].ids.size()) - 1;
      if (end / P == chunk)
        choose(row,
               logits + (lastArgument_ >= 0 ? row : row * P + end % P) * vocab,
               0);
    }
  }
  if (timing)
    timing->prefillSeconds = secondsSince(start);

  // Decode: feed each row's newest token at its position.
  const auto decodeStart = std::chrono::steady_clock::now();
  const int64_t batch = limits_.batch;
  std::vector<int32_t> one(batch, 0), position(batch, 0);
  for (uint64_t step = 1;; ++step) {
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; }))
      break;
    for (int64_t b = 0; b < batch; ++b) {
      if (b < static_cast<int64_t>(rows) && !done[b]) {
        one[b] = next[b];
        position[b] = static_cast<int32_t>(prompts[b].ids.size() + out[b].size() - 1);
      } else {
        one[b] = 0;
        position[b] = 0; // rewrites entry 0 of a finished or unused row
      }
    }
    // A finished row's cache is never read again, but a row that is still
    // running must not be disturbed: unused rows are rows >= |rows| or done.
    STRATA_ASSIGN_OR_RETURN(const float *logits,
                            run(*decode_, one, position, nullptr, nullptr));
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

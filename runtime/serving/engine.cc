//===- engine.cc - continuous-batching generation for many requests -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/engine.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace strata::runtime::serving {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

/// log softmax of |logits| (the first |n|) at |id|, and the |k| most likely
/// ids with theirs (ties: lower id first).
TokenLogprob logprobOf(const float *logits, int64_t n, int32_t id, int k) {
  const float top = *std::max_element(logits, logits + n);
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i)
    total += std::exp(double(logits[i]) - top);
  const double logTotal = std::log(total) + top;
  TokenLogprob out;
  out.logprob = static_cast<float>(double(logits[id]) - logTotal);
  if (k > 0) {
    std::vector<int32_t> ids(static_cast<size_t>(n));
    std::iota(ids.begin(), ids.end(), 0);
    const int64_t keep = std::min<int64_t>(k, n);
    std::partial_sort(ids.begin(), ids.begin() + keep, ids.end(),
                      [&](int32_t a, int32_t b) {
                        return logits[a] > logits[b] ||
                               (logits[a] == logits[b] && a < b);
                      });
    for (int64_t i = 0; i < keep; ++i)
      out.top.emplace_back(
          ids[i], static_cast<float>(double(logits[ids[i]]) - logTotal));
  }
  return out;
}

} // namespace

StatusOr<std::unique_ptr<Engine>>
Engine::create(PagedModel &model, const tokenizer::Tokenizer &tokenizer,
               const EngineOptions &options, ServingMetrics &metrics) {
  const CallShape prefill = model.prefillShape(), decode = model.decodeShape();
  if (prefill.contextLength != decode.contextLength ||
      prefill.tableWidth != decode.tableWidth || decode.length != 1)
    return Status::failedPrecondition(
        "prefill and decode disagree on the context or the block table");
  const int64_t blockSize = model.blockSize();
  const int64_t perSequence =
      (prefill.contextLength + blockSize - 1) / blockSize;
  if (model.numBlocks() - 1 < perSequence)
    return Status::failedPrecondition(
        "the KV cache has " + std::to_string(model.numBlocks()) +
        " blocks of " + std::to_string(blockSize) +
        " positions; serving needs at least " +
        std::to_string(perSequence + 1) +
        " (one sequence of the whole context, " +
        std::to_string(prefill.contextLength) +
        " positions, and a scratch block): compile with a larger "
        "--kv-blocks");
  STRATA_ASSIGN_OR_RETURN(SchedulerLimits limits, limitsFor(model, options));
  return std::unique_ptr<Engine>(
      new Engine(model, tokenizer, options, metrics, limits));
}

StatusOr<SchedulerLimits> Engine::limitsFor(const PagedModel &model,
                                            const EngineOptions &options) {
  const CallShape prefill = model.prefillShape(), decode = model.decodeShape();
  const bool mixed = options.steps == StepShape::Mixed ||
                     (options.steps == StepShape::Auto &&
                      !model.takesVirtualTokens());
  if (mixed && model.takesVirtualTokens())
    return Status::failedPrecondition(
        "mixed steps feed prompts through decode, which takes no virtual "
        "tokens: a prompt-learning model needs split steps");
  SchedulerLimits limits;
  limits.contextLength = prefill.contextLength;
  limits.prefillBatch = prefill.batch;
  limits.prefillLength = prefill.length;
  limits.tokenBudget = mixed ? decode.batch : 0;
  limits.maxRunning = options.maxRunning > 0 ? options.maxRunning
                      : mixed ? std::max<int64_t>(1, decode.batch / 2)
                              : decode.batch;
  if (limits.maxRunning > decode.batch)
    return Status::invalidArgument(
        "--max-running " + std::to_string(limits.maxRunning) +
        " exceeds the decode batch of " + std::to_string(decode.batch) +
        " rows (compile with a larger --batch)");
  return limits;
}

Engine::Engine(PagedModel &model, const tokenizer::Tokenizer &tokenizer,
               const EngineOptions &options, ServingMetrics &metrics,
               const SchedulerLimits &limits)
    : model_(&model), tokenizer_(&tokenizer), options_(options),
      metrics_(&metrics), pool_(model.numBlocks(), model.blockSize()),
      scheduler_(limits, pool_), mixedSteps_(limits.tokenBudget > 0) {
  publishState();
}

Status Engine::check(const SequenceRequest &r) const {
  if (r.prompt.empty())
    return Status::invalidArgument("prompt: the prompt is empty");
  const int64_t vocab = options_.allowedVocab > 0 ? options_.allowedVocab
                                                  : model_->vocabSize();
  for (int32_t id : r.prompt)
    if (id < 0 || id >= vocab)
      return Status::invalidArgument("prompt: token id " + std::to_string(id) +
                                     " is outside the vocabulary [0, " +
                                     std::to_string(vocab) + ")");
  if (r.maxTokens < 1)
    return Status::invalidArgument("max_tokens: " +
                                   std::to_string(r.maxTokens) +
                                   " should be at least 1");
  if (!r.virtualRows.empty() &&
      (r.virtualRows.size() != r.prompt.size() ||
       !model_->takesVirtualTokens()))
    return Status::invalidArgument(
        std::string("task: ") +
        (model_->takesVirtualTokens()
             ? "virtual rows do not match the prompt"
             : "the model has no prompt-learning tasks (no virtual tokens)"));
  const int64_t prompt = static_cast<int64_t>(r.prompt.size());
  if (prompt + r.maxTokens > contextLength())
    return Status::invalidArgument(
        std::string(prompt >= contextLength() ? "prompt" : "max_tokens") +
        ": the prompt's " + std::to_string(prompt) + " tokens plus " +
        std::to_string(r.maxTokens) +
        " new tokens exceed the model's context of " +
        std::to_string(contextLength()) + " tokens");
  return r.sampling.validate();
}

Engine::Submitted Engine::submit(std::vector<SequenceRequest> requests) {
  Submitted out;
  for (const SequenceRequest &r : requests)
    if (Status s = check(r); !s.isOk())
      return Submitted{Refusal::Invalid, s.message(), {}};
  std::vector<std::shared_ptr<CompletionStream>> &streams = out.streams;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (draining_.load())
      return Submitted{Refusal::Draining, "the server is shutting down", {}};
    // Submitted sequences first fill the rows the batch has free.
    const int64_t queued =
        queued_.load() + static_cast<int64_t>(incoming_.size());
    const int64_t freeRows =
        std::max<int64_t>(0, scheduler_.limits().maxRunning - running_.load());
    if (queued + static_cast<int64_t>(requests.size()) >
        options_.maxQueued + freeRows)
      return Submitted{Refusal::QueueFull,
                       "the queue is full (" + std::to_string(queued) +
                           " of " + std::to_string(options_.maxQueued) +
                           " sequences waiting)",
                       {}};
    for (SequenceRequest &r : requests) {
      StopStrings stops(r.stop);
      auto live = std::make_unique<Live>(
          Live{std::move(r), std::make_shared<CompletionStream>(),
               tokenizer::TextStream(*tokenizer_), std::move(stops), 0,
               Clock::now()});
      streams.push_back(live->stream);
      incoming_.push_back(Incoming{nextId_++, std::move(live)});
    }
  }
  wake_.notify_all();
  return out;
}

void Engine::drain() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    draining_.store(true);
  }
  wake_.notify_all();
}

void Engine::takeIncoming() {
  std::vector<Incoming> arrived;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    arrived.swap(incoming_);
  }
  for (Incoming &in : arrived) {
    Live &live = *in.live;
    metrics_->promptTokens(static_cast<int64_t>(live.request.prompt.size()));
    scheduler_.add(in.id, live.request.prompt);
    live_.emplace(in.id, std::move(in.live));
  }
}

void Engine::dropCancelled() {
  std::vector<uint64_t> cancelled;
  for (const auto &[id, live] : live_)
    if (live->stream->cancelled())
      cancelled.push_back(id);
  for (uint64_t id : cancelled)
    finish(id, FinishReason::Cancelled);
}

void Engine::finish(uint64_t id, FinishReason reason,
                    const std::string &error) {
  auto it = live_.find(id);
  if (it == live_.end())
    return;
  Live &live = *it->second;
  if (reason == FinishReason::Length || reason == FinishReason::Stop) {
    // The text held back (an incomplete character, a possible stop string).
    std::string tail = live.text.finish();
    std::string shown = live.stops.push(tail);
    if (!live.stops.stopped())
      shown += live.stops.finish();
    live.stream->pushText(std::move(shown));
  }
  live.stream->finish(reason, error);
  metrics_->requestEnded(reason == FinishReason::Cancelled
                             ? RequestOutcome::Cancelled
                         : reason == FinishReason::Error
                             ? RequestOutcome::Failed
                             : RequestOutcome::Completed);
  scheduler_.remove(id);
  live_.erase(it);
}

void Engine::sampleRows(const std::vector<ScheduledRow> &rows,
                        const float *logits, const int64_t *callRows) {
  const int64_t vocab = model_->vocabSize();
  const int64_t allowed =
      options_.allowedVocab > 0 ? std::min(options_.allowedVocab, vocab)
                                : vocab;
  for (size_t b = 0; b < rows.size(); ++b) {
    const ScheduledRow &row = rows[b];
    auto it = live_.find(row.sequence);
    if (!row.samples || it == live_.end())
      continue;
    Live &live = *it->second;
    const float *rowLogits =
        logits + (callRows ? callRows[b] : static_cast<int64_t>(b)) * vocab;
    const int32_t id = inference::sampleToken(
        rowLogits, vocab, allowed, live.request.sampling, live.request.choice,
        static_cast<uint64_t>(live.generated));
    const auto now = Clock::now();
    metrics_->generatedToken(seconds(now - live.previous), live.generated == 0);
    live.previous = now;
    if (id == options_.endOfText && !live.request.ignoreEos) {
      finish(row.sequence, FinishReason::Stop);
      continue;
    }
    ++live.generated;
    TokenLogprob logprob;
    if (live.request.topLogprobs >= 0)
      logprob = logprobOf(rowLogits, allowed, id, live.request.topLogprobs);
    std::string text = live.stops.push(live.text.push(id));
    live.stream->push(id, live.request.topLogprobs >= 0 ? &logprob : nullptr,
                      std::move(text));
    if (live.stops.stopped())
      finish(row.sequence, FinishReason::Stop);
    else if (live.generated >= live.request.maxTokens)
      finish(row.sequence, FinishReason::Length);
    else
      scheduler_.append(row.sequence, id);
  }
}

void Engine::setVirtualTokens(const std::vector<ScheduledRow> &rows,
                              const CallShape &shape) {
  for (size_t b = 0; b < rows.size(); ++b) {
    auto it = live_.find(rows[b].sequence);
    if (it == live_.end())
      continue;
    const std::vector<int32_t> &virtualRows = it->second->request.virtualRows;
    for (int64_t i = 0; i < rows[b].count; ++i) {
      const size_t position = static_cast<size_t>(rows[b].start + i);
      if (position < virtualRows.size())
        prefillInputs_.virtualTokens[b * shape.length + i] =
            virtualRows[position];
    }
  }
}

void Engine::publishState() {
  queued_.store(static_cast<int64_t>(scheduler_.waitingCount()));
  running_.store(static_cast<int64_t>(scheduler_.runningCount()));
  metrics_->state(static_cast<int64_t>(scheduler_.waitingCount()),
                  static_cast<int64_t>(scheduler_.runningCount()),
                  scheduler_.limits().maxRunning, pool_.usedBlocks(),
                  pool_.freeBlocks());
}

void Engine::failAll(const Status &status) {
  takeIncoming();
  std::vector<uint64_t> ids;
  for (const auto &entry : live_)
    ids.push_back(entry.first);
  for (uint64_t id : ids)
    finish(id, FinishReason::Error, status.message());
  publishState();
}

Status Engine::runStep(const StepPlan &plan) {
  const CallShape decodeShape = model_->decodeShape();
  if (mixedSteps_) {
    buildTokenRowInputs(plan, scheduler_, decodeShape, decodeInputs_,
                        sampleRows_);
    STRATA_ASSIGN_OR_RETURN(const float *logits,
                            model_->decode(decodeInputs_));
    scheduler_.complete(plan);
    sampleRows(plan.decode, logits, sampleRows_.data());
    sampleRows(plan.prefill, logits, sampleRows_.data() + plan.decode.size());
    return Status::ok();
  }
  if (!plan.prefill.empty()) {
    const CallShape prefillShape = model_->prefillShape();
    buildCallInputs(plan.prefill, scheduler_, prefillShape, prefillInputs_);
    setVirtualTokens(plan.prefill, prefillShape);
    STRATA_ASSIGN_OR_RETURN(const float *logits,
                            model_->prefill(prefillInputs_));
    scheduler_.complete(StepPlan{plan.prefill, {}, {}});
    sampleRows(plan.prefill, logits);
  }
  if (!plan.decode.empty()) {
    buildCallInputs(plan.decode, scheduler_, decodeShape, decodeInputs_);
    STRATA_ASSIGN_OR_RETURN(const float *logits,
                            model_->decode(decodeInputs_));
    scheduler_.complete(StepPlan{{}, plan.decode, {}});
    sampleRows(plan.decode, logits);
  }
  return Status::ok();
}

Status Engine::run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      const bool waited = wake_.wait_for(lock, std::chrono::seconds(1), [&] {
        return !incoming_.empty() || !scheduler_.idle() || draining_.load();
      });
      if (!waited) {
        lock.unlock();
        if (Status s = model_->idle(); !s.isOk()) {
          failAll(s);
          return s;
        }
        continue;
      }
    }
    takeIncoming();
    dropCancelled();
    publishState();
    if (scheduler_.idle()) {
      publishState();
      if (draining_.load()) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (incoming_.empty())
          break;
      }
      continue;
    }
    const auto start = Clock::now();
    StepPlan plan = scheduler_.schedule();
    metrics_->preempted(static_cast<int64_t>(plan.preempted.size()));
    if (Status s = runStep(plan); !s.isOk()) {
      failAll(s);
      return s;
    }
    metrics_->step(seconds(Clock::now() - start));
    publishState();
  }
  return model_->close();
}

} // namespace strata::runtime::serving

//===- engine.h - continuous-batching generation for many requests -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The serving loop: HTTP threads submit sequences; one thread runs
// Engine::run(), which at every step admits queued sequences (Scheduler),
// runs the model's calls (one mixed call of prompt chunks and decode tokens,
// or a prefill and a decode call: scheduler.h), samples each finished row with
// its own request's parameters, turns tokens into text (UTF-8 safe, cut at
// stop strings) and hands them to the request's CompletionStream. A
// sequence leaves the batch the step it finishes or is cancelled, and its
// KV blocks return to the pool.
//
// Sampling is keyed by (request seed, choice, token index), never by batch
// row or step: a request's completion does not depend on what else runs.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SERVING_ENGINE_H
#define STRATA_RUNTIME_SERVING_ENGINE_H

#include "runtime/inference/sampling.h"
#include "runtime/serving/completion_stream.h"
#include "runtime/serving/paged_model.h"
#include "runtime/serving/scheduler.h"
#include "runtime/serving/serving_metrics.h"
#include "runtime/serving/stop_strings.h"
#include "runtime/tokenizer/text_stream.h"
#include "runtime/tokenizer/tokenizer.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace strata::runtime::serving {

/// How a step runs its prompt chunks and decode tokens (scheduler.h).
enum class StepShape {
  Auto,  // mixed, unless prompts take virtual tokens (prefill only does)
  Mixed, // one decode call, a token per row
  Split, // a prefill call and a decode call
};

struct EngineOptions {
  StepShape steps = StepShape::Auto;
  /// Sequences running at once; 0: the decode batch for split steps, half
  /// of it for mixed steps (the other half feeds prompts).
  int64_t maxRunning = 0;
  /// Sequences that may wait beyond the batch's free rows; more are
  /// refused (429).
  int64_t maxQueued = 256;
  /// The end-of-text id (-1: none): it ends a sequence and is not output.
  int32_t endOfText = -1;
  /// Ids >= this are never sampled (the vocabulary's padding); 0: all.
  int64_t allowedVocab = 0;
};

/// One sequence to generate (a request with n choices submits n).
struct SequenceRequest {
  std::vector<int32_t> prompt;
  int64_t maxTokens = 16;
  inference::SamplingOptions sampling;
  /// Which choice of its request: choices of one seed differ.
  uint64_t choice = 0;
  /// -1: no log-probabilities; k >= 0: the chosen token's and the k most
  /// likely alternatives.
  int topLogprobs = -1;
  std::vector<std::string> stop;
  /// Go on past the end-of-text token (it is then output like any other).
  bool ignoreEos = false;
  /// A prompt-learning request: each prompt position's virtual row (-1 for
  /// a real token); empty: all real.
  std::vector<int32_t> virtualRows;
};

class Engine {
public:
  /// Checks that |model|'s cache holds at least one sequence of the whole
  /// context (else a sequence could never be admitted).
  static StatusOr<std::unique_ptr<Engine>>
  create(PagedModel &model, const tokenizer::Tokenizer &tokenizer,
         const EngineOptions &options, ServingMetrics &metrics);

  int64_t contextLength() const { return scheduler_.limits().contextLength; }
  int64_t vocabSize() const { return model_->vocabSize(); }

  /// Checks one sequence against the model's limits: InvalidArgument with
  /// OpenAI's parameter name in the message.
  Status check(const SequenceRequest &request) const;
  /// Why submit() queued nothing.
  enum class Refusal { None, Invalid, QueueFull, Draining };
  struct Submitted {
    Refusal refusal = Refusal::None;
    std::string message;
    std::vector<std::shared_ptr<CompletionStream>> streams; // in order
  };
  /// Queues |requests| together (all or none) and returns their streams.
  Submitted submit(std::vector<SequenceRequest> requests);

  /// The loop; returns after drain() once nothing is queued or running, or
  /// with the model's error (every open stream then ends with it).
  Status run();
  /// Stops admitting; run() finishes what it has, then returns.
  void drain();
  bool draining() const { return draining_.load(); }

private:
  Engine(PagedModel &model, const tokenizer::Tokenizer &tokenizer,
         const EngineOptions &options, ServingMetrics &metrics,
         const SchedulerLimits &limits);
  /// The scheduler's limits for |model| under |options| (with their
  /// defaults), or why the two do not fit.
  static StatusOr<SchedulerLimits> limitsFor(const PagedModel &model,
                                             const EngineOptions &options);

  struct Live {
    SequenceRequest request;
    std::shared_ptr<CompletionStream> stream;
    tokenizer::TextStream text;
    StopStrings stops;
    int64_t generated = 0;
    std::chrono::steady_clock::time_point previous;
  };
  struct Incoming {
    uint64_t id;
    std::unique_ptr<Live> live;
  };

  /// Moves submitted sequences into the scheduler; drops cancelled ones.
  void takeIncoming();
  void dropCancelled();
  /// Samples the rows of a call that reached their sequence's end; row i's
  /// logits are the call's row |callRows[i]| (null: row i).
  void sampleRows(const std::vector<ScheduledRow> &rows, const float *logits,
                  const int64_t *callRows = nullptr);
  /// Runs one step's calls; the model's error ends the engine.
  Status runStep(const StepPlan &plan);
  /// Ends sequence |id| with |reason| and frees its blocks.
  void finish(uint64_t id, FinishReason reason, const std::string &error = "");
  void publishState();
  /// A prompt-learning model's prefill: the virtual rows of the positions
  /// each row feeds (prompt positions keep theirs across a recompute).
  void setVirtualTokens(const std::vector<ScheduledRow> &rows,
                        const CallShape &shape);
  void failAll(const Status &status);

  PagedModel *model_;
  const tokenizer::Tokenizer *tokenizer_;
  EngineOptions options_;
  ServingMetrics *metrics_;
  KVBlockPool pool_;
  Scheduler scheduler_;
  std::map<uint64_t, std::unique_ptr<Live>> live_;
  bool mixedSteps_ = false;
  CallInputs prefillInputs_, decodeInputs_;
  std::vector<int64_t> sampleRows_; // mixed steps: a row's last call row

  std::mutex mutex_; // guards incoming_ and nextId_
  std::condition_variable wake_;
  std::vector<Incoming> incoming_;
  uint64_t nextId_ = 1;
  std::atomic<int64_t> queued_{0};  // waiting in the scheduler
  std::atomic<int64_t> running_{0}; // in the running batch
  std::atomic<bool> draining_{false};
};

} // namespace strata::runtime::serving

#endif // STRATA_RUNTIME_SERVING_ENGINE_H

//===- scheduler.h - continuous batching over a paged KV cache --*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Decides, before every model step, which sequences run and which of their
// tokens they feed (Orca's iteration-level scheduling with vLLM's paged
// blocks and chunked prefill):
//
//   - a sequence's tokens are its prompt and what it generated; `computed`
//     of them have keys and values in the cache. A step feeds each running
//     sequence's next tokens: exactly one for a decoding sequence (the token
//     sampled last), a chunk of its prompt for one still prefilling;
//   - two step shapes. Split steps (a prefill and a decode call): up to
//     prefillBatch prompts feed up to P tokens each in the prefill call.
//     Mixed steps (Sarathi-Serve's stall-free batching; one call): the step
//     has a budget of tokenBudget tokens, one row of the call each; decoding
//     sequences take theirs first, prompts the rest, oldest first, so a
//     prompt never stalls the sequences that decode beside it and every
//     step reads the weights once;
//   - waiting sequences are admitted, oldest first, while fewer than
//     maxRunning sequences run and the pool holds blocks for all their
//     tokens: they join the running batch at the next step, beside
//     sequences already decoding;
//   - a sequence whose step reaches the end of its tokens samples the next
//     one (the engine appends it, or removes the sequence when it is done),
//     so a finished sequence leaves the batch at once;
//   - when a decoding sequence needs a block and none is free, the newest
//     running sequence is preempted: its blocks return to the pool and it
//     goes back to the front of the queue, to be recomputed from its tokens
//     (prompt and generated) when blocks free up. Requests are never failed
//     for want of blocks.
//
// Plain C++ with no model in it: the engine turns a StepPlan into the
// prefill and decode calls.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SERVING_SCHEDULER_H
#define STRATA_RUNTIME_SERVING_SCHEDULER_H

#include "runtime/serving/kv_block_pool.h"

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

namespace strata::runtime::serving {

struct SchedulerLimits {
  /// Sequences in the running batch at once.
  int64_t maxRunning = 1;
  /// Mixed steps: the tokens of a step (rows of its one call); 0: split
  /// steps.
  int64_t tokenBudget = 0;
  /// Split steps: rows of the prefill call and tokens per row (P).
  int64_t prefillBatch = 1, prefillLength = 1;
  /// The longest sequence (the cache's positions per sequence).
  int64_t contextLength = 1;
};

/// One row of a call: |count| tokens of |sequence| from position |start|.
struct ScheduledRow {
  uint64_t sequence = 0;
  int64_t start = 0, count = 0;
  /// The row feeds the sequence's last token: the call's logits for it
  /// choose the next one.
  bool samples = false;
};

struct StepPlan {
  /// Prompt chunks: split steps, at most prefillBatch rows of at most P
  /// tokens; mixed steps, at most tokenBudget tokens with the decode rows.
  std::vector<ScheduledRow> prefill;
  std::vector<ScheduledRow> decode; // at most maxRunning rows, count 1
  /// Sequences sent back to the queue by this step (their cache is gone).
  std::vector<uint64_t> preempted;
  bool empty() const { return prefill.empty() && decode.empty(); }
};

class Scheduler {
public:
  Scheduler(const SchedulerLimits &limits, KVBlockPool &pool);

  /// Queues sequence |id| (new) with |prompt| (non-empty, shorter than the
  /// context; the caller checks requests before).
  void add(uint64_t id, std::vector<int32_t> prompt);
  /// Plans the next step (admits, grows blocks, preempts). Every sequence
  /// of the plan must then be passed to complete() once the calls ran.
  StepPlan schedule();
  /// Records that |plan|'s rows now have their keys and values cached.
  void complete(const StepPlan &plan);
  /// Appends the token a sampling row chose; its next step decodes it.
  void append(uint64_t id, int32_t token);
  /// Drops sequence |id| (finished or cancelled), running or waiting, and
  /// frees its blocks. Unknown ids are ignored.
  void remove(uint64_t id);

  bool contains(uint64_t id) const { return sequences_.count(id) != 0; }
  const std::vector<int32_t> &tokens(uint64_t id) const;
  /// The physical blocks of |id| in logical order (empty while waiting).
  const std::vector<int32_t> &blocks(uint64_t id) const;

  size_t waitingCount() const { return waiting_.size(); }
  size_t runningCount() const { return running_.size(); }
  bool idle() const { return waiting_.empty() && running_.empty(); }
  int64_t preemptions() const { return preemptions_; }
  const SchedulerLimits &limits() const { return limits_; }
  const KVBlockPool &pool() const { return *pool_; }

private:
  struct Sequence {
    std::vector<int32_t> tokens;
    int64_t computed = 0;
    std::vector<int32_t> blocks;
    uint64_t arrival = 0; // admission order: the newest is preempted first
  };
  int64_t remaining(const Sequence &s) const {
    return static_cast<int64_t>(s.tokens.size()) - s.computed;
  }
  void admit();
  /// Sends the newest running sequence back to the queue.
  void preemptNewest(StepPlan &plan);

  SchedulerLimits limits_;
  KVBlockPool *pool_;
  std::map<uint64_t, Sequence> sequences_;
  std::deque<uint64_t> waiting_;
  std::vector<uint64_t> running_; // in admission order
  uint64_t nextArrival_ = 0;
  int64_t preemptions_ = 0;
};

} // namespace strata::runtime::serving

#endif // STRATA_RUNTIME_SERVING_SCHEDULER_H

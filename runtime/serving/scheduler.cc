//===- scheduler.cc - continuous batching over a paged KV cache -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/scheduler.h"

#include <algorithm>
#include <cassert>

namespace strata::runtime::serving {

Scheduler::Scheduler(const SchedulerLimits &limits, KVBlockPool &pool)
    : limits_(limits), pool_(&pool) {}

void Scheduler::add(uint64_t id, std::vector<int32_t> prompt) {
  assert(!prompt.empty() &&
         static_cast<int64_t>(prompt.size()) < limits_.contextLength);
  Sequence &s = sequences_[id];
  s.tokens = std::move(prompt);
  s.arrival = nextArrival_++;
  waiting_.push_back(id);
}

const std::vector<int32_t> &Scheduler::tokens(uint64_t id) const {
  return sequences_.at(id).tokens;
}

const std::vector<int32_t> &Scheduler::blocks(uint64_t id) const {
  return sequences_.at(id).blocks;
}

void Scheduler::admit() {
  while (!waiting_.empty() &&
         static_cast<int64_t>(running_.size()) < limits_.maxRunning) {
    const uint64_t id = waiting_.front();
    Sequence &s = sequences_.at(id);
    // Blocks for every token it has: a prompt is prefilled without
    // waiting for blocks in the middle. First come, first served: the
    // queue's head waits for blocks rather than be overtaken.
    if (!pool_->grow(s.blocks, static_cast<int64_t>(s.tokens.size())))
      break;
    waiting_.pop_front();
    // Running stays in arrival order (a preempted sequence keeps its age).
    auto at = std::upper_bound(
        running_.begin(), running_.end(), s.arrival,
        [&](uint64_t arrival, uint64_t other) {
          return arrival < sequences_.at(other).arrival;
        });
    running_.insert(at, id);
  }
}

void Scheduler::preemptNewest(StepPlan &plan) {
  const uint64_t id = running_.back();
  running_.pop_back();
  Sequence &s = sequences_.at(id);
  pool_->release(s.blocks);
  s.computed = 0;
  waiting_.push_front(id);
  plan.preempted.push_back(id);
  ++preemptions_;
}

StepPlan Scheduler::schedule() {
  StepPlan plan;
  admit();
  // A decoding sequence writes one more position: grow its blocks, oldest
  // first, preempting the newest sequences when the pool runs dry.
  for (size_t i = 0; i < running_.size(); ++i) {
    Sequence &s = sequences_.at(running_[i]);
    if (remaining(s) != 1)
      continue;
    while (!pool_->grow(s.blocks, s.computed + 1)) {
      const bool self = i + 1 == running_.size();
      preemptNewest(plan);
      if (self)
        break;
    }
  }
  // Decoding sequences first: in a mixed step they take their tokens of
  // the budget before any prompt does.
  for (uint64_t id : running_) {
    const Sequence &s = sequences_.at(id);
    if (remaining(s) == 1)
      plan.decode.push_back(ScheduledRow{id, s.computed, 1, true});
  }
  const bool mixed = limits_.tokenBudget > 0;
  // Mixed steps: the tokens left for prompts.
  int64_t budget =
      mixed ? limits_.tokenBudget - static_cast<int64_t>(plan.decode.size())
            : 0;
  for (uint64_t id : running_) {
    const Sequence &s = sequences_.at(id);
    const int64_t left = remaining(s);
    if (left == 1)
      continue;
    const int64_t count =
        mixed ? std::min(left, budget)
        : static_cast<int64_t>(plan.prefill.size()) < limits_.prefillBatch
            ? std::min(left, limits_.prefillLength)
            : 0;
    if (count <= 0)
      continue;
    budget -= count;
    plan.prefill.push_back(ScheduledRow{id, s.computed, count, count == left});
  }
  return plan;
}

void Scheduler::complete(const StepPlan &plan) {
  for (const auto *rows : {&plan.prefill, &plan.decode})
    for (const ScheduledRow &row : *rows)
      if (auto it = sequences_.find(row.sequence); it != sequences_.end())
        it->second.computed = row.start + row.count;
}

void Scheduler::append(uint64_t id, int32_t token) {
  sequences_.at(id).tokens.push_back(token);
}

void Scheduler::remove(uint64_t id) {
  auto it = sequences_.find(id);
  if (it == sequences_.end())
    return;
  pool_->release(it->second.blocks);
  running_.erase(std::remove(running_.begin(), running_.end(), id),
                 running_.end());
  waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), id),
                 waiting_.end());
  sequences_.erase(it);
}

} // namespace strata::runtime::serving

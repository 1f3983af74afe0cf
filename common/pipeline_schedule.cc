//===- pipeline_schedule.cc - 1F1B and interleaved 1F1B orders ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Megatron-LM's schedules (megatron/core/pipeline_parallel/schedules.py):
// a warmup of forwards, then one forward and one backward in turn, then the
// remaining backwards. Both schedules number the stage's passes with a
// "virtual micro-batch" k; without interleaving k is the micro-batch.
//
//===----------------------------------------------------------------------===//
#include "common/pipeline_schedule.h"

#include <algorithm>
#include <string>

namespace strata {

namespace {

using Kind = PipelineAction::Kind;

std::string values(int stages, int stage, int chunks, int64_t microBatches) {
  return "stages " + std::to_string(stages) + ", stage " +
         std::to_string(stage) + ", chunks " + std::to_string(chunks) +
         ", micro-batches " + std::to_string(microBatches);
}

} // namespace

Checked<std::vector<PipelineAction>>
pipelineSchedule(int stages, int stage, int chunks, int64_t microBatches) {
  const std::string given = values(stages, stage, chunks, microBatches);
  if (stages < 1 || chunks < 1 || microBatches < 1)
    return checkFailed("pipeline schedule of " + given +
                                   ": every count must be positive");
  if (stage < 0 || stage >= stages)
    return checkFailed("pipeline schedule of " + given +
                                   ": the stage is outside [0, stages)");
  if (chunks > 1 && microBatches % stages != 0)
    return checkFailed(
        "pipeline schedule of " + given +
        ": the interleaved schedule needs the micro-batches to be a multiple "
        "of the stages");

  // Virtual micro-batch k: groups of |stages| micro-batches run through one
  // chunk after the other (micro-batch group k / (stages * chunks), chunk
  // (k / stages) % chunks); backwards visit the chunks in reverse.
  const int64_t total = microBatches * chunks;
  auto action = [&](Kind kind, int64_t k) {
    int chunk = static_cast<int>((k / stages) % chunks);
    if (kind == Kind::Backward)
      chunk = chunks - 1 - chunk;
    const int64_t microBatch =
        (k / (int64_t(stages) * chunks)) * stages + k % stages;
    return PipelineAction{kind, chunk, microBatch};
  };

  // Warmup: enough forwards that the later stages (and, interleaved, the
  // later chunks) have work when this stage's first backward is due. Earlier
  // stages run more. Megatron-LM: stages - stage - 1 without interleaving;
  // (stages - stage - 1) * 2 + (chunks - 1) * stages with it (its group of
  // micro-batches per virtual stage defaults to the stages).
  int64_t warmup = stages - stage - 1;
  if (chunks > 1)
    warmup = int64_t(stages - stage - 1) * 2 + int64_t(chunks - 1) * stages;
  warmup = std::min(warmup, total);

  std::vector<PipelineAction> schedule;
  schedule.reserve(static_cast<size_t>(2 * total));
  for (int64_t k = 0; k < warmup; ++k)
    schedule.push_back(action(Kind::Forward, k));
  // Steady state: one forward, then one backward (of the oldest forward).
  for (int64_t k = 0; k < total - warmup; ++k) {
    schedule.push_back(action(Kind::Forward, warmup + k));
    schedule.push_back(action(Kind::Backward, k));
  }
  // Cooldown: the backwards left.
  for (int64_t k = total - warmup; k < total; ++k)
    schedule.push_back(action(Kind::Backward, k));
  return schedule;
}

std::vector<int64_t>
inFlightMicroBatches(const std::vector<PipelineAction> &schedule, int chunks) {
  std::vector<int64_t> live(std::max(chunks, 0), 0), most(live);
  for (const PipelineAction &action : schedule) {
    if (action.chunk < 0 || action.chunk >= chunks)
      continue;
    int64_t &count = live[action.chunk];
    count += action.kind == Kind::Forward ? 1 : -1;
    most[action.chunk] = std::max(most[action.chunk], count);
  }
  return most;
}

Checked<std::vector<int64_t>>
stashSlots(const std::vector<PipelineAction> &schedule, int chunks) {
  // Per chunk, the micro-batch each slot holds (-1: free).
  std::vector<std::vector<int64_t>> holder(std::max(chunks, 0));
  std::vector<int64_t> slots;
  slots.reserve(schedule.size());
  for (const PipelineAction &action : schedule) {
    const std::string what =
        std::string(action.kind == Kind::Forward ? "forward" : "backward") +
        " of micro-batch " + std::to_string(action.microBatch) + " on chunk " +
        std::to_string(action.chunk);
    if (action.chunk < 0 || action.chunk >= chunks || action.microBatch < 0)
      return checkFailed("stash slots: the " + what +
                                     " is outside chunks [0, " +
                                     std::to_string(chunks) + ")");
    std::vector<int64_t> &held = holder[action.chunk];
    auto slot = std::find(held.begin(), held.end(), action.microBatch);
    if (action.kind == Kind::Forward) {
      if (slot != held.end())
        return checkFailed("stash slots: the " + what +
                                       " runs again before its backward");
      slot = std::find(held.begin(), held.end(), int64_t(-1));
      if (slot == held.end())
        slot = held.insert(held.end(), -1);
      *slot = action.microBatch;
    } else {
      if (slot == held.end())
        return checkFailed("stash slots: the " + what +
                                       " has no forward before it");
      *slot = -1;
    }
    slots.push_back(int64_t(slot - held.begin()));
  }
  return slots;
}

} // namespace strata

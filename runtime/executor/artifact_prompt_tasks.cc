//===- artifact_prompt_tasks.cc - an artifact's prompt-learning tasks -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/artifact_prompt_tasks.h"

#include <algorithm>
#include <numeric>

namespace strata::runtime {

namespace {

std::string text(const flatbuffers::String *s) {
  return s ? s->str() : std::string();
}

} // namespace

StatusOr<PromptTaskSet> promptTasksOf(const LoadedArtifact &artifact) {
  PromptTaskSet set;
  const auto *tasks = artifact.root().prompt_tasks();
  if (!tasks)
    return set;
  // With a style every task has virtual tokens; without one (LoRA alone,
  // format 0.12) none has.
  const flatbuffers::String *style = artifact.root().virtual_prompt_style();
  const bool virtualTokens = style && style->size() > 0;
  for (const artifact::PromptTask *entry : *tasks) {
    PromptTask task;
    task.name = text(entry->name());
    auto bad = [&](const std::string &why) {
      return Status::dataLoss(artifact.path() + ": prompt task '" + task.name +
                              "' " + why);
    };
    task.templateText = text(entry->prompt_template());
    Checked<PromptTemplate> parsed = parsePromptTemplate(task.templateText);
    if (!parsed.isOk())
      return bad(parsed.error());
    task.parsed = *parsed;
    task.totalVirtualTokens = entry->total_virtual_tokens();
    if (entry->virtual_token_splits())
      task.virtualTokenSplits.assign(entry->virtual_token_splits()->begin(),
                                     entry->virtual_token_splits()->end());
    if (virtualTokens && task.totalVirtualTokens < 1)
      return bad("has " + std::to_string(task.totalVirtualTokens) +
                 " virtual tokens, but its virtual_prompt_style " +
                 style->str() + " gives every task some");
    if (!virtualTokens && task.totalVirtualTokens != 0)
      return bad("has " + std::to_string(task.totalVirtualTokens) +
                 " virtual tokens, but the artifact has no "
                 "virtual_prompt_style to make them");
    // One positive split per marker, summing to the total: a task without
    // virtual tokens has no marker and no split.
    const bool positive =
        std::all_of(task.virtualTokenSplits.begin(),
                    task.virtualTokenSplits.end(),
                    [](int64_t n) { return n > 0; });
    const int64_t sum = std::accumulate(task.virtualTokenSplits.begin(),
                                        task.virtualTokenSplits.end(),
                                        int64_t(0));
    if (!positive || sum != task.totalVirtualTokens ||
        int64_t(task.virtualTokenSplits.size()) !=
            task.parsed.virtualMarkers())
      return bad("has " + std::to_string(task.virtualTokenSplits.size()) +
                 " virtual token splits summing to " + std::to_string(sum) +
                 " for " + std::to_string(task.parsed.virtualMarkers()) +
                 " markers and " + std::to_string(task.totalVirtualTokens) +
                 " virtual tokens");
    task.truncateField = text(entry->truncate_field());
    task.answerOnlyLoss = entry->answer_only_loss();
    task.answerField = text(entry->answer_field());
    task.trained = entry->trained();
    set.tasks.push_back(std::move(task));
  }
  return set;
}

} // namespace strata::runtime

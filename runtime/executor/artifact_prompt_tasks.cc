//===- artifact_prompt_tasks.cc - an artifact's prompt-learning tasks -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/artifact_prompt_tasks.h"

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
    const int64_t sum = std::accumulate(task.virtualTokenSplits.begin(),
                                        task.virtualTokenSplits.end(),
                                        int64_t(0));
    if (task.totalVirtualTokens < 1 || sum != task.totalVirtualTokens ||
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

//===- artifact_prompt_tasks.h - an artifact's prompt-learning tasks -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The tasks an artifact records (Artifact.prompt_tasks, format 0.11; tasks
// without virtual tokens, of LoRA alone, since 0.12), as the plain data the
// data builder takes (common/prompt_tasks.h): what `strata-run train --data`
// needs to turn JSON lines into batches of a prompt-learning or LoRA model.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_ARTIFACT_PROMPT_TASKS_H
#define STRATA_RUNTIME_EXECUTOR_ARTIFACT_PROMPT_TASKS_H

#include "common/prompt_tasks.h"
#include "runtime/artifact/artifact_loader.h"
#include "runtime/support/status.h"

namespace strata::runtime {

/// The artifact's tasks in the order of their global virtual rows (empty
/// for a model without tasks). With a virtual_prompt_style every task has
/// virtual tokens; without one none has. A template that does not parse,
/// virtual tokens against the style, or splits that do not add up are data
/// loss naming the file and the task.
StatusOr<PromptTaskSet> promptTasksOf(const LoadedArtifact &artifact);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_ARTIFACT_PROMPT_TASKS_H

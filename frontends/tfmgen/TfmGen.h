//===- TfmGen.h - model description to tfm IR -------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Builds the `input` phase of compilation: a module with one tfm.parameter
// per model parameter and a `forward` function whose body is the model in
// global shapes, one tfm.layer per transformer layer.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_TFMGEN_TFMGEN_H
#define STRATA_FRONTENDS_TFMGEN_TFMGEN_H

#include "frontends/model/ModelDescription.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace strata::frontend {

/// Name of the entry function:
///   forward(tokens, positions, labels : [micro_batch, seq] i32
///           [, virtual_tokens : [micro_batch, seq] i32])
///     -> (logits [micro_batch, seq, padded_vocab], loss f32 scalar)
/// with virtual_tokens when the description has a virtual prompt style
/// (docs/prompt-learning.md); LoRA alone has none, tasks or not. A label of
/// -1 is ignored.
inline constexpr const char *kForwardFunctionName = "forward";
/// The tfm.name of forward's fourth input.
inline constexpr const char *kVirtualTokensArgumentName = "virtual_tokens";

/// Module attribute holding the effective description (NeMo key names).
inline constexpr const char *kConfigAttrName = "tfm.config";
/// Module attribute holding the prompt-learning tasks (an array of
/// dictionaries: name, prompt_template, total_virtual_tokens,
/// virtual_token_splits, truncate_field, answer_only_loss, answer_field,
/// trained), absent without tasks, and their virtual prompt style, absent
/// without virtual tokens (LoRA alone: every total_virtual_tokens is 0), for
/// the artifact.
inline constexpr const char *kPromptTasksAttrName = "tfm.prompt_tasks";
inline constexpr const char *kVirtualPromptStyleAttrName =
    "tfm.virtual_prompt_style";
/// Module attribute holding keys accepted but not used yet (path -> text).
inline constexpr const char *kRecordedKeysAttrName = "tfm.recorded_keys";

/// Module attribute holding the description's training hyperparameters
/// (ModelDescription::trainingSettings), absent without any: an array of
/// dictionaries {key : string, numbers : array<f64>, text : string,
/// source : "file:line"}, for the artifact's training_settings, the
/// defaults of `strata-run train`.
inline constexpr const char *kTrainingSettingsAttrName =
    "tfm.training_settings";

/// The kTrainingSettingsAttrName value of |description|.
mlir::ArrayAttr trainingSettingsAttr(const ModelDescription &description,
                                     mlir::MLIRContext &context);

/// Module attribute of a module emitted with EmitOptions::mergeLora:
/// {scale = alpha / r : f64, rank = r : i64, updates = [{target, linear_in,
/// linear_out} : parameter names]}, one update per projection a LoRA
/// adapter targets, for the artifact's lora_merge.
inline constexpr const char *kLoraMergeAttrName = "tfm.lora_merge";

/// How a description is emitted for inference (strata-compile --mode
/// infer); the defaults emit the training program.
struct EmitOptions {
  /// P-tuning: each task's table is the parameter prompt_table.<task>.weight
  /// (which training checkpoints carry, docs/prompt-learning.md) instead of
  /// its prompt encoder.
  bool promptTablesAsParameters = false;
  /// LoRA: no adapters in the program; the module's kLoraMergeAttrName says
  /// which checkpoint tensors merge into which projection when it loads.
  bool mergeLora = false;
};

/// Emits the tfm module for |description|. The context must have the tfm
/// and func dialects loaded. The result verifies; the description was
/// validated by the parser, so emission cannot fail.
mlir::OwningOpRef<mlir::ModuleOp>
emitTfmModule(const ModelDescription &description, mlir::MLIRContext &context,
              const EmitOptions &options = {});

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_TFMGEN_TFMGEN_H

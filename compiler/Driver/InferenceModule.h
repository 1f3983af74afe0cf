//===- InferenceModule.h - prefill and decode functions ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// `strata-compile --mode infer` needs the model at two query lengths: a
// prompt chunk (prefill) and one token (decode). Shapes are static, so the
// frontend emits the description twice and the two `forward` functions
// become `prefill` and `decode` of one module, over one set of parameters;
// strata-tfm-derive-inference then gives both the same KV caches.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_DRIVER_INFERENCEMODULE_H
#define STRATA_COMPILER_DRIVER_INFERENCEMODULE_H

#include "frontends/model/ModelDescription.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <string>

namespace mlir::strata {

inline constexpr const char *kPrefillFunctionName = "prefill";
inline constexpr const char *kDecodeFunctionName = "decode";

/// The prefill chunk length when none is given: the description's
/// seq_length, at most 128.
int64_t defaultPrefillLength(const ::strata::frontend::ModelDescription &d);

/// The input-phase module of |description| with two functions instead of
/// `forward`:
///   prefill(tokens, positions, labels[, virtual_tokens] : [micro_batch, P]
///           i32) -> (logits [micro_batch, P, vocab], loss)
///   decode(tokens, positions, labels : [micro_batch, 1] i32)
///     -> (logits [micro_batch, 1, vocab], loss)
/// with P = |prefillLength| (defaultPrefillLength when 0), and prefill's
/// batch |prefillBatch| rows instead of micro_batch when it is > 0 (only
/// for paged caches, whose pools do not depend on the batch).
/// A prompt-learning model's prefill takes virtual_tokens like its forward;
/// decode never sees a virtual token (it feeds generated ones), so it has
/// neither the input nor the tables (removeVirtualTokens). P-tuning's tables
/// are parameters (prompt_table.<task>.weight, which training checkpoints
/// carry), not its prompt encoders. With |mergeLora| LoRA has no ops: the
/// module's tfm.lora_merge lists the adapters the projections absorb when
/// the checkpoint loads. The module's tfm.config is the description's
/// (seq_length unchanged). Returns null and sets |*error| when P does not
/// fit the caches (more than max_position_embeddings) or |mergeLora| is set
/// for a model without LoRA.
OwningOpRef<ModuleOp>
emitInferenceModule(const ::strata::frontend::ModelDescription &description,
                    int64_t prefillLength, MLIRContext &context,
                    std::string *error, bool mergeLora = false,
                    int64_t prefillBatch = 0);

} // namespace mlir::strata

#endif // STRATA_COMPILER_DRIVER_INFERENCEMODULE_H

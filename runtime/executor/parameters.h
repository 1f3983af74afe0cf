//===- parameters.h - an executor's parameters as named tensors -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Parameters live in the arena at their planned offsets; these functions
// move them in and out as named host tensors (Strata names, global layout),
// fill them from the artifact's initializers, and read and write Hugging
// Face checkpoints through runtime/io/hf_checkpoint.h.
//
// Initialization is a pure function of (seed, parameter name, element
// index): N(0, std) by Box-Muller over Philox-4x32-10 with the key = seed
// and the counter's high half = a hash of the name. A parameter's values do
// not depend on which other parameters exist, their order, or how a
// parallel layout shards it.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_PARAMETERS_H
#define STRATA_RUNTIME_EXECUTOR_PARAMETERS_H

#include "runtime/executor/executor.h"
#include "runtime/io/hf_checkpoint.h"
#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <functional>
#include <string>

namespace strata::runtime {

/// Names, global shapes and dtypes of the model's parameters: a pipeline
/// stage's table is the whole model's (every stage's, model_parameters.h),
/// so checkpoints and fingerprints do not depend on the layout.
io::ParameterTable parameterTable(const LoadedArtifact &artifact);

/// The Hugging Face family of the model, as the artifact records it
/// (Artifact.model_family); an error for a model without one and for an
/// artifact older than format 0.10.
StatusOr<io::HfFamily> hfFamilyOf(const LoadedArtifact &artifact);

/// The tokenizer's vocabulary V the artifact records (Artifact.vocab_size,
/// format 0.14): the real rows of the padded vocabulary tensors. 0 when the
/// model is not padded or the artifact does not say (every row is real).
int64_t realVocabSize(const LoadedArtifact &artifact);

/// Fills every parameter from its initializer with |seed|, and zeroes the
/// gradient slots and AdamW moments.
Status initializeParameters(Executor &executor, uint64_t seed);

/// Every parameter, by Strata name, in the global layout: a parameter split
/// across ranks is gathered from the ranks of its mesh axis, so every rank
/// of a partitioned job must call these together; a failed transfer (a rank
/// that died) is an error. Under pipeline parallelism the mesh's first rank
/// receives every stage's parameters (a shared one once, from the lower
/// stage); the other ranks get those their stage owns.
StatusOr<io::TensorMap> readParameters(const Executor &executor);

/// The same for the parameters |select| picks (by Strata name).
StatusOr<io::TensorMap> readSelectedParameters(
    const Executor &executor,
    const std::function<bool(const std::string &name)> &select);

/// Every trainable parameter's gradient slot, by the parameter's Strata name.
StatusOr<io::TensorMap> readGradients(const Executor &executor);

/// The AdamW moments, as "<name>.exp_avg" / "<name>.exp_avg_sq", and under
/// mixed precision O2 the F32 main parameters as "<name>.main_param".
StatusOr<io::TensorMap> readOptimizerState(const Executor &executor);
Status writeOptimizerState(Executor &executor, const io::TensorMap &state,
                           const std::string &source);

/// Sets every parameter from |params| (Strata names): exactly the model's
/// parameters, each of its shape; floating-point values are converted to
/// the parameter's dtype. A pipeline stage takes its own and leaves the
/// other stages'. One error lists every missing, extra and mis-shaped
/// tensor, naming |source|.
Status writeParameters(Executor &executor, const io::TensorMap &params,
                       const std::string &source);

/// The same for the parameters |select| picks (by Strata name): |params|
/// holds exactly those; the others keep their values (prompt learning
/// loads a frozen base and its adapters from separate files).
Status writeSelectedParameters(
    Executor &executor, const io::TensorMap &params, const std::string &source,
    const std::function<bool(const std::string &name)> &select);

/// Loads a Hugging Face safetensors checkpoint (GPT-2 or Llama names, with
/// or without `transformer.`) into the parameters, and zeroes the gradient
/// slots and AdamW moments. Prompt learning's tensors beyond the
/// parameters are fitted as fitCheckpointTensors says (prompt_tables.h).
Status loadHfCheckpoint(Executor &executor, const std::string &path);

/// Writes the parameters as a Hugging Face checkpoint, atomically, with
/// p-tuning's tables beside its encoders (computePromptTables; every rank
/// calls it).
Status saveHfCheckpoint(Executor &executor, const std::string &path,
                        const io::SafetensorsMetadata &metadata = {});

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_PARAMETERS_H

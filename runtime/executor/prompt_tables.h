//===- prompt_tables.h - p-tuning's tables in checkpoints --------*- C++
//-*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// P-tuning trains a prompt encoder per task; inference needs only its output,
// a fixed table per task (docs/prompt-learning.md, "P-tuning tables"):
//
//  - a training artifact has the function prompt_tables() (format 0.13),
//    a copy of forward's encoder ops without dropout, whose results are named
//    prompt_table.<task>.weight; every checkpoint of it carries them beside
//    the encoder's parameters (computePromptTables, at save time), and
//    loading one ignores them: the encoders are the state that trains;
//  - an inference artifact has the tables as parameters instead of the
//    encoders, so loading ignores the encoders' tensors and needs the tables.
//
// fitCheckpointTensors applies both rules, --merge-lora's (lora_merge.h) and
// --quantize's (weight_quantization.h), to a checkpoint's tensors before
// they are written into the parameters.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_PROMPT_TABLES_H
#define STRATA_RUNTIME_EXECUTOR_PROMPT_TABLES_H

#include "runtime/executor/executor.h"
#include "runtime/io/hf_checkpoint.h"
#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <string>
#include <vector>

namespace strata::runtime {

/// The names of |artifact|'s prompt_tables results (Function.result_names);
/// empty without the function.
std::vector<std::string> computedPromptTables(const LoadedArtifact &artifact);

/// Runs prompt_tables and returns its results by name, each whole (a split
/// result gathered); empty without the function. Every rank of a
/// partitioned job calls it together. It draws no random numbers: the
/// dropout counter is unchanged, so a resumed run stays bitwise.
StatusOr<io::TensorMap> computePromptTables(Executor &executor);

/// Turns the tensors of a checkpoint read from |source| (Strata names,
/// global layout) into the parameters |artifact| takes: drops the tables a
/// training artifact computes; for a p-tuning inference artifact drops the
/// prompt encoders' tensors, and refuses a checkpoint that has a task's
/// encoder but not its table (saved before format 0.13) with how to write
/// one; merges LoRA adapters for an artifact compiled with --merge-lora;
/// quantizes the int8 weights of one compiled with --quantize.
Status fitCheckpointTensors(const LoadedArtifact &artifact,
                            io::TensorMap &tensors, const std::string &source);

/// What to read from the checkpoint file at |path| (one safetensors file)
/// for |artifact|: its parameter table |table| and, where a rule above
/// applies, the adapter-named tensors (io::isAdapterParameter) of the file
/// that are not parameters, for fitCheckpointTensors.
StatusOr<io::ParameterTable> checkpointTable(const LoadedArtifact &artifact,
                                             io::ParameterTable table,
                                             const std::string &path);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_PROMPT_TABLES_H

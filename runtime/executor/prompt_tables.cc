//===- prompt_tables.cc - p-tuning's tables in checkpoints ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/prompt_tables.h"

#include "common/prompt_tasks.h"
#include "runtime/executor/lora_merge.h"
#include "runtime/executor/weight_quantization.h"
#include "runtime/executor/parameters.h"
#include "runtime/io/hf_checkpoint.h"
#include "runtime/io/safetensors.h"

#include <set>

namespace strata::runtime {

namespace {

const std::string kEncoderPrefix = "prompt_encoder.";
const std::string kTablePrefix = "prompt_table.", kWeight = ".weight";

bool startsWith(const std::string &s, const std::string &prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

/// Whether |artifact| is a p-tuning inference artifact: p-tuning, and no
/// prompt encoder among its parameters (its tables are parameters).
bool readsPromptTables(const LoadedArtifact &artifact) {
  const auto *style = artifact.root().virtual_prompt_style();
  if (!style || style->str() != toString(VirtualPromptStyle::PTuning))
    return false;
  for (const io::ParameterSpec &p : parameterTable(artifact))
    if (startsWith(p.name, kEncoderPrefix))
      return false;
  return true;
}

/// The p-tuning inference artifact's tables that a checkpoint holding
/// |names| lacks while it has their tasks' encoders: a checkpoint saved
/// before the tables existed, refused with how to add them.
Status checkTablesPresent(const LoadedArtifact &artifact,
                          const std::set<std::string> &names,
                          const std::string &source) {
  std::string lacking;
  for (const io::ParameterSpec &p : parameterTable(artifact)) {
    if (!startsWith(p.name, kTablePrefix) || names.count(p.name))
      continue;
    // prompt_table.<task>.weight: the task's encoder is prompt_encoder.<task>.
    const std::string encoder =
        kEncoderPrefix +
        p.name.substr(kTablePrefix.size(),
                      p.name.size() - kTablePrefix.size() - kWeight.size()) +
        ".";
    auto it = names.lower_bound(encoder);
    if (it != names.end() && startsWith(*it, encoder))
      lacking += (lacking.empty() ? "" : ", ") + p.name;
  }
  if (lacking.empty())
    return Status::ok();
  return Status::invalidArgument(
      source + " holds p-tuning's prompt encoders but not the tables " +
      lacking + ", which " + artifact.path() +
      " reads instead (a checkpoint saved before artifact format 0.13): "
      "add them with `strata-run prompt-tables TRAINING.strata "
      "--checkpoint " +
      source +
      " --out NEW.safetensors` (TRAINING.strata: the model compiled for "
      "training), then generate from NEW.safetensors");
}

/// The p-tuning inference artifact's rule: the encoders' tensors go, each
/// table they computed must be there.
Status keepTablesOnly(const LoadedArtifact &artifact, io::TensorMap &tensors,
                      const std::string &source) {
  std::set<std::string> names;
  for (const auto &[name, tensor] : tensors)
    names.insert(name);
  STRATA_RETURN_IF_ERROR(checkTablesPresent(artifact, names, source));
  for (auto it = tensors.begin(); it != tensors.end();)
    it = startsWith(it->first, kEncoderPrefix) ? tensors.erase(it)
                                               : std::next(it);
  return Status::ok();
}

} // namespace

std::vector<std::string> computedPromptTables(const LoadedArtifact &artifact) {
  std::vector<std::string> names;
  const artifact::Function *function =
      artifact.findFunction(kPromptTablesFunction);
  if (function && function->result_names())
    for (const flatbuffers::String *name : *function->result_names())
      names.push_back(name->str());
  return names;
}

StatusOr<io::TensorMap> computePromptTables(Executor &executor) {
  io::TensorMap tables;
  const std::vector<std::string> names =
      computedPromptTables(executor.artifact());
  if (names.empty())
    return tables;
  STRATA_ASSIGN_OR_RETURN(const PreparedFunction *function,
                          executor.function(kPromptTablesFunction));
  if (function->usesRandomness)
    return Status::internal(std::string(kPromptTablesFunction) +
                            " draws random numbers; it must not");
  STRATA_RETURN_IF_ERROR(executor.run(*function));
  for (size_t i = 0; i < names.size(); ++i) {
    STRATA_ASSIGN_OR_RETURN(io::HostTensor table,
                            executor.readResult(*function, i));
    tables.emplace(names[i], std::move(table));
  }
  return tables;
}

Status fitCheckpointTensors(const LoadedArtifact &artifact,
                            io::TensorMap &tensors, const std::string &source) {
  for (const std::string &name : computedPromptTables(artifact))
    tensors.erase(name);
  if (readsPromptTables(artifact))
    STRATA_RETURN_IF_ERROR(keepTablesOnly(artifact, tensors, source));
  if (std::optional<LoraMergePlan> plan = loraMergeOf(artifact))
    STRATA_RETURN_IF_ERROR(mergeLora(tensors, *plan, source));
  // After the merge: a merged projection is quantized with its update.
  if (std::vector<QuantizedWeight> weights = quantizedWeightsOf(artifact);
      !weights.empty())
    STRATA_RETURN_IF_ERROR(quantizeWeights(tensors, weights, source));
  return Status::ok();
}

StatusOr<io::ParameterTable> checkpointTable(const LoadedArtifact &artifact,
                                             io::ParameterTable table,
                                             const std::string &path) {
  if (computedPromptTables(artifact).empty() && !readsPromptTables(artifact) &&
      !loraMergeOf(artifact))
    return table;
  STRATA_ASSIGN_OR_RETURN(io::SafetensorsHeader header,
                          io::inspectSafetensors(path));
  std::set<std::string> parameters, names;
  for (const io::ParameterSpec &p : table)
    parameters.insert(p.name);
  for (const io::SafetensorsEntry &entry : header.entries)
    names.insert(entry.name);
  // Before the whole file is read and checked against the parameters.
  if (readsPromptTables(artifact))
    STRATA_RETURN_IF_ERROR(checkTablesPresent(artifact, names, path));
  for (const io::SafetensorsEntry &entry : header.entries)
    if (entry.supported && io::isAdapterParameter(entry.name) &&
        !parameters.count(entry.name))
      table.push_back({entry.name, entry.shape, entry.dtype});
  return table;
}

} // namespace strata::runtime

//===- MegatronLayout.cpp - which parameters tensor parallelism splits ----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Partitioning/MegatronLayout.h"

namespace strata::partitioning {

namespace {

constexpr std::string_view kScaleSuffix = "_scale";

bool endsWith(std::string_view name, std::string_view suffix) {
  return name.size() >= suffix.size() &&
         name.substr(name.size() - suffix.size()) == suffix;
}

} // namespace

std::optional<unsigned> megatronSplitDim(std::string_view name) {
  struct Entry {
    std::string_view suffix;
    std::optional<unsigned> dim;
  };
  // Longest suffixes first: "attention.output.weight" before "output.weight".
  static constexpr Entry kEntries[] = {
      {".attention.query.weight", 0u},  {".attention.query.bias", 0u},
      {".attention.key.weight", 0u},    {".attention.key.bias", 0u},
      {".attention.value.weight", 0u},  {".attention.value.bias", 0u},
      {".attention.output.weight", 1u}, {".attention.output.bias", {}},
      {".mlp.fc1.weight", 0u},          {".mlp.fc1.bias", 0u},
      {".mlp.gate.weight", 0u},         {".mlp.gate.bias", 0u},
      {".mlp.up.weight", 0u},           {".mlp.up.bias", 0u},
      {".mlp.fc2.weight", 1u},          {".mlp.fc2.bias", {}},
      // LoRA adapters split as NeMo's ParallelLinearAdapter: beside a
      // column-parallel projection the output (linear_out) splits like it
      // and linear_in is whole; beside a row-parallel one linear_in splits
      // its input like the projection and linear_out is whole.
      {".lora_qkv.linear_out.query.weight", 0u},
      {".lora_qkv.linear_out.key.weight", 0u},
      {".lora_qkv.linear_out.value.weight", 0u},
      {".lora_qkv.linear_in.weight", {}},
      {".lora_fc1.linear_out.weight", 0u},
      {".lora_fc1.linear_out.gate.weight", 0u},
      {".lora_fc1.linear_out.up.weight", 0u},
      {".lora_fc1.linear_in.weight", {}},
      {".lora_dense.linear_in.weight", 1u},
      {".lora_dense.linear_out.weight", {}},
      {".lora_fc2.linear_in.weight", 1u},
      {".lora_fc2.linear_out.weight", {}},
  };
  for (const Entry &entry : kEntries)
    if (endsWith(name, entry.suffix))
      return entry.dim;
  if (name == "embedding.word_embeddings.weight" || name == "output.weight")
    return 0u;
  // An int8 weight's per-output-channel scales (weight-only quantization)
  // split with a split output dimension (always dimension 0) and stay
  // whole beside a split contracted one.
  if (endsWith(name, kScaleSuffix)) {
    std::optional<unsigned> weight =
        megatronSplitDim(name.substr(0, name.size() - kScaleSuffix.size()));
    return weight == 0u ? weight : std::nullopt;
  }
  return std::nullopt;
}

} // namespace strata::partitioning

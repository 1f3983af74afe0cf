//===- MegatronLayout.cpp - which parameters tensor parallelism splits ----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Partitioning/MegatronLayout.h"

namespace strata::partitioning {

namespace {

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
  };
  for (const Entry &entry : kEntries)
    if (endsWith(name, entry.suffix))
      return entry.dim;
  if (name == "embedding.word_embeddings.weight" || name == "output.weight")
    return 0u;
  return std::nullopt;
}

} // namespace strata::partitioning

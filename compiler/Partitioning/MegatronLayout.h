//===- MegatronLayout.h - which parameters tensor parallelism splits -*- C++
//-*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Megatron-LM's tensor-parallel layout, stated once on the parameters; the
// activations' and gradients' layouts follow from sharding propagation:
//   * column parallel (split by output features, heads for attention):
//     attention query/key/value weights [heads, head_dim, hidden] and biases,
//     MLP fc1 / gate / up weights [ffn, hidden] and biases;
//   * row parallel (split by input features): attention output
//     [hidden, heads, head_dim] on heads, MLP fc2 [hidden, ffn] on ffn; their
//     biases stay whole (added once, after the all-reduce);
//   * vocabulary parallel: the word embeddings [vocab, hidden] and an untied
//     output layer `output.weight` [vocab, hidden];
//   * int8 weight-only quantization's scales "<weight>_scale" split with
//     a column-parallel or vocabulary-parallel weight and are replicated
//     beside a row-parallel one;
//   * everything else (norms, position embeddings) is replicated.
// Plain C++ over Strata's parameter names (frontends/tfmgen).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_PARTITIONING_MEGATRONLAYOUT_H
#define STRATA_COMPILER_PARTITIONING_MEGATRONLAYOUT_H

#include <optional>
#include <string_view>

namespace strata::partitioning {

/// The dimension of parameter |name| that tensor parallelism splits, or
/// nullopt when every tensor-parallel rank holds all of it.
std::optional<unsigned> megatronSplitDim(std::string_view name);

} // namespace strata::partitioning

#endif // STRATA_COMPILER_PARTITIONING_MEGATRONLAYOUT_H

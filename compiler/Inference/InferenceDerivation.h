//===- InferenceDerivation.h - prefill and decode, KV cache -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Turns an input-phase function, forward(tokens, positions, labels) ->
// (logits, loss), into an inference function (tokens, positions) -> logits
// that keeps the keys and values of every attention layer in a KV cache
// (TfmInferenceOps.td):
//
//   attention(q, k, v)   =>   cache_write @key_cache, k, positions
//                             cache_write @value_cache, v, positions
//                             cached_attention q, @key_cache, @value_cache,
//                                              positions
//
// The caches are module-level tfm.kv_cache symbols named after the layer
// (`layers.N.attention.key_cache` / `value_cache`), created by the first
// function that needs them and shared by the others, so a prefill function
// (S = prompt chunk) and a decode function (S = 1) of one module read and
// write the same state. The same rewrite serves both: each query attends
// the cached keys up to its own position.
//
// The functions work on tfm.layer regions (the positions become a layer
// operand where the layer did not take them) and on flattened functions.
//
// Paged caches (vLLM's layout; KVCacheLayout::blockSize > 0): each cache is
// a pool [blocks, block_size, groups, head_dim] shared by the rows of the
// batch, and every function takes a `block_table` [batch, W] i32 argument
// (right after positions) that maps a row's logical block t / block_size
// to a block of the pool; W = ceil(length / block_size), so a row can
// address its whole context. The table reaches the ops like the positions.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_INFERENCE_INFERENCEDERIVATION_H
#define STRATA_COMPILER_INFERENCE_INFERENCEDERIVATION_H

#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace mlir::strata {

/// `layers.N.attention.key_cache` and `layers.N.attention.value_cache`.
std::string keyCacheName(int64_t layer);
std::string valueCacheName(int64_t layer);

/// Removes the loss from |function|: it must return (logits, loss) with the
/// loss a tfm.cross_entropy of the logits; it then returns the logits only,
/// and the labels argument, which nothing else reads, is removed. A
/// function that returns one value is left alone.
LogicalResult removeLoss(func::FuncOp function);

/// Replaces every tfm.dropout under |root| by its input: inference draws no
/// masks.
void removeDropout(Operation *root);

/// How the caches are laid out.
struct KVCacheLayout {
  /// Positions a row may reach (max_position_embeddings by default).
  int64_t length = 0;
  /// Paged: positions per block (0: one [batch, length] cache per layer).
  int64_t blockSize = 0;
  /// Paged: blocks in each cache's pool (0: batch * tableWidth(), so every
  /// row fits its full context).
  int64_t numBlocks = 0;

  bool paged() const { return blockSize > 0; }
  /// W: the blocks of one row's context, ceil(length / blockSize).
  int64_t tableWidth() const {
    return paged() ? (length + blockSize - 1) / blockSize : 0;
  }
  /// The pool's blocks for a batch of |batch| rows.
  int64_t blocksFor(int64_t batch) const {
    return numBlocks > 0 ? numBlocks : batch * tableWidth();
  }
};

/// Replaces every tfm.attention of |function| by cache writes of its keys
/// and values at |positions| (an argument of |function|, [batch, seq] i32)
/// and a tfm.cached_attention reading the caches, declaring the caches in
/// the enclosing module where they do not exist yet: [batch, length, ...],
/// or with |blockTable| (an argument [batch, W] i32; |layout| paged) pools
/// [blocks, blockSize, ...] that the ops address through the table. The
/// attention must be causal self-attention (key length = query length =
/// the positions' length) without a used log-sum-exp, one per layer. Emits
/// a diagnostic and fails otherwise, or when an existing cache of the same
/// name has another type.
LogicalResult useKVCache(func::FuncOp function, Value positions,
                         const KVCacheLayout &layout,
                         Value blockTable = Value());

/// For a function over S > 1 positions whose logits are the output
/// projection of the final norm: adds an argument `last` [batch] (i32) and
/// selects each row's position last[b] (tfm.take_positions) before the norm,
/// so the logits are [batch, 1, vocab]. A one-position function, or one of
/// another shape, is left as it is (its logits cover every position).
LogicalResult selectLastPositions(func::FuncOp function);

/// For a paged |layout|: inserts the argument `block_table` [batch, W] i32
/// (tfm.name "block_table") right after |positions| and returns it.
FailureOr<Value> addBlockTableArgument(func::FuncOp function,
                                       BlockArgument positions,
                                       const KVCacheLayout &layout);

/// The whole derivation of one function: removeLoss, removeDropout, then
/// (paged) addBlockTableArgument and useKVCache with the argument named
/// "positions" (its `tfm.name`), then selectLastPositions.
LogicalResult deriveInferenceFunction(func::FuncOp function,
                                      const KVCacheLayout &layout);

} // namespace mlir::strata

#endif // STRATA_COMPILER_INFERENCE_INFERENCEDERIVATION_H

//===- kernel_signatures.cc - what each artifact instruction takes --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Keep in enum order; the test checks every enum value has an entry.
//
//===----------------------------------------------------------------------===//
#include "runtime/artifact/kernel_signatures.h"

namespace strata::runtime {

using artifact::Kernel;

const std::vector<KernelSignature> &allKernelSignatures() {
  static const std::vector<KernelSignature> signatures = {
      // (table, ids) -> out
      {Kernel::Embedding, "embedding", 2, 2, 1, 1, {}, {}},
      // (dy, ids) -> dtable
      {Kernel::EmbeddingGrad, "embedding_grad", 2, 2, 1, 1, {}, {}},
      // (x, w) -> y
      {Kernel::Matmul, "matmul", 2, 2, 1, 1, {"contracting_dims"}, {}},
      // (dy, w) -> dx
      {Kernel::MatmulGradInput, "matmul_grad_input", 2, 2, 1, 1, {"output_dims"}, {}},
      // (dy, x) -> dw
      {Kernel::MatmulGradWeight, "matmul_grad_weight", 2, 2, 1, 1, {"batch_dims"}, {}},
      // (x, bias) -> y
      {Kernel::BiasAdd, "bias_add", 2, 2, 1, 1, {}, {}},
      // (dy) -> dbias
      {Kernel::BiasGrad, "bias_grad", 1, 1, 1, 1, {}, {}},
      // (x, scale[, bias]) -> y; zero_centered_gamma (0.14, optional):
      // scale by 1 + scale
      {Kernel::LayerNorm, "layer_norm", 2, 3, 1, 1, {"zero_centered_gamma"},
       {"epsilon"}, false, 1},
      // (dy, x, scale) -> (dx, dscale, dbias)
      {Kernel::LayerNormGrad, "layer_norm_grad", 3, 3, 3, 3,
       {"zero_centered_gamma"}, {"epsilon"}, false, 1},
      // (x, scale) -> y
      {Kernel::RMSNorm, "rms_norm", 2, 2, 1, 1, {}, {"epsilon"}},
      // (dy, x, scale) -> (dx, dscale)
      {Kernel::RMSNormGrad, "rms_norm_grad", 3, 3, 2, 2, {}, {"epsilon"}},
      // (x, positions) -> y
      {Kernel::RotaryEmbedding, "rotary_embedding", 2, 2, 1, 1,
       {"rotary_dims", "inverse"}, {"base"}},
      // (q, k, v) -> (out[, lse])
      {Kernel::Attention, "attention", 3, 3, 1, 2, {"causal", "rng_stream"},
       {"scale", "dropout"}},
      // (q, k, v, out, lse, dout) -> (dq, dk, dv)
      {Kernel::AttentionGrad, "attention_grad", 6, 6, 3, 3,
       {"causal", "rng_stream"}, {"scale", "dropout"}},
      // (x) -> y
      {Kernel::Gelu, "gelu", 1, 1, 1, 1, {"tanh_approximation"}, {}},
      // (x, dy) -> dx
      {Kernel::GeluGrad, "gelu_grad", 2, 2, 1, 1, {"tanh_approximation"}, {}},
      {Kernel::Silu, "silu", 1, 1, 1, 1, {}, {}},
      {Kernel::SiluGrad, "silu_grad", 2, 2, 1, 1, {}, {}},
      // (gate, up) -> y
      {Kernel::SwiGLU, "swiglu", 2, 2, 1, 1, {}, {}},
      // (gate, up, dy) -> (dgate, dup)
      {Kernel::SwiGLUGrad, "swiglu_grad", 3, 3, 2, 2, {}, {}},
      // (x) -> y
      {Kernel::Dropout, "dropout", 1, 1, 1, 1, {"rng_stream"}, {"rate"}},
      {Kernel::Add, "add", 2, 2, 1, 1, {}, {}},
      {Kernel::Copy, "copy", 1, 1, 1, 1, {}, {}},
      // (logits, labels) -> loss. Optional valid_vocab (0.14): logits at
      // vocabulary ids >= it are padding, outside the softmax (absent: none)
      {Kernel::CrossEntropy, "cross_entropy", 2, 2, 1, 1,
       {"reduction", "valid_vocab"}, {}, false, 1},
      // (logits, labels, dloss) -> dlogits (padding's gradient is 0)
      {Kernel::CrossEntropyGrad, "cross_entropy_grad", 3, 3, 1, 1,
       {"reduction", "valid_vocab"}, {}, false, 1},
      // (value) -> gradient slot (read, added to, written)
      {Kernel::AccumulateGrad, "accumulate_grad", 1, 1, 1, 1, {}, {}},
      // () -> (): every gradient slot
      {Kernel::ZeroGrads, "zero_grads", 0, 0, 0, 0, {}, {}},
      // ([plus]) -> norm: sqrt(plus + sum of squares of the gradient slots
      // of the listed parameters); no list means every trainable parameter
      // without plus, none with it (plus is then the whole sum)
      {Kernel::GradNorm, "grad_norm", 0, 1, 1, 1, {"parameters"}, {}, true},
      // (norm, max_norm) -> coefficient
      {Kernel::ClipCoefficient, "clip_coefficient", 2, 2, 1, 1, {}, {}},
      // (lr, beta1, beta2, eps, weight_decay, step, grad_scale[, norm]) ->
      // (); with a shard_axis (the parameter's optimizer_split_axis) only
      // the rank's block of the parameter and gradient slot, the moments
      // being that block's. With a main_value (mixed precision O2) the
      // update applies to the F32 main parameter (of the block) and the
      // value buffer is left alone. With the eighth operand (f16 loss
      // scaling: the gradient norm, the same on every rank) nothing is
      // written unless it is finite: a skipped step
      {Kernel::AdamW, "adamw", 7, 8, 0, 0, {"parameter"}, {}},
      // The fused kernels (tfm.bias_gelu etc., strata-tfm-fuse-elementwise).
      // With x[N, H] and bias[H] as in BiasAdd (H = the bias's element
      // count, N = the rest), the semantics of cpu/bias.h.
      //
      // (x, bias) -> y: y = gelu(x + bias) (biasGeluForward)
      {Kernel::BiasGelu, "bias_gelu", 2, 2, 1, 1, {"tanh_approximation"}, {}},
      // (x, bias, dy) -> (dx, dbias): x and bias are the forward's operands,
      // dx = dy * gelu'(x + bias), dbias = dx summed over N
      // (biasGeluBackward); dbias may be unused (frozen bias)
      {Kernel::BiasGeluGrad, "bias_gelu_grad", 3, 3, 2, 2,
       {"tanh_approximation"}, {}},
      // (x, bias, residual) -> y: y = residual + dropout(x + bias), the mask
      // of Dropout with the same rng_stream (biasDropoutResidualForward);
      // rate 0 (and rng_stream -1) is a plain bias and residual add
      {Kernel::BiasDropoutAdd, "bias_dropout_add", 3, 3, 1, 1, {"rng_stream"},
       {"rate"}},
      // (dy) -> (dx, dbias): dx = Dropout's mask of rng_stream applied to dy,
      // dbias = dx summed over N, where H is the element count of the dbias
      // buffer (biasDropoutResidualBackward); the residual's gradient is dy
      {Kernel::BiasDropoutAddGrad, "bias_dropout_add_grad", 1, 1, 2, 2,
       {"rng_stream"}, {"rate"}},
      // KV-cache inference (tfm.cache_write, tfm.cached_attention). A cache
      // is a KVCache buffer [B, T, G, D] (T positions per sequence), or
      // (version 0.14) with a block table [B, W] i32 as the last operand a
      // paged pool [M, N, G, D]: position t of row b is row t % N of block
      // table[b, t / N], T = W * N.
      //
      // (values[B,S,G,D], positions[B,S] i32[, table[B,W] i32]) -> cache:
      // the cache is read and written, cache[b, positions[b,s]] =
      // values[b,s], every position in [0, T) and every table entry used in
      // [0, M) (checked before anything is written)
      {Kernel::CacheWrite, "cache_write", 2, 3, 1, 1, {}, {}},
      // (q[B,S,H,D], key_cache[B,T,G,D], value_cache[B,T,G,E],
      //  positions[B,S] i32[, table[B,W] i32]) -> out[B,S,H,E]: query
      // (b, s) attends the cached keys t <= positions[b,s] (attentionForward
      // with queryPositions); causal is 1
      {Kernel::CachedAttention, "cached_attention", 4, 5, 1, 1, {"causal"},
       {"scale"}},
      // (x[B,S,...], index[B] i32) -> y[B,1,...]: y[b,0] = x[b,index[b]]
      {Kernel::TakePositions, "take_positions", 2, 2, 1, 1, {}, {}},
      // Partitioned programs (strata-partition). The instruction's
      // shard_axis names the mesh axis whose coordinate c selects the
      // vocabulary block [c * Vl, (c + 1) * Vl) of the local logits.
      //
      // (logits[N..., Vl], labels[N...] i32) -> stats[N..., 3]: per position
      // the block's max m, sum exp(logit - m) and the label's logit if in the
      // block, else 0 (crossEntropyShardStats)
      // (optional valid_vocab, a global id, as CrossEntropy's)
      {Kernel::VocabParallelStats, "vocab_parallel_stats", 2, 2, 1, 1,
       {"valid_vocab"}, {}, false, 1},
      // (gathered[N..., 3 * ranks], labels[N...] i32) -> (loss, lse[N...]):
      // the loss reduced like CrossEntropy, ignored labels (-1) counting for
      // nothing (crossEntropyCombineStats)
      {Kernel::VocabParallelLoss, "vocab_parallel_loss", 2, 2, 2, 2,
       {"reduction"}, {}},
      // (logits, labels, lse, dloss) -> dlogits: (softmax - onehot) * g for
      // the block (crossEntropyBackwardShard); may write over the logits
      {Kernel::VocabParallelCrossEntropyGrad,
       "vocab_parallel_cross_entropy_grad", 4, 4, 1, 1,
       {"reduction", "valid_vocab"}, {}, false, 1},
      // () -> sum: sum of squares of the listed parameters' gradient slots
      // (with a shard_axis: of the rank's block of each, as AdamW's)
      {Kernel::GradSquareSum, "grad_square_sum", 0, 0, 1, 1, {"parameters"},
       {}, true},
      // Collectives over the ranks that differ only along the mesh axes in
      // the bit mask |axes| (bit i = Artifact.mesh_axes[i]); reduction 0 =
      // sum, 1 = max.
      //
      // (x) -> y: y = reduction over the group of x
      {Kernel::AllReduce, "all_reduce", 1, 1, 1, 1, {"axes", "reduction"}, {}},
      // (x) -> y: the group's x concatenated along dim in group order
      {Kernel::AllGather, "all_gather", 1, 1, 1, 1, {"axes", "dim"}, {}},
      // (x) -> y: block c (the rank's coordinate) along dim of the reduction
      {Kernel::ReduceScatter, "reduce_scatter", 1, 1, 1, 1,
       {"axes", "dim", "reduction"}, {}},
      // (bucket) -> (): the listed parameters' gradient slots summed in
      // place across the group (data parallelism, once per step); small
      // slots packed into buckets through |bucket| (a GradientBucket buffer
      // of the slots' type, at least as large as the largest packed bucket
      // of gradient_buckets.h, since format 0.9)
      {Kernel::ReduceGradients, "reduce_gradients", 1, 1, 0, 0,
       {"axes", "parameters"}, {}, true},
      // (x) -> y: block c (the rank's coordinate) of x along dim; no
      // communication
      {Kernel::LocalSlice, "local_slice", 1, 1, 1, 1, {"axes", "dim"}, {}},
      // Pipeline transfers over the pp axis (bit mask |axes|) to or from the
      // rank whose coordinate is this rank's plus |offset| (modulo the
      // axis size); a Recv matches the Send with the same |tag|.
      //
      // (x) -> (): x is copied out and sent without waiting for the peer
      {Kernel::Send, "send", 1, 1, 0, 0, {"axes", "offset", "tag"}, {}},
      // () -> y: waits (bounded) for the peer's x
      {Kernel::Recv, "recv", 0, 0, 1, 1, {"axes", "offset", "tag"}, {}},
      // The distributed optimizer, over the one mesh axis of |axes| (the
      // listed parameters' optimizer_split_axis, size S); the rank with
      // coordinate c owns block c of every listed buffer seen flat (n / S
      // of its n elements).
      //
      // (bucket) -> (): each listed gradient slot summed across the group
      // into block c (the rest of the slot is left undefined); bucket as
      // ReduceGradients'
      {Kernel::ReduceScatterGradients, "reduce_scatter_gradients", 1, 1, 0, 0,
       {"axes", "parameters"}, {}, true},
      // (bucket) -> (): block c of each listed parameter's value copied to
      // every rank of the group (an all-gather in place); bucket as
      // ReduceGradients' (of the values' type)
      {Kernel::GatherParameters, "gather_parameters", 1, 1, 0, 0,
       {"axes", "parameters"}, {}, true},
      // Mixed precision (format 0.8).
      //
      // (x) -> y: y = x converted to y's dtype (same shape; F32, F64, BF16,
      // F16): exact when widening, round-to-nearest-even when narrowing
      // (beyond the range: infinities; NaN stays NaN)
      {Kernel::Cast, "cast", 1, 1, 1, 1, {}, {}},
      // () -> (): the parameter's value buffer = its main parameter rounded
      // to nearest even (F32 to BF16/F16); with a shard_axis only block c,
      // from the main parameter's block (then GatherParameters)
      {Kernel::ParamFromMain, "param_from_main", 0, 0, 0, 0, {"parameter"},
       {}},
      // (x, loss_scale) -> y: y = x / loss_scale, scalars of one dtype
      {Kernel::Unscale, "unscale", 2, 2, 1, 1, {}, {}},
      // Prompt learning (format 0.11; docs/prompt-learning.md).
      //
      // (x[P..., H], table[n, H], virtual_tokens[P...] i32) -> y: y = x but
      // the positions whose virtual row v is in [offset, offset + n), which
      // get table[v - offset]
      {Kernel::InsertVirtualTokens, "insert_virtual_tokens", 3, 3, 1, 1,
       {"offset"}, {}},
      // (dy, virtual_tokens) -> dx: dy with those positions zeroed
      {Kernel::MaskVirtualTokens, "mask_virtual_tokens", 2, 2, 1, 1,
       {"offset", "rows"}, {}},
      // (dy, virtual_tokens) -> dtable[n, H]: the positions' rows of dy
      // summed into table rows (in position order)
      {Kernel::VirtualTokenTableGrad, "virtual_token_table_grad", 2, 2, 1, 1,
       {"offset"}, {}},
      // (x) -> y = max(x, 0)
      {Kernel::Relu, "relu", 1, 1, 1, 1, {}, {}},
      // (x, dy) -> dx = dy where x > 0, else 0
      {Kernel::ReluGrad, "relu_grad", 2, 2, 1, 1, {}, {}},
      // (x) -> y = x * factor
      {Kernel::Scale, "scale", 1, 1, 1, 1, {}, {"factor"}},
      // (x[T, I], w_ih[2, 4E, I], w_hh[2, 4E, E], bias[2, 4E]) -> y[T, 2E]:
      // one bidirectional LSTM layer, gates i, f, g, o (tfm.lstm)
      {Kernel::Lstm, "lstm", 4, 4, 1, 1, {}, {}},
      // (x, w_ih, w_hh, bias, dy) -> (dx, dw_ih, dw_hh, dbias): its
      // backward, the forward recomputed in the scratch
      {Kernel::LstmGrad, "lstm_grad", 5, 5, 4, 4, {}, {}},
      // Int8 weight-only quantization (tfm.quantized_matmul,
      // tfm.quantized_embedding).
      //
      // (x[m..., k...], q[n..., k...] I8, scales[n...] F32) -> y[m..., n...]:
      // y = sum_k x * q, times scales[n...], in x's type (Matmul's layout)
      {Kernel::QuantizedMatmul, "quantized_matmul", 3, 3, 1, 1,
       {"contracting_dims"}, {}},
      // (table[V, H] I8, ids i32, scales[V] F32) -> out[ids..., H]:
      // out = scales[id] * table[id]; with a shard_axis the rank's
      // vocabulary block, ids outside it giving zero rows
      {Kernel::QuantizedEmbedding, "quantized_embedding", 3, 3, 1, 1, {}, {}},
  };
  return signatures;
}

const KernelSignature *lookupKernelSignature(artifact::Kernel kernel) {
  const auto &signatures = allKernelSignatures();
  auto index = static_cast<size_t>(kernel);
  if (index >= signatures.size())
    return nullptr;
  return &signatures[index];
}

} // namespace strata::runtime

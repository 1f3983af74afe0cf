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
      // (x, scale[, bias]) -> y
      {Kernel::LayerNorm, "layer_norm", 2, 3, 1, 1, {}, {"epsilon"}},
      // (dy, x, scale) -> (dx, dscale, dbias)
      {Kernel::LayerNormGrad, "layer_norm_grad", 3, 3, 3, 3, {}, {"epsilon"}},
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
      // (logits, labels) -> loss
      {Kernel::CrossEntropy, "cross_entropy", 2, 2, 1, 1, {"reduction"}, {}},
      // (logits, labels, dloss) -> dlogits
      {Kernel::CrossEntropyGrad, "cross_entropy_grad", 3, 3, 1, 1,
       {"reduction"}, {}},
      // (value) -> gradient slot (read, added to, written)
      {Kernel::AccumulateGrad, "accumulate_grad", 1, 1, 1, 1, {}, {}},
      // () -> (): every gradient slot
      {Kernel::ZeroGrads, "zero_grads", 0, 0, 0, 0, {}, {}},
      // () -> norm
      {Kernel::GradNorm, "grad_norm", 0, 0, 1, 1, {}, {}},
      // (norm, max_norm) -> coefficient
      {Kernel::ClipCoefficient, "clip_coefficient", 2, 2, 1, 1, {}, {}},
      // (lr, beta1, beta2, eps, weight_decay, step, grad_scale) -> ()
      {Kernel::AdamW, "adamw", 7, 7, 0, 0, {"parameter"}, {}},
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
      // is a KVCache buffer [B, T, G, D] (T positions per sequence).
      //
      // (values[B,S,G,D], positions[B,S] i32) -> cache: the cache is read
      // and written, cache[b, positions[b,s]] = values[b,s], every position
      // in [0, T) (checked before anything is written)
      {Kernel::CacheWrite, "cache_write", 2, 2, 1, 1, {}, {}},
      // (q[B,S,H,D], key_cache[B,T,G,D], value_cache[B,T,G,E],
      //  positions[B,S] i32) -> out[B,S,H,E]: query (b, s) attends the
      // cached keys t <= positions[b,s] (attentionForward with
      // queryPositions); causal is 1
      {Kernel::CachedAttention, "cached_attention", 4, 4, 1, 1, {"causal"},
       {"scale"}},
      // (x[B,S,...], index[B] i32) -> y[B,1,...]: y[b,0] = x[b,index[b]]
      {Kernel::TakePositions, "take_positions", 2, 2, 1, 1, {}, {}},
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

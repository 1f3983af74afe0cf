//===- kernel_cases.cc - one small program per kernel ---------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/conformance/kernel_cases.h"

#include "runtime/artifact/artifact_checksum.h"
#include "runtime/artifact/artifact_loader.h"

#include <flatbuffers/flatbuffers.h>

#include <cmath>

namespace strata::runtime::conformance {

using artifact::BufferCategory;
using artifact::Kernel;

namespace {

constexpr BufferCategory kIn = BufferCategory::Input;
constexpr BufferCategory kOut = BufferCategory::Output;

/// Builders that keep the case table below readable.
BufferCase in(std::string name, std::vector<int64_t> shape,
              Fill fill = Fill::Normal, double value = 0.0) {
  return {std::move(name), std::move(shape), kIn, fill, value};
}
BufferCase ids(std::string name, std::vector<int64_t> shape, int64_t range) {
  BufferCase b{std::move(name), std::move(shape), kIn, Fill::Ids,
               double(range)};
  b.integer = true;
  return b;
}
/// Labels in [0, range) with every third one ignored (-1).
BufferCase labelsWithIgnored(std::string name, std::vector<int64_t> shape,
                             int64_t range) {
  BufferCase b = ids(std::move(name), std::move(shape), range);
  b.fill = Fill::Labels;
  return b;
}
/// Positions first, first + 1, ... of each sequence.
BufferCase positions(std::string name, std::vector<int64_t> shape,
                     int64_t first = 0) {
  BufferCase b{std::move(name), std::move(shape), kIn, Fill::Positions,
               double(first)};
  b.integer = true;
  return b;
}
/// A paged cache's block table: distinct blocks of a pool of |blocks|.
BufferCase blockTable(std::string name, std::vector<int64_t> shape,
                      int64_t blocks) {
  BufferCase b{std::move(name), std::move(shape), kIn, Fill::BlockTable,
               double(blocks)};
  b.integer = true;
  return b;
}
/// Int8 weight-only quantization: an I8 weight and its F32 scales.
BufferCase int8Weight(std::string name, std::vector<int64_t> shape) {
  BufferCase b = in(std::move(name), std::move(shape), Fill::Int8);
  b.int8 = true;
  return b;
}
BufferCase scales(std::string name, std::vector<int64_t> shape) {
  BufferCase b = in(std::move(name), std::move(shape), Fill::Positive);
  b.fixedF32 = true;
  return b;
}
BufferCase out(std::string name, std::vector<int64_t> shape) {
  BufferCase b{std::move(name), std::move(shape), kOut, Fill::Zeros};
  b.checked = true;
  return b;
}
/// A transient value between the instructions of a case.
BufferCase between(std::string name, std::vector<int64_t> shape) {
  return {std::move(name), std::move(shape), BufferCategory::Activation,
          Fill::Zeros};
}
BufferCase accumulator(BufferCase b) {
  b.accumulator = true;
  return b;
}
BufferCase scalar(std::string name, double value) {
  return in(std::move(name), {}, Fill::Scalar, value);
}
/// A persistent buffer updated in place and compared after the run.
BufferCase slot(std::string name, std::vector<int64_t> shape,
                BufferCategory category, Fill fill = Fill::Normal) {
  BufferCase b{std::move(name), std::move(shape), category, fill};
  b.checked = true;
  return b;
}

KernelCase single(std::string name, Kernel kernel,
                  std::vector<BufferCase> buffers, std::vector<uint32_t> ops,
                  std::vector<uint32_t> results, std::vector<int64_t> ints = {},
                  std::vector<double> floats = {}) {
  KernelCase c;
  c.name = std::move(name);
  c.kernel = kernel;
  c.buffers = std::move(buffers);
  c.instructions.push_back({kernel, std::move(ops), std::move(results),
                            std::move(ints), std::move(floats)});
  return c;
}

/// Elementwise kernels on a [9, 13] tensor.
const std::vector<int64_t> kRows = {9, 13};

std::vector<KernelCase> makeCases() {
  std::vector<KernelCase> cases;
  auto add = [&](KernelCase c) { cases.push_back(std::move(c)); };

  // Embeddings: 13 rows of 6 (ids over two sequences of 5).
  add(single(
      "embedding", Kernel::Embedding,
      {in("table", {13, 6}), ids("ids", {2, 5}, 13), out("y", {2, 5, 6})},
      {0, 1}, {2}));
  add(single(
      "embedding_grad", Kernel::EmbeddingGrad,
      {in("dy", {2, 5, 6}), ids("ids", {2, 5}, 13), out("dtable", {13, 6})},
      {0, 1}, {2}));
  // Many repeated ids and rows wider than a GPU block (the CUDA gradient
  // sums each row's ids in order, 256 columns per block).
  add(single("embedding_grad/repeated-wide", Kernel::EmbeddingGrad,
             {in("dy", {4, 33, 300}), ids("ids", {4, 33}, 13),
              out("dtable", {13, 300})},
             {0, 1}, {2}));

  // GEMMs: odd sizes, and the per-head layouts of attention projections.
  add(single("matmul/odd", Kernel::Matmul,
             {in("x", {5, 7}), in("w", {11, 7}), out("y", {5, 11})}, {0, 1},
             {2}, {1}));
  add(single("matmul/query-heads", Kernel::Matmul,
             {in("x", {2, 3, 13}), in("w", {4, 5, 13}), out("y", {2, 3, 4, 5})},
             {0, 1}, {2}, {1}));
  add(single("matmul/output-projection", Kernel::Matmul,
             {in("x", {3, 4, 5}), in("w", {13, 4, 5}), out("y", {3, 13})},
             {0, 1}, {2}, {2}));
  add(single("matmul_grad_input", Kernel::MatmulGradInput,
             {in("dy", {5, 11}), in("w", {11, 7}), out("dx", {5, 7})}, {0, 1},
             {2}, {1}));
  add(single("matmul_grad_weight", Kernel::MatmulGradWeight,
             {in("dy", {5, 11}), in("x", {5, 7}), out("dw", {11, 7})}, {0, 1},
             {2}, {1}));

  // Int8 weight-only quantization: y = x (scales * q)^T. Decode shapes
  // (one row of x per sequence; K a multiple of 16 for the GPU's vector
  // loads, and not), and a prefill of more rows than one GPU pass or the
  // CPU's matrix-vector path takes.
  add(single("quantized_matmul/odd", Kernel::QuantizedMatmul,
             {in("x", {5, 7}), int8Weight("q", {11, 7}), scales("s", {11}),
              out("y", {5, 11})},
             {0, 1, 2}, {3}, {1}));
  add(single("quantized_matmul/decode-query-heads", Kernel::QuantizedMatmul,
             {in("x", {1, 1, 64}), int8Weight("q", {4, 5, 64}),
              scales("s", {4, 5}), out("y", {1, 1, 4, 5})},
             {0, 1, 2}, {3}, {1}));
  add(single("quantized_matmul/decode-output-projection",
             Kernel::QuantizedMatmul,
             {in("x", {2, 1, 4, 16}), int8Weight("q", {13, 4, 16}),
              scales("s", {13}), out("y", {2, 1, 13})},
             {0, 1, 2}, {3}, {2}));
  add(single("quantized_matmul/prefill", Kernel::QuantizedMatmul,
             {in("x", {3, 17, 48}), int8Weight("q", {70, 48}),
              scales("s", {70}), out("y", {3, 17, 70})},
             {0, 1, 2}, {3}, {1}));
  add(single("quantized_embedding", Kernel::QuantizedEmbedding,
             {int8Weight("table", {13, 6}), ids("ids", {2, 5}, 13),
              scales("s", {13}), out("y", {2, 5, 6})},
             {0, 1, 2}, {3}));

  // Row-wise kernels.
  add(single("bias_add", Kernel::BiasAdd,
             {in("x", kRows), in("b", {13}), out("y", kRows)}, {0, 1}, {2}));
  add(single("bias_grad", Kernel::BiasGrad, {in("dy", kRows), out("db", {13})},
             {0}, {1}));
  add(single("layer_norm", Kernel::LayerNorm,
             {in("x", {7, 19}), in("g", {19}, Fill::Positive), in("b", {19}),
              out("y", {7, 19})},
             {0, 1, 2}, {3}, {}, {1e-5}));
  add(single("layer_norm_grad", Kernel::LayerNormGrad,
             {in("dy", {7, 19}), in("x", {7, 19}),
              in("g", {19}, Fill::Positive), out("dx", {7, 19}),
              out("dg", {19}), out("db", {19})},
             {0, 1, 2}, {3, 4, 5}, {}, {1e-5}));
  // Rows wider than a GPU block and more rows than one chunk of the GPU's
  // column sums (64), without LayerNorm's bias.
  add(single("layer_norm/no-bias-wide", Kernel::LayerNorm,
             {in("x", {5, 300}), in("g", {300}, Fill::Positive),
              out("y", {5, 300})},
             {0, 1}, {2}, {}, {1e-5}));
  add(single("layer_norm_grad/tall-wide", Kernel::LayerNormGrad,
             {in("dy", {130, 260}), in("x", {130, 260}),
              in("g", {260}, Fill::Positive), out("dx", {130, 260}),
              out("dg", {260}), out("db", {260})},
             {0, 1, 2}, {3, 4, 5}, {}, {1e-5}));
  // NeMo's layernorm1p: the stored scale is w - 1, around zero.
  add(single(
      "layer_norm/zero-centered-gamma", Kernel::LayerNorm,
      {in("x", {7, 19}), in("g", {19}), in("b", {19}), out("y", {7, 19})},
      {0, 1, 2}, {3}, {1}, {1e-5}));
  add(single("layer_norm_grad/zero-centered-gamma", Kernel::LayerNormGrad,
             {in("dy", {7, 19}), in("x", {7, 19}), in("g", {19}),
              out("dx", {7, 19}), out("dg", {19}), out("db", {19})},
             {0, 1, 2}, {3, 4, 5}, {1}, {1e-5}));
  add(single(
      "rms_norm", Kernel::RMSNorm,
      {in("x", {7, 19}), in("g", {19}, Fill::Positive), out("y", {7, 19})},
      {0, 1}, {2}, {}, {1e-6}));
  add(single("rms_norm_grad", Kernel::RMSNormGrad,
             {in("dy", {7, 19}), in("x", {7, 19}),
              in("g", {19}, Fill::Positive), out("dx", {7, 19}),
              out("dg", {19})},
             {0, 1, 2}, {3, 4}, {}, {1e-6}));
  add(single("rms_norm_grad/tall-wide", Kernel::RMSNormGrad,
             {in("dy", {130, 260}), in("x", {130, 260}),
              in("g", {260}, Fill::Positive), out("dx", {130, 260}),
              out("dg", {260})},
             {0, 1, 2}, {3, 4}, {}, {1e-6}));
  add(single("rotary_embedding", Kernel::RotaryEmbedding,
             {in("x", {2, 5, 3, 8}), positions("positions", {2, 5}),
              out("y", {2, 5, 3, 8})},
             {0, 1}, {2}, {8, 0}, {10000.0}));
  add(single("rotary_embedding/partial-inverse", Kernel::RotaryEmbedding,
             {in("x", {2, 5, 3, 8}), positions("positions", {2, 5}),
              out("y", {2, 5, 3, 8})},
             {0, 1}, {2}, {6, 1}, {500.0}));

  // Attention: 4 query heads over 2 key/value groups, head_dim 6, value
  // dim 5, 7 positions, causal.
  const double scale = 1.0 / std::sqrt(6.0);
  add(single("attention/gqa-causal", Kernel::Attention,
             {in("q", {2, 7, 4, 6}), in("k", {2, 7, 2, 6}),
              in("v", {2, 7, 2, 5}), out("out", {2, 7, 4, 5}),
              accumulator(out("lse", {2, 4, 7}))},
             {0, 1, 2}, {3, 4}, {1, -1}, {scale, 0.0}));
  {
    KernelCase c = single("attention/dropout", Kernel::Attention,
                          {in("q", {2, 7, 4, 6}), in("k", {2, 7, 2, 6}),
                           in("v", {2, 7, 2, 5}), out("out", {2, 7, 4, 5}),
                           accumulator(out("lse", {2, 4, 7}))},
                          {0, 1, 2}, {3, 4}, {1, 0}, {scale, 0.2});
    c.dropout = true;
    add(std::move(c));
  }
  {
    // The backward reads its forward's output and log-sum-exp.
    KernelCase c;
    c.name = "attention_grad/gqa-causal-dropout";
    c.kernel = Kernel::AttentionGrad;
    c.dropout = true;
    c.buffers = {in("q", {2, 7, 4, 6}),
                 in("k", {2, 7, 2, 6}),
                 in("v", {2, 7, 2, 5}),
                 between("out", {2, 7, 4, 5}),
                 accumulator(between("lse", {2, 4, 7})),
                 in("dout", {2, 7, 4, 5}),
                 out("dq", {2, 7, 4, 6}),
                 out("dk", {2, 7, 2, 6}),
                 out("dv", {2, 7, 2, 5})};
    c.instructions = {
        {Kernel::Attention, {0, 1, 2}, {3, 4}, {1, 0}, {scale, 0.2}},
        {Kernel::AttentionGrad,
         {0, 1, 2, 3, 4, 5},
         {6, 7, 8},
         {1, 0},
         {scale, 0.2}}};
    add(std::move(c));
  }

  // Longer rows: several tiles of keys (and of queries in the backward),
  // head and value dims above a GPU warp's 32 lanes, multi-query attention
  // (one group), fewer queries than keys (bottom-right causal alignment),
  // and a forward whose log-sum-exp is not a result (scratch).
  add(single("attention/long-mqa", Kernel::Attention,
             {in("q", {1, 70, 2, 40}), in("k", {1, 70, 1, 40}),
              in("v", {1, 70, 1, 72}), out("out", {1, 70, 2, 72})},
             {0, 1, 2}, {3}, {0, -1}, {1.0 / std::sqrt(40.0), 0.0}));
  {
    KernelCase c;
    c.name = "attention_grad/long-causal-dropout";
    c.kernel = Kernel::AttentionGrad;
    c.dropout = true;
    c.buffers = {in("q", {1, 37, 2, 40}),
                 in("k", {1, 70, 1, 40}),
                 in("v", {1, 70, 1, 72}),
                 between("out", {1, 37, 2, 72}),
                 accumulator(between("lse", {1, 2, 37})),
                 in("dout", {1, 37, 2, 72}),
                 out("dq", {1, 37, 2, 40}),
                 out("dk", {1, 70, 1, 40}),
                 out("dv", {1, 70, 1, 72})};
    const double longScale = 1.0 / std::sqrt(40.0);
    c.instructions = {
        {Kernel::Attention, {0, 1, 2}, {3, 4}, {1, 0}, {longScale, 0.1}},
        {Kernel::AttentionGrad,
         {0, 1, 2, 3, 4, 5},
         {6, 7, 8},
         {1, 0},
         {longScale, 0.1}}};
    add(std::move(c));
  }

  // The CUDA backend's tensor-core kernels (16-bit, head_dim = value_dim =
  // 64 or 128; kernels/flash_attention.h): 4 query heads per key/value
  // group, lengths around their tiles of 64 rows (1, 17, 100, 130), fewer
  // queries than keys (one query: decoding's shape), with and without
  // dropout, one not causal.
  // f32 and the other shapes run the warp-per-row kernels, also on a GPU.
  const std::vector<std::pair<std::string, AttentionSizes>> tensorCoreCases =
      {{"d64-s100-gqa", {1, 100, 100, 8, 2, 64, true, 0.0}},
       {"d64-s100-gqa-dropout", {1, 100, 100, 8, 2, 64, true, 0.1}},
       {"d128-s130-dropout", {1, 130, 130, 4, 1, 128, true, 0.1}},
       {"d128-s130", {1, 130, 130, 4, 1, 128, true, 0.0}},
       {"d128-s17-full-dropout", {1, 17, 17, 4, 1, 128, false, 0.2}},
       {"d64-s37-t100-dropout", {1, 37, 100, 4, 1, 64, true, 0.1}},
       {"d64-s1-t17", {2, 1, 17, 4, 1, 64, true, 0.0}}};
  for (const auto &[variant, sizes] : tensorCoreCases) {
    add(attentionCase("attention/tc-" + variant, sizes, false));
    add(attentionCase("attention_grad/tc-" + variant, sizes, true));
  }
  // One query and one key: no backward (its dq and dk are exactly 0, so
  // there is no relative error to measure).
  add(attentionCase("attention/tc-d64-s1", {2, 1, 1, 4, 1, 64, true, 0.0},
                    false));

  // Elementwise kernels.
  for (int64_t tanh : {0, 1}) {
    const std::string variant = tanh ? "/tanh" : "/erf";
    add(single("gelu" + variant, Kernel::Gelu,
               {in("x", kRows), out("y", kRows)}, {0}, {1}, {tanh}));
    add(single("gelu_grad" + variant, Kernel::GeluGrad,
               {in("x", kRows), in("dy", kRows), out("dx", kRows)}, {0, 1}, {2},
               {tanh}));
  }
  add(single("silu", Kernel::Silu, {in("x", kRows), out("y", kRows)}, {0},
             {1}));
  add(single("relu", Kernel::Relu, {in("x", kRows), out("y", kRows)}, {0},
             {1}));
  add(single("relu_grad", Kernel::ReluGrad,
             {in("x", kRows), in("dy", kRows), out("dx", kRows)}, {0, 1}, {2}));
  add(single("scale", Kernel::Scale, {in("x", kRows), out("y", kRows)}, {0},
             {1}, {}, {0.375}));

  // A task's virtual tokens: global virtual rows [4, 9) of ids in [0, 12)
  // (other tasks' rows) with every third position a real token (-1).
  add(single("insert_virtual_tokens", Kernel::InsertVirtualTokens,
             {in("x", {3, 7, 10}), in("table", {5, 10}),
              labelsWithIgnored("virtual_tokens", {3, 7}, 12),
              out("y", {3, 7, 10})},
             {0, 1, 2}, {3}, {4}));
  add(single("mask_virtual_tokens", Kernel::MaskVirtualTokens,
             {in("dy", {3, 7, 10}),
              labelsWithIgnored("virtual_tokens", {3, 7}, 12),
              out("dx", {3, 7, 10})},
             {0, 1}, {2}, {4, 5}));
  // p-tuning's LSTM: 5 steps of 6 features, 3 units per direction.
  add(single("lstm", Kernel::Lstm,
             {in("x", {5, 6}), in("w_ih", {2, 12, 6}), in("w_hh", {2, 12, 3}),
              in("bias", {2, 12}), out("y", {5, 6})},
             {0, 1, 2, 3}, {4}));
  add(single("lstm_grad", Kernel::LstmGrad,
             {in("x", {5, 6}), in("w_ih", {2, 12, 6}), in("w_hh", {2, 12, 3}),
              in("bias", {2, 12}), in("dy", {5, 6}), out("dx", {5, 6}),
              out("dw_ih", {2, 12, 6}), out("dw_hh", {2, 12, 3}),
              out("dbias", {2, 12})},
             {0, 1, 2, 3, 4}, {5, 6, 7, 8}));
  add(single("virtual_token_table_grad", Kernel::VirtualTokenTableGrad,
             {in("dy", {3, 7, 10}),
              labelsWithIgnored("virtual_tokens", {3, 7}, 12),
              out("dtable", {5, 10})},
             {0, 1}, {2}, {4}));
  add(single("silu_grad", Kernel::SiluGrad,
             {in("x", kRows), in("dy", kRows), out("dx", kRows)}, {0, 1}, {2}));
  add(single("swiglu", Kernel::SwiGLU,
             {in("gate", kRows), in("up", kRows), out("y", kRows)}, {0, 1},
             {2}));
  add(single("swiglu_grad", Kernel::SwiGLUGrad,
             {in("gate", kRows), in("up", kRows), in("dy", kRows),
              out("dgate", kRows), out("dup", kRows)},
             {0, 1, 2}, {3, 4}));
  {
    KernelCase c =
        single("dropout", Kernel::Dropout, {in("x", kRows), out("y", kRows)},
               {0}, {1}, {0}, {0.3});
    c.dropout = true;
    add(std::move(c));
  }
  add(single("add", Kernel::Add,
             {in("a", kRows), in("b", kRows), out("y", kRows)}, {0, 1}, {2}));
  add(single("copy", Kernel::Copy, {in("x", kRows), out("y", kRows)}, {0},
             {1}));
  add(single(
      "accumulate_grad", Kernel::AccumulateGrad,
      {in("value", kRows), slot("grad", kRows, BufferCategory::Gradient)}, {0},
      {1}));

  // Fused elementwise kernels.
  add(single("bias_gelu", Kernel::BiasGelu,
             {in("x", kRows), in("b", {13}), out("y", kRows)}, {0, 1}, {2},
             {1}));
  add(single("bias_gelu_grad", Kernel::BiasGeluGrad,
             {in("x", kRows), in("b", {13}), in("dy", kRows), out("dx", kRows),
              out("db", {13})},
             {0, 1, 2}, {3, 4}, {1}));
  add(single("bias_gelu_grad/tall", Kernel::BiasGeluGrad,
             {in("x", {130, 37}), in("b", {37}), in("dy", {130, 37}),
              out("dx", {130, 37}), out("db", {37})},
             {0, 1, 2}, {3, 4}, {0}));
  {
    KernelCase c = single(
        "bias_dropout_add", Kernel::BiasDropoutAdd,
        {in("x", kRows), in("b", {13}), in("residual", kRows), out("y", kRows)},
        {0, 1, 2}, {3}, {0}, {0.2});
    c.dropout = true;
    add(std::move(c));
  }
  {
    KernelCase c = single("bias_dropout_add_grad", Kernel::BiasDropoutAddGrad,
                          {in("dy", kRows), out("dx", kRows), out("db", {13})},
                          {0}, {1, 2}, {0}, {0.2});
    c.dropout = true;
    add(std::move(c));
  }

  // Cross-entropy over a vocabulary of 37.
  add(single("cross_entropy/mean", Kernel::CrossEntropy,
             {in("logits", {6, 37}), ids("labels", {6}, 37),
              accumulator(out("loss", {}))},
             {0, 1}, {2}, {1}));
  add(single("cross_entropy/none", Kernel::CrossEntropy,
             {in("logits", {2, 3, 37}), ids("labels", {2, 3}, 37),
              accumulator(out("loss", {2, 3}))},
             {0, 1}, {2}, {0}));
  add(single("cross_entropy_grad", Kernel::CrossEntropyGrad,
             {in("logits", {6, 37}), ids("labels", {6}, 37),
              accumulator(scalar("dloss", 0.75)), out("dlogits", {6, 37})},
             {0, 1, 2}, {3}, {1}));
  // Ignored labels (-1): padding and answer-only losses.
  add(single("cross_entropy/mean/ignored", Kernel::CrossEntropy,
             {in("logits", {6, 37}), labelsWithIgnored("labels", {6}, 37),
              accumulator(out("loss", {}))},
             {0, 1}, {2}, {1}));
  add(single("cross_entropy/none/ignored", Kernel::CrossEntropy,
             {in("logits", {2, 3, 37}), labelsWithIgnored("labels", {2, 3}, 37),
              accumulator(out("loss", {2, 3}))},
             {0, 1}, {2}, {0}));
  add(single("cross_entropy_grad/ignored", Kernel::CrossEntropyGrad,
             {in("logits", {6, 37}), labelsWithIgnored("labels", {6}, 37),
              accumulator(scalar("dloss", 0.75)), out("dlogits", {6, 37})},
             {0, 1, 2}, {3}, {1}));
  // A padded vocabulary (valid_vocab 29 of 37): columns 29..36 are outside
  // the softmax and their gradient is 0; labels stay below 29.
  add(single("cross_entropy/mean/padded", Kernel::CrossEntropy,
             {in("logits", {6, 37}), labelsWithIgnored("labels", {6}, 29),
              accumulator(out("loss", {}))},
             {0, 1}, {2}, {1, 29}));
  add(single("cross_entropy/none/padded", Kernel::CrossEntropy,
             {in("logits", {2, 3, 37}), ids("labels", {2, 3}, 29),
              accumulator(out("loss", {2, 3}))},
             {0, 1}, {2}, {0, 29}));
  add(single("cross_entropy_grad/padded", Kernel::CrossEntropyGrad,
             {in("logits", {6, 37}), labelsWithIgnored("labels", {6}, 29),
              accumulator(scalar("dloss", 0.75)), out("dlogits", {6, 37})},
             {0, 1, 2}, {3}, {1, 29}));

  // KV-cache inference: three tokens per sequence written at positions
  // 0..2 of caches of 8, then attended by 4 query heads over 2 groups.
  {
    KernelCase c;
    c.name = "cached_attention";
    c.kernel = Kernel::CachedAttention;
    c.buffers = {
        slot("key_cache", {2, 8, 2, 6}, BufferCategory::KVCache, Fill::Zeros),
        slot("value_cache", {2, 8, 2, 6}, BufferCategory::KVCache, Fill::Zeros),
        in("k", {2, 3, 2, 6}),
        in("v", {2, 3, 2, 6}),
        positions("positions", {2, 3}),
        in("q", {2, 3, 4, 6}),
        out("out", {2, 3, 4, 6})};
    c.instructions = {
        {Kernel::CacheWrite, {2, 4}, {0}},
        {Kernel::CacheWrite, {3, 4}, {1}},
        {Kernel::CachedAttention, {5, 0, 1, 4}, {6}, {1}, {scale}}};
    add(c);
    c.name = "cache_write";
    c.kernel = Kernel::CacheWrite;
    add(std::move(c));
  }
  // Decoding late in filled caches of 40 (two queries per sequence at
  // positions 35 and 36: keys in two tiles of a GPU warp), value dim 5.
  add(single("cached_attention/late-positions", Kernel::CachedAttention,
             {in("q", {2, 2, 4, 6}),
              slot("key_cache", {2, 40, 2, 6}, BufferCategory::KVCache),
              slot("value_cache", {2, 40, 2, 5}, BufferCategory::KVCache),
              positions("positions", {2, 2}, 35), out("out", {2, 2, 4, 5})},
             {0, 1, 2, 3}, {4}, {1}, {scale}));
  // Paged caches: pools of 11 blocks of 5 positions, 4 table entries per
  // sequence (in shuffled order); 7 tokens per sequence written at
  // positions 0..6 (across a block boundary) and attended by 4 query heads
  // over 2 groups. The spare blocks keep their values.
  {
    KernelCase c;
    c.name = "cached_attention/paged";
    c.kernel = Kernel::CachedAttention;
    c.buffers = {
        slot("key_cache", {11, 5, 2, 6}, BufferCategory::KVCache),
        slot("value_cache", {11, 5, 2, 6}, BufferCategory::KVCache),
        in("k", {2, 7, 2, 6}),
        in("v", {2, 7, 2, 6}),
        positions("positions", {2, 7}),
        blockTable("block_table", {2, 4}, 11),
        in("q", {2, 7, 4, 6}),
        out("out", {2, 7, 4, 6})};
    c.instructions = {
        {Kernel::CacheWrite, {2, 4, 5}, {0}},
        {Kernel::CacheWrite, {3, 4, 5}, {1}},
        {Kernel::CachedAttention, {6, 0, 1, 4, 5}, {7}, {1}, {scale}}};
    add(c);
    c.name = "cache_write/paged";
    c.kernel = Kernel::CacheWrite;
    add(std::move(c));
  }
  // Decoding late in filled paged caches (positions 17 and 18 of 20: keys
  // in all four blocks of a row, two warp tiles), value dim 5.
  add(single("cached_attention/paged-late-positions", Kernel::CachedAttention,
             {in("q", {2, 2, 4, 6}),
              slot("key_cache", {9, 5, 2, 6}, BufferCategory::KVCache),
              slot("value_cache", {9, 5, 2, 5}, BufferCategory::KVCache),
              positions("positions", {2, 2}, 17),
              blockTable("block_table", {2, 4}, 9),
              out("out", {2, 2, 4, 5})},
             {0, 1, 2, 3, 4}, {5}, {1}, {scale}));
  // Mixed precision: casts both ways, the loss-scale division, and the O2
  // step (AdamW on the F32 main parameter, the BF16/F16 parameter its
  // rounding), with and without an overflow that skips it.
  {
    BufferCase x = in("x", kRows), y = out("y", kRows);
    x.fixedF32 = true;
    add(single("cast/narrow", Kernel::Cast, {x, y}, {0}, {1}));
    x = in("x", kRows);
    y.fixedF32 = true;
    add(single("cast/widen", Kernel::Cast, {x, y}, {0}, {1}));
  }
  {
    KernelCase c = single("unscale", Kernel::Unscale,
             {scalar("norm", 3.0), scalar("loss_scale", 1024.0), out("y", {})},
             {0, 1}, {2});
    c.wideOnly = true;
    add(std::move(c));
  }
  for (double norm : {2.0, double(INFINITY)}) {
    KernelCase c;
    c.name =
        std::isfinite(norm) ? "param_from_main" : "param_from_main/overflow";
    c.kernel = Kernel::ParamFromMain;
    c.mixedMain = true;
    BufferCase main = accumulator(
        slot("w.main", {5, 7}, BufferCategory::MainParameter, Fill::SameAs));
    main.compareWith = 0;
    c.buffers = {
        slot("w", {5, 7}, BufferCategory::Parameter),
        accumulator(slot("w.grad", {5, 7}, BufferCategory::Gradient)),
        accumulator(slot("w.m", {5, 7}, BufferCategory::OptimizerState)),
        accumulator(slot("w.v", {5, 7}, BufferCategory::OptimizerState,
                         Fill::Positive)),
        main};
    const double hyper[8] = {1e-2, 0.9, 0.95, 1e-8, 0.1, 3, 0.5, norm};
    const char *names[8] = {"lr",           "beta1", "beta2",      "eps",
                            "weight_decay", "step",  "grad_scale", "norm"};
    for (int i = 0; i < 8; ++i)
      c.buffers.push_back(accumulator(scalar(names[i], hyper[i])));
    c.parameters = {{"w", 0, 1, 2, 3, true, 4}};
    c.instructions = {{Kernel::AdamW, {5, 6, 7, 8, 9, 10, 11, 12}, {}, {0}},
                      {Kernel::ParamFromMain, {}, {}, {0}}};
    add(std::move(c));
  }
  add(single("take_positions", Kernel::TakePositions,
             {in("x", {3, 5, 7}), ids("index", {3}, 5), out("y", {3, 1, 7})},
             {0, 1}, {2}));

  // The vocabulary-parallel cross-entropy, on a tensor-parallel axis of one
  // rank: statistics, their combination, the gradient; then with ignored
  // labels, then over a padded vocabulary (valid_vocab 29 of 37).
  for (const char *variant : {"", "/ignored", "/padded"}) {
    const std::string suffix = variant;
    const bool ignored = suffix == "/ignored", padded = suffix == "/padded";
    const int64_t labelBound = padded ? 29 : 37;
    const std::vector<int64_t> valid =
        padded ? std::vector<int64_t>{29} : std::vector<int64_t>{};
    auto withValid = [&](std::vector<int64_t> ints) {
      ints.insert(ints.end(), valid.begin(), valid.end());
      return ints;
    };
    KernelCase c;
    c.name = "vocab_parallel" + suffix;
    c.kernel = Kernel::VocabParallelStats;
    c.meshAxes = {"tp"};
    c.buffers = {in("logits", {6, 37}),
                 ignored || padded ? labelsWithIgnored("labels", {6}, labelBound)
                                   : ids("labels", {6}, labelBound),
                 accumulator(out("stats", {6, 3})),
                 accumulator(out("loss", {})),
                 accumulator(out("lse", {6})),
                 accumulator(scalar("dloss", 0.5)),
                 out("dlogits", {6, 37})};
    c.instructions = {
        {Kernel::VocabParallelStats, {0, 1}, {2}, withValid({}), {}, 0},
        {Kernel::VocabParallelLoss, {2, 1}, {3, 4}, {1}},
        {Kernel::VocabParallelCrossEntropyGrad, {0, 1, 4, 5}, {6},
         withValid({1}), {}, 0}};
    add(c);
    c.name = "vocab_parallel_loss" + suffix;
    c.kernel = Kernel::VocabParallelLoss;
    add(c);
    c.name = "vocab_parallel_cross_entropy_grad" + suffix;
    c.kernel = Kernel::VocabParallelCrossEntropyGrad;
    add(std::move(c));
  }

  // The optimizer: two trainable parameters (4 x 6 and 9) with their slots.
  auto optimizerCase = [](std::string name, Kernel kernel) {
    KernelCase c;
    c.name = std::move(name);
    c.kernel = kernel;
    c.buffers = {
        slot("w", {4, 6}, BufferCategory::Parameter),
        slot("w.grad", {4, 6}, BufferCategory::Gradient),
        slot("w.m", {4, 6}, BufferCategory::OptimizerState),
        slot("w.v", {4, 6}, BufferCategory::OptimizerState, Fill::Positive),
        slot("b", {9}, BufferCategory::Parameter),
        slot("b.grad", {9}, BufferCategory::Gradient),
        slot("b.m", {9}, BufferCategory::OptimizerState),
        slot("b.v", {9}, BufferCategory::OptimizerState, Fill::Positive)};
    c.parameters = {{"w", 0, 1, 2, 3, true}, {"b", 4, 5, 6, 7, false}};
    c.wideOnly = true;
    return c;
  };
  {
    KernelCase c = optimizerCase("zero_grads", Kernel::ZeroGrads);
    c.instructions = {{Kernel::ZeroGrads, {}, {}}};
    add(std::move(c));
  }
  {
    KernelCase c = optimizerCase("grad_norm", Kernel::GradNorm);
    c.buffers.push_back(out("norm", {}));
    c.instructions = {{Kernel::GradNorm, {}, {8}}};
    add(std::move(c));
  }
  {
    KernelCase c = optimizerCase("grad_norm/listed-plus", Kernel::GradNorm);
    c.buffers.push_back(scalar("plus", 2.5));
    c.buffers.push_back(out("norm", {}));
    c.instructions = {{Kernel::GradNorm, {8}, {9}, {1}}};
    add(std::move(c));
  }
  {
    KernelCase c = optimizerCase("grad_square_sum", Kernel::GradSquareSum);
    c.buffers.push_back(out("squares", {}));
    c.instructions = {{Kernel::GradSquareSum, {}, {8}, {0, 1}}};
    add(std::move(c));
  }
  {
    KernelCase c = single("clip_coefficient", Kernel::ClipCoefficient,
             {scalar("norm", 3.0), scalar("max_norm", 1.0), out("c", {})},
             {0, 1}, {2});
    c.wideOnly = true;
    add(std::move(c));
  }
  {
    KernelCase c = optimizerCase("adamw", Kernel::AdamW);
    const double hyper[7] = {1e-2, 0.9, 0.95, 1e-8, 0.1, 3, 0.5};
    const char *names[7] = {"lr",           "beta1", "beta2",     "eps",
                            "weight_decay", "step",  "grad_scale"};
    for (int i = 0; i < 7; ++i)
      c.buffers.push_back(scalar(names[i], hyper[i]));
    c.instructions = {{Kernel::AdamW, {8, 9, 10, 11, 12, 13, 14}, {}, {0}},
                      {Kernel::AdamW, {8, 9, 10, 11, 12, 13, 14}, {}, {1}}};
    add(std::move(c));
  }
  return cases;
}

bool isSixteenBit(DType dtype) {
  return dtype == DType::BF16 || dtype == DType::F16;
}

artifact::DType toArtifactDType(DType dtype) {
  switch (dtype) {
  case DType::F64:
    return artifact::DType::F64;
  case DType::BF16:
    return artifact::DType::BF16;
  case DType::F16:
    return artifact::DType::F16;
  case DType::I32:
    return artifact::DType::I32;
  case DType::I64:
    return artifact::DType::I64;
  case DType::I8:
    return artifact::DType::I8;
  default:
    return artifact::DType::F32;
  }
}

} // namespace

/// Attention, or its backward after its forward, on q[B,S,H,D],
/// k[B,T,G,D], v[B,T,G,D] with scale 1/sqrt(D).
KernelCase attentionCase(std::string name, const AttentionSizes &z,
                         bool backward) {
  const int64_t B = z.batch, S = z.querySeq, T = z.keySeq, H = z.heads,
                G = z.groups, D = z.dim;
  const std::vector<int64_t> ints = {z.causal ? 1 : 0,
                                     z.dropout > 0.0 ? 0 : -1};
  const std::vector<double> floats = {1.0 / std::sqrt(double(D)), z.dropout};
  KernelCase c;
  c.name = std::move(name);
  c.dropout = z.dropout > 0.0;
  if (!backward) {
    c.kernel = Kernel::Attention;
    c.buffers = {in("q", {B, S, H, D}), in("k", {B, T, G, D}),
                 in("v", {B, T, G, D}), out("out", {B, S, H, D}),
                 accumulator(out("lse", {B, H, S}))};
    c.instructions = {{Kernel::Attention, {0, 1, 2}, {3, 4}, ints, floats}};
    return c;
  }
  c.kernel = Kernel::AttentionGrad;
  c.buffers = {in("q", {B, S, H, D}),
               in("k", {B, T, G, D}),
               in("v", {B, T, G, D}),
               between("out", {B, S, H, D}),
               accumulator(between("lse", {B, H, S})),
               in("dout", {B, S, H, D}),
               out("dq", {B, S, H, D}),
               out("dk", {B, T, G, D}),
               out("dv", {B, T, G, D})};
  c.instructions = {
      {Kernel::Attention, {0, 1, 2}, {3, 4}, ints, floats},
      {Kernel::AttentionGrad, {0, 1, 2, 3, 4, 5}, {6, 7, 8}, ints, floats}};
  return c;
}

KernelCase gemmCase(Kernel kernel, int64_t m, int64_t n, int64_t k) {
  const std::string size = std::to_string(m) + "x" + std::to_string(n) + "x" +
                           std::to_string(k);
  switch (kernel) {
  case Kernel::MatmulGradInput: // dx[m, k] = dy[m, n] w[n, k]
    return single("matmul_grad_input/" + size, kernel,
                  {in("dy", {m, n}), in("w", {n, k}), out("dx", {m, k})},
                  {0, 1}, {2}, {1});
  case Kernel::MatmulGradWeight: // dw[n, k] = dy[m, n]^T x[m, k]
    return single("matmul_grad_weight/" + size, kernel,
                  {in("dy", {m, n}), in("x", {m, k}), out("dw", {n, k})},
                  {0, 1}, {2}, {1});
  default: // y[m, n] = x[m, k] w[n, k]^T
    return single("matmul/" + size, Kernel::Matmul,
                  {in("x", {m, k}), in("w", {n, k}), out("y", {m, n})}, {0, 1},
                  {2}, {1});
  }
}

KernelCase crossEntropyCase(int64_t rows, int64_t vocab, bool backward) {
  const std::string size = std::to_string(rows) + "x" + std::to_string(vocab);
  if (!backward)
    return single("cross_entropy/" + size, Kernel::CrossEntropy,
                  {in("logits", {rows, vocab}), ids("labels", {rows}, vocab),
                   accumulator(out("loss", {}))},
                  {0, 1}, {2}, {1});
  return single("cross_entropy_grad/" + size, Kernel::CrossEntropyGrad,
                {in("logits", {rows, vocab}), ids("labels", {rows}, vocab),
                 accumulator(scalar("dloss", 1.0)),
                 out("dlogits", {rows, vocab})},
                {0, 1, 2}, {3}, {1});
}

KernelCase addCase(int64_t count) {
  return single("add/" + std::to_string(count), Kernel::Add,
                {in("a", {count}), in("b", {count}), out("y", {count})},
                {0, 1}, {2});
}

const std::vector<KernelCase> &allKernelCases() {
  static const std::vector<KernelCase> cases = makeCases();
  return cases;
}

std::vector<uint8_t> buildCaseArtifact(const KernelCase &c, DType dtype,
                                       const std::string &target) {
  namespace fb = artifact;
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers;
  std::vector<uint32_t> arguments, results;
  uint64_t offset = 0;
  for (uint32_t i = 0; i < c.buffers.size(); ++i) {
    const BufferCase &buffer = c.buffers[i];
    const DType type = buffer.integer                              ? DType::I32
                       : buffer.int8                               ? DType::I8
                       : buffer.fixedF32                           ? DType::F32
                       : buffer.accumulator && isSixteenBit(dtype) ? DType::F32
                                                                   : dtype;
    int64_t elements = 1;
    for (int64_t d : buffer.shape)
      elements *= d;
    const uint64_t bytes = uint64_t(elements) * dtypeSize(type);
    buffers.push_back(fb::CreateBufferDirect(
        b, buffer.name.c_str(), buffer.category, toArtifactDType(type),
        &buffer.shape, offset, bytes));
    offset += (bytes + kArtifactBufferAlignment - 1) /
              kArtifactBufferAlignment * kArtifactBufferAlignment;
    if (buffer.category == BufferCategory::Input)
      arguments.push_back(i);
    if (buffer.category == BufferCategory::Output)
      results.push_back(i);
  }
  // The F64 reference of an O2 case updates the parameter itself.
  const bool withMain = c.mixedMain && isSixteenBit(dtype);
  std::vector<flatbuffers::Offset<fb::Instruction>> instructions;
  for (const InstructionCase &instruction : c.instructions)
    if (withMain || instruction.kernel != Kernel::ParamFromMain)
      instructions.push_back(fb::CreateInstructionDirect(
          b, instruction.kernel, &instruction.operands, &instruction.results,
          &instruction.ints, &instruction.floats, c.name.c_str(),
          instruction.shardAxis));
  std::vector<flatbuffers::Offset<fb::Function>> functions = {
      fb::CreateFunctionDirect(b, "run", &arguments, &results, &instructions)};
  std::vector<flatbuffers::Offset<fb::Parameter>> parameters;
  for (const ParameterCase &p : c.parameters)
    parameters.push_back(fb::CreateParameterDirect(
        b, p.name.c_str(), p.value, p.grad, p.adamM, p.adamV,
        fb::InitKind::Zeros, 0.0, /*trainable=*/p.grad >= 0, p.weightDecay,
        /*global_shape=*/nullptr, -1, -1, -1, -1, withMain ? p.main : -1));
  std::vector<flatbuffers::Offset<flatbuffers::String>> meshAxes;
  std::vector<int64_t> meshShape;
  for (const std::string &axis : c.meshAxes) {
    meshAxes.push_back(b.CreateString(axis));
    meshShape.push_back(1);
  }
  const auto plan = fb::CreateMemoryPlan(b, offset);
  const auto root = fb::CreateArtifactDirect(
      b, kArtifactVersionMajor, kArtifactVersionMinor, c.name.c_str(), "", "{}",
      "{}", 1, &buffers, &parameters, &functions, plan,
      meshAxes.empty() ? nullptr : &meshAxes,
      meshShape.empty() ? nullptr : &meshShape, /*pipeline_stages=*/nullptr,
      /*pipeline_stage=*/-1, /*pipeline_chunks=*/1, target.c_str());
  fb::FinishSizePrefixedArtifactBuffer(b, root);
  std::vector<uint8_t> bytes(b.GetBufferPointer(),
                             b.GetBufferPointer() + b.GetSize());
  appendArtifactChecksum(bytes);
  return bytes;
}

} // namespace strata::runtime::conformance

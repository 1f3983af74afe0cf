//===- cpu_dispatch.cc - artifact kernels onto the CPU kernel library -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/cpu_dispatch.h"

#include "runtime/kernels/cpu/activation.h"
#include "runtime/kernels/cpu/adamw.h"
#include "runtime/kernels/cpu/attention.h"
#include "runtime/kernels/cpu/bias.h"
#include "runtime/kernels/cpu/cross_entropy.h"
#include "runtime/kernels/cpu/dropout.h"
#include "runtime/kernels/cpu/elementwise.h"
#include "runtime/kernels/cpu/embedding.h"
#include "runtime/kernels/cpu/gemm.h"
#include "runtime/kernels/cpu/layer_norm.h"
#include "runtime/kernels/cpu/rms_norm.h"
#include "runtime/kernels/cpu/rotary_embedding.h"

#include <cmath>
#include <cstring>

namespace strata::runtime {

using artifact::Kernel;

namespace {

using cpu::Transpose;

/// Typed views of one instruction's buffers.
template <typename T> class Args {
public:
  Args(const PreparedInstruction &instruction, const CpuRunContext &context)
      : i(instruction), c(context) {}

  T *in(size_t k) const { return at<T>(i.operands[k]); }
  T *out(size_t k) const { return at<T>(i.results[k]); }
  const int32_t *ids(size_t k) const { return at<int32_t>(i.operands[k]); }
  int64_t inSize(size_t k) const { return i.operands[k].elements; }
  double scalar(size_t k) const { return double(*in(k)); }
  T *scratch(size_t byteOffset = 0) const {
    return reinterpret_cast<T *>(c.scratch + byteOffset);
  }
  cpu::GeluApproximation gelu() const {
    return i.ints[0] ? cpu::GeluApproximation::kTanh
                     : cpu::GeluApproximation::kNone;
  }
  /// The drop probability to apply: 0 when dropout is off for this run.
  double dropoutRate(double rate) const { return c.dropout ? rate : 0.0; }
  uint64_t seed() const { return c.seed; }
  uint64_t rngOffset() const {
    return c.rngBase + static_cast<uint64_t>(i.rngStream);
  }
  Status withContext(Status status) const {
    return status.isOk() ? status : status.withContext(i.where);
  }
  /// The number of blocks of the instruction's split dimension and this
  /// rank's block (1 and 0 when it computes the whole dimension).
  int64_t blocks() const {
    return i.shardAxis >= 0 && c.mesh ? c.mesh->shape[i.shardAxis] : 1;
  }
  int64_t block() const {
    return i.shardAxis >= 0 && c.mesh ? c.mesh->coords[i.shardAxis] : 0;
  }
  /// Dropout of a split tensor: the mask bits of its global elements.
  cpu::MaskIndexing maskIndexing() const {
    if (i.shardDim < 0)
      return {};
    const int64_t rows = i.maskShape[i.shardDim];
    return cpu::MaskIndexing::split(i.maskShape.data(),
                                    static_cast<int>(i.maskShape.size()),
                                    static_cast<int>(i.shardDim),
                                    rows * blocks(), rows * block());
  }

private:
  template <typename U> U *at(const BufferRef &ref) const {
    return reinterpret_cast<U *>(c.arena + ref.offset);
  }
  const PreparedInstruction &i;
  const CpuRunContext &c;
};

/// The per-row loss gradient: dloss[n] (none), dloss / N (mean), dloss.
template <typename T>
void rowLossGradient(int64_t reduction, const T *dloss, int64_t N, T *rows) {
  if (reduction == 0) {
    std::memcpy(rows, dloss, sizeof(T) * N);
    return;
  }
  const T g = reduction == 1 && N > 0 ? T(double(*dloss) / double(N)) : *dloss;
  std::fill(rows, rows + N, g);
}

template <typename T>
Status crossEntropy(const PreparedInstruction &p, const Args<T> &a) {
  const int64_t N = p.dims[0], V = p.dims[1];
  STRATA_RETURN_IF_ERROR(a.withContext(cpu::validateLabels(a.ids(1), N, V)));
  const int64_t reduction = p.ints[0]; // none, mean, sum
  if (p.kernel == Kernel::CrossEntropy) {
    T *rows = reduction == 0 ? a.out(0) : a.scratch();
    cpu::crossEntropyForward<T>(a.in(0), a.ids(1), N, V, rows, nullptr);
    if (reduction != 0) {
      double total = 0.0; // in order: deterministic
      for (int64_t n = 0; n < N; ++n)
        total += double(rows[n]);
      *a.out(0) = T(reduction == 1 && N > 0 ? total / double(N) : total);
    }
    return Status::ok();
  }
  T *rows = a.scratch(), *lse = rows + N, *dloss = lse + N;
  cpu::crossEntropyForward<T>(a.in(0), a.ids(1), N, V, rows, lse);
  rowLossGradient<T>(reduction, a.in(2), N, dloss);
  cpu::crossEntropyBackward<T>(a.in(0), a.ids(1), lse, dloss, N, V, a.out(0));
  return Status::ok();
}

/// The vocabulary-parallel cross-entropy: each rank's statistics, their
/// combination after the all-gather, each rank's block of the gradient.
template <typename T>
Status vocabParallel(const PreparedInstruction &p, const Args<T> &a) {
  const int64_t N = p.dims[0];
  switch (p.kernel) {
  case Kernel::VocabParallelStats: {
    const int64_t Vl = p.dims[1];
    STRATA_RETURN_IF_ERROR(
        a.withContext(cpu::validateLabels(a.ids(1), N, Vl * a.blocks())));
    cpu::crossEntropyShardStats<T>(a.in(0), a.ids(1), N, Vl, a.block() * Vl,
                                   a.out(0));
    return Status::ok();
  }
  case Kernel::VocabParallelLoss: {
    const int64_t reduction = p.ints[0];
    T *rows = reduction == 0 ? a.out(0) : a.scratch();
    cpu::crossEntropyCombineStats<T>(a.in(0), N, p.dims[1], rows, a.out(1));
    if (reduction != 0) {
      double total = 0.0; // in order: deterministic
      for (int64_t n = 0; n < N; ++n)
        total += double(rows[n]);
      *a.out(0) = T(reduction == 1 && N > 0 ? total / double(N) : total);
    }
    return Status::ok();
  }
  default: { // VocabParallelCrossEntropyGrad
    const int64_t Vl = p.dims[1];
    STRATA_RETURN_IF_ERROR(
        a.withContext(cpu::validateLabels(a.ids(1), N, Vl * a.blocks())));
    T *dloss = a.scratch();
    rowLossGradient<T>(p.ints[0], a.in(3), N, dloss);
    cpu::crossEntropyBackwardShard<T>(a.in(0), a.ids(1), a.in(2), dloss, N, Vl,
                                      a.block() * Vl, a.out(0));
    return Status::ok();
  }
  }
}

template <typename T>
Status attention(const PreparedInstruction &p, const Args<T> &a) {
  cpu::AttentionParams params = p.attention;
  // Heads split across ranks draw the dropout mask of their global heads.
  params.maskHeads = params.queryHeads * a.blocks();
  params.maskHeadOffset = params.queryHeads * a.block();
  params.dropout = a.dropoutRate(params.dropout);
  params.seed = a.seed();
  params.offset = params.dropout > 0.0 ? a.rngOffset() : 0;
  const size_t lseBytes =
      p.kernel == Kernel::Attention && p.results.size() == 1
          ? (sizeof(T) * params.batch * params.queryHeads * params.querySeq +
             63) / 64 * 64
          : 0;
  void *workspace = a.scratch(lseBytes);
  const size_t workspaceBytes = p.scratchBytes - lseBytes;
  if (p.kernel == Kernel::Attention) {
    T *lse = p.results.size() == 2 ? a.out(1) : a.scratch();
    cpu::attentionForward<T>(params, a.in(0), a.in(1), a.in(2), a.out(0), lse,
                             workspace, workspaceBytes);
  } else {
    cpu::attentionBackward<T>(params, a.in(0), a.in(1), a.in(2), a.in(3),
                              a.in(5), a.in(4), a.out(0), a.out(1), a.out(2),
                              workspace, workspaceBytes);
  }
  return Status::ok();
}

/// Checks that each of the [B, S] |positions| indexes a cache of |length|
/// positions.
Status validateCachePositions(const int32_t *positions, int64_t B, int64_t S,
                              int64_t length) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S; ++s) {
      const int32_t position = positions[b * S + s];
      if (position < 0 || position >= length)
        return Status::invalidArgument(
            "position " + std::to_string(position) + " of sequence " +
            std::to_string(b) + " (token " + std::to_string(s) +
            " of the call) is outside the KV cache of " +
            std::to_string(length) + " positions [0, " +
            std::to_string(length) + ")");
    }
  return Status::ok();
}

/// CacheWrite: cache[b, positions[b, s]] = values[b, s], every position
/// checked before any row is written.
template <typename T>
Status cacheWrite(const PreparedInstruction &p, const Args<T> &a) {
  const int64_t B = p.dims[0], S = p.dims[1], length = p.dims[2],
                row = p.dims[3];
  const int32_t *positions = a.ids(1);
  STRATA_RETURN_IF_ERROR(
      a.withContext(validateCachePositions(positions, B, S, length)));
  const T *values = a.in(0);
  T *cache = a.out(0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S; ++s)
      std::memcpy(cache + (b * length + positions[b * S + s]) * row,
                  values + (b * S + s) * row, sizeof(T) * row);
  return Status::ok();
}

/// CachedAttention: attention of the queries over the caches, each query
/// attending the positions up to its own; the log-sum-exp goes to scratch.
template <typename T>
Status cachedAttention(const PreparedInstruction &p, const Args<T> &a) {
  cpu::AttentionParams params = p.attention;
  const int32_t *positions = a.ids(3);
  STRATA_RETURN_IF_ERROR(a.withContext(validateCachePositions(
      positions, params.batch, params.querySeq, params.keySeq)));
  params.queryPositions = positions;
  const size_t lseBytes =
      (sizeof(T) * params.batch * params.queryHeads * params.querySeq + 63) /
      64 * 64;
  cpu::attentionForward<T>(params, a.in(0), a.in(1), a.in(2), a.out(0),
                           a.scratch(), a.scratch(lseBytes),
                           p.scratchBytes - lseBytes);
  return Status::ok();
}

template <typename T>
Status optimizer(const PreparedInstruction &p, const Args<T> &a,
                 const CpuRunContext &c) {
  const auto *buffers = c.root->buffers();
  auto slot = [&](int64_t id) {
    return reinterpret_cast<T *>(c.arena + buffers->Get(id)->offset());
  };
  auto elements = [&](int64_t id) {
    return static_cast<int64_t>(buffers->Get(id)->size() / sizeof(T));
  };
  switch (p.kernel) {
  case Kernel::ZeroGrads:
    for (uint32_t id : *c.gradientSlots)
      std::memset(slot(id), 0, buffers->Get(id)->size());
    return Status::ok();
  case Kernel::GradNorm:
  case Kernel::GradSquareSum: {
    // The listed parameters' slots. GradNorm with neither a list nor a sum
    // computed elsewhere: all; with only such a sum (a pipeline stage's
    // norm, every stage's squares all-reduced over pp): none, or the
    // stage's own would count twice. With a shard axis (the distributed
    // optimizer), the rank's block of each slot.
    std::vector<const T *> tensors;
    std::vector<int64_t> sizes;
    auto add = [&](int64_t id) {
      const int64_t n = elements(id) / a.blocks();
      tensors.push_back(slot(id) + a.block() * n);
      sizes.push_back(n);
    };
    if (p.parameterList.empty() && p.kernel == Kernel::GradNorm &&
        p.operands.empty())
      for (uint32_t id : *c.gradientSlots)
        add(id);
    for (int64_t parameter : p.parameterList)
      add(c.root->parameters()->Get(uint32_t(parameter))->grad());
    double squared = cpu::globalNormSquared<T>(
        tensors.data(), sizes.data(), static_cast<int64_t>(tensors.size()));
    if (p.kernel == Kernel::GradSquareSum) {
      *a.out(0) = T(squared);
      return Status::ok();
    }
    if (!p.operands.empty()) // a sum of squares computed elsewhere
      squared += a.scalar(0);
    *a.out(0) = T(std::sqrt(squared));
    return Status::ok();
  }
  case Kernel::ClipCoefficient: {
    // A max norm <= 0 means no clipping (NeMo's gradient_clip_val: 0).
    const double maxNorm = a.scalar(1);
    *a.out(0) =
        T(maxNorm > 0.0 ? cpu::clipGradNormCoefficient(a.scalar(0), maxNorm)
                        : 1.0);
    return Status::ok();
  }
  default: { // AdamW
    const auto &parameter = *c.root->parameters()->Get(p.parameter);
    cpu::AdamWConfig config;
    config.learningRate = a.scalar(0);
    config.beta1 = a.scalar(1);
    config.beta2 = a.scalar(2);
    config.epsilon = a.scalar(3);
    config.weightDecay = a.scalar(4);
    const double step = a.scalar(5);
    const double gradScale = a.scalar(6);
    if (!(step >= 1.0))
      return Status::invalidArgument(p.where + ": AdamW step " +
                                     std::to_string(step) +
                                     " should be at least 1");
    // The distributed optimizer: the block of the parameter and gradient
    // slot the moments (n elements) belong to.
    const int64_t n = elements(parameter.adam_m());
    const int64_t offset = a.block() * n;
    T *grad = slot(parameter.grad()) + offset;
    if (gradScale != 1.0)
      cpu::scaleInPlace<T>(grad, n, T(gradScale));
    cpu::adamwStep<T>(slot(parameter.value()) + offset, grad,
                      slot(parameter.adam_m()), slot(parameter.adam_v()), n,
                      config, static_cast<int64_t>(step),
                      parameter.weight_decay());
    return Status::ok();
  }
  }
}

template <typename T>
Status run(const PreparedInstruction &p, const CpuRunContext &c) {
  const Args<T> a(p, c);
  const int64_t *d = p.dims;
  switch (p.kernel) {
  case Kernel::Embedding:
  case Kernel::EmbeddingGrad: {
    // d = {count, V, H}: V is this rank's block of a split vocabulary.
    STRATA_RETURN_IF_ERROR(
        a.withContext(cpu::validateIds(a.ids(1), d[0], d[1] * a.blocks())));
    const bool forward = p.kernel == Kernel::Embedding;
    if (p.shardAxis < 0 && forward)
      cpu::embeddingForward<T>(a.in(0), a.ids(1), d[0], d[1], d[2], a.out(0));
    else if (p.shardAxis < 0)
      cpu::embeddingBackward<T>(a.in(0), a.ids(1), d[0], d[1], d[2], a.out(0));
    else if (forward)
      cpu::embeddingForwardShard<T>(a.in(0), a.ids(1), d[0], a.block() * d[1],
                                    d[1], d[2], a.out(0));
    else
      cpu::embeddingBackwardShard<T>(a.in(0), a.ids(1), d[0],
                                     a.block() * d[1], d[1], d[2], a.out(0));
    return Status::ok();
  }
  case Kernel::Matmul: // y[M,N] = x[M,K] w[N,K]^T
    cpu::gemm<T>(Transpose::kNo, Transpose::kYes, d[0], d[1], d[2], T(1),
                 a.in(0), d[2], a.in(1), d[2], T(0), a.out(0), d[1]);
    return Status::ok();
  case Kernel::MatmulGradInput: // dx[M,K] = dy[M,N] w[N,K]
    cpu::gemm<T>(Transpose::kNo, Transpose::kNo, d[0], d[2], d[1], T(1),
                 a.in(0), d[1], a.in(1), d[2], T(0), a.out(0), d[2]);
    return Status::ok();
  case Kernel::MatmulGradWeight: // dw[N,K] = dy[M,N]^T x[M,K]
    cpu::gemm<T>(Transpose::kYes, Transpose::kNo, d[1], d[2], d[0], T(1),
                 a.in(0), d[1], a.in(1), d[2], T(0), a.out(0), d[2]);
    return Status::ok();
  case Kernel::BiasAdd:
    cpu::biasAddForward<T>(a.in(0), a.in(1), d[0], d[1], a.out(0));
    return Status::ok();
  case Kernel::BiasGrad:
    cpu::biasAddBackward<T>(a.in(0), d[0], d[1], a.out(0));
    return Status::ok();
  case Kernel::LayerNorm:
    cpu::layerNormForward<T>(a.in(0), a.in(1),
                             p.operands.size() == 3 ? a.in(2) : nullptr, d[0],
                             d[1], p.floats[0], a.out(0), nullptr, nullptr);
    return Status::ok();
  case Kernel::LayerNormGrad: {
    T *mean = a.scratch(), *rstd = mean + d[0];
    cpu::layerNormStatistics<T>(a.in(1), d[0], d[1], p.floats[0], mean, rstd);
    cpu::layerNormBackward<T>(a.in(0), a.in(1), a.in(2), mean, rstd, d[0],
                              d[1], a.out(0), a.out(1), a.out(2));
    return Status::ok();
  }
  case Kernel::RMSNorm:
    cpu::rmsNormForward<T>(a.in(0), a.in(1), d[0], d[1], p.floats[0],
                           a.out(0), nullptr);
    return Status::ok();
  case Kernel::RMSNormGrad: {
    T *rstd = a.scratch();
    cpu::rmsNormStatistics<T>(a.in(1), d[0], d[1], p.floats[0], rstd);
    cpu::rmsNormBackward<T>(a.in(0), a.in(1), a.in(2), rstd, d[0], d[1],
                            a.out(0), a.out(1));
    return Status::ok();
  }
  case Kernel::RotaryEmbedding:
    if (p.ints[1]) // inverse: the backward's rotation
      cpu::rotaryEmbeddingBackward<T>(a.in(0), a.ids(1), d[0], d[1], d[2],
                                      d[3], p.ints[0], p.floats[0], a.out(0));
    else
      cpu::rotaryEmbeddingForward<T>(a.in(0), a.ids(1), d[0], d[1], d[2], d[3],
                                     p.ints[0], p.floats[0], a.out(0));
    return Status::ok();
  case Kernel::Attention:
  case Kernel::AttentionGrad:
    return attention(p, a);
  case Kernel::Gelu:
    cpu::geluForward<T>(a.in(0), a.out(0), a.inSize(0), a.gelu());
    return Status::ok();
  case Kernel::GeluGrad:
    cpu::geluBackward<T>(a.in(0), a.in(1), a.out(0), a.inSize(0), a.gelu());
    return Status::ok();
  case Kernel::Silu:
    cpu::siluForward<T>(a.in(0), a.out(0), a.inSize(0));
    return Status::ok();
  case Kernel::SiluGrad:
    cpu::siluBackward<T>(a.in(0), a.in(1), a.out(0), a.inSize(0));
    return Status::ok();
  case Kernel::SwiGLU:
    cpu::swigluForward<T>(a.in(0), a.in(1), a.out(0), a.inSize(0));
    return Status::ok();
  case Kernel::SwiGLUGrad:
    cpu::swigluBackward<T>(a.in(0), a.in(1), a.in(2), a.out(0), a.out(1),
                           a.inSize(0));
    return Status::ok();
  case Kernel::Dropout: {
    // The backward of a dropout is the same mask on the gradient: the
    // compiler emits a dropout of the same stream for it.
    const double rate = a.dropoutRate(p.floats[0]);
    if (rate > 0.0)
      cpu::dropoutForward<T>(a.in(0), a.out(0), a.inSize(0), rate, c.seed,
                             a.rngOffset(), a.maskIndexing());
    else if (a.in(0) != a.out(0))
      std::memmove(a.out(0), a.in(0), sizeof(T) * a.inSize(0));
    return Status::ok();
  }
  case Kernel::Add:
    cpu::add<T>(a.in(0), a.in(1), a.out(0), a.inSize(0));
    return Status::ok();
  case Kernel::Copy:
    if (a.in(0) != a.out(0))
      std::memmove(a.out(0), a.in(0), sizeof(T) * a.inSize(0));
    return Status::ok();
  case Kernel::CrossEntropy:
  case Kernel::CrossEntropyGrad:
    return crossEntropy(p, a);
  case Kernel::AccumulateGrad:
    cpu::accumulate<T>(a.in(0), a.out(0), a.inSize(0));
    return Status::ok();
  case Kernel::ZeroGrads:
  case Kernel::GradNorm:
  case Kernel::GradSquareSum:
  case Kernel::ClipCoefficient:
  case Kernel::AdamW:
    return optimizer(p, a, c);
  case Kernel::VocabParallelStats:
  case Kernel::VocabParallelLoss:
  case Kernel::VocabParallelCrossEntropyGrad:
    return vocabParallel(p, a);
  case Kernel::AllReduce:
  case Kernel::AllGather:
  case Kernel::ReduceScatter:
  case Kernel::ReduceGradients:
  case Kernel::LocalSlice:
  case Kernel::Send:
  case Kernel::Recv:
  case Kernel::ReduceScatterGradients:
  case Kernel::GatherParameters:
    return Status::internal(p.where +
                            ": collectives run in the executor, not here");
  case Kernel::BiasGelu:
    cpu::biasGeluForward<T>(a.in(0), a.in(1), d[0], d[1], a.gelu(), a.out(0));
    return Status::ok();
  case Kernel::BiasGeluGrad:
    cpu::biasGeluBackward<T>(a.in(0), a.in(1), a.in(2), d[0], d[1], a.gelu(),
                             a.out(0), a.out(1));
    return Status::ok();
  case Kernel::BiasDropoutAdd:
    cpu::biasDropoutResidualForward<T>(a.in(0), a.in(1), a.in(2), d[0], d[1],
                                       a.dropoutRate(p.floats[0]), c.seed,
                                       a.rngOffset(), a.out(0),
                                       a.maskIndexing());
    return Status::ok();
  case Kernel::BiasDropoutAddGrad:
    cpu::biasDropoutResidualBackward<T>(a.in(0), d[0], d[1],
                                        a.dropoutRate(p.floats[0]), c.seed,
                                        a.rngOffset(), a.out(0), a.out(1),
                                        a.maskIndexing());
    return Status::ok();
  case Kernel::CacheWrite:
    return cacheWrite(p, a);
  case Kernel::CachedAttention:
    return cachedAttention(p, a);
  case Kernel::TakePositions: {
    const int64_t B = d[0], S = d[1], row = d[2];
    const int32_t *index = a.ids(1);
    for (int64_t b = 0; b < B; ++b)
      if (index[b] < 0 || index[b] >= S)
        return Status::invalidArgument(
            p.where + ": position " + std::to_string(index[b]) + " of row " +
            std::to_string(b) + " is outside the sequence [0, " +
            std::to_string(S) + ")");
    for (int64_t b = 0; b < B; ++b)
      std::memcpy(a.out(0) + b * row, a.in(0) + (b * S + index[b]) * row,
                  sizeof(T) * row);
    return Status::ok();
  }
  }
  return Status::internal(p.where + ": no CPU kernel");
}

} // namespace

Status runOnCpu(const PreparedInstruction &instruction,
                const CpuRunContext &context) {
  return instruction.isDouble ? run<double>(instruction, context)
                              : run<float>(instruction, context);
}

} // namespace strata::runtime

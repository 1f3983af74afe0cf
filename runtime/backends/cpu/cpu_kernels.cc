//===- cpu_kernels.cc - descriptors onto the CPU kernel library -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Each (kernel, element type) the CPU backend supports is one entry of a
// dispatch table (kDispatch below); the entry calls runtime/kernels/cpu with
// the descriptor's typed shape. Sizes were checked by the preparation; only
// values are checked here: token ids, labels and KV-cache positions before
// a kernel would index with them.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cpu/cpu_backend.h"

#include "runtime/backends/registry.h"
#include "runtime/kernels/cpu/activation.h"
#include "runtime/kernels/cpu/adamw.h"
#include "runtime/kernels/cpu/attention.h"
#include "runtime/kernels/cpu/bias.h"
#include "runtime/kernels/cpu/cross_entropy.h"
#include "runtime/kernels/cpu/dropout.h"
#include "runtime/kernels/cpu/element_type.h"
#include "runtime/kernels/cpu/elementwise.h"
#include "runtime/kernels/cpu/embedding.h"
#include "runtime/kernels/cpu/gemm.h"
#include "runtime/kernels/cpu/int8_weights.h"
#include "runtime/kernels/cpu/layer_norm.h"
#include "runtime/kernels/cpu/lstm.h"
#include "runtime/kernels/cpu/mixed_precision.h"
#include "runtime/kernels/cpu/prompt_learning.h"
#include "runtime/kernels/cpu/rms_norm.h"
#include "runtime/kernels/cpu/rotary_embedding.h"

#include <omp.h>

#include <array>
#include <cmath>
#include <cstring>

namespace strata::runtime {

namespace {

using cpu::AccumulatorOf;
using cpu::bf16;
using cpu::f16;
using cpu::Transpose;

/// Typed views of one descriptor's buffers in the arena.
template <typename T> class Args {
public:
  Args(const KernelDescriptor &descriptor, const KernelRunContext &context)
      : d(descriptor), c(context) {}

  using Acc = AccumulatorOf<T>;

  T *in(size_t k) const { return at<T>(d.operands[k]); }
  T *out(size_t k) const { return at<T>(d.results[k]); }
  const int32_t *ids(size_t k) const { return at<int32_t>(d.operands[k]); }
  /// Int8 weight-only quantization: the I8 weight and its F32 scales.
  const int8_t *int8In(size_t k) const { return at<int8_t>(d.operands[k]); }
  const float *f32In(size_t k) const { return at<float>(d.operands[k]); }
  /// Values the dialect keeps in the accumulator type (a loss, a
  /// log-sum-exp, statistics: F32 in 16-bit programs, T otherwise).
  Acc *accIn(size_t k) const { return at<Acc>(d.operands[k]); }
  Acc *accOut(size_t k) const { return at<Acc>(d.results[k]); }
  T *slot(const BufferRef &ref) const { return at<T>(ref); }
  int64_t inSize(size_t k) const { return d.operands[k].elements; }
  double scalar(size_t k) const { return double(*in(k)); }
  /// The workspace, as accumulator values (per-row losses, statistics) or
  /// raw bytes for a kernel's own workspace.
  Acc *scratch(size_t byteOffset = 0) const {
    return reinterpret_cast<Acc *>(CpuDevice::host(c.workspace) + byteOffset);
  }
  cpu::GeluApproximation gelu() const {
    return d.ints[0] ? cpu::GeluApproximation::kTanh
                     : cpu::GeluApproximation::kNone;
  }
  /// The drop probability to apply: 0 when dropout is off for this run.
  double dropoutRate(double rate) const { return c.dropout ? rate : 0.0; }
  uint64_t seed() const { return c.seed; }
  uint64_t rngOffset() const {
    return c.rngBase + static_cast<uint64_t>(d.rngStream);
  }
  Status withContext(Status status) const {
    return status.isOk() ? status : status.withContext(d.where);
  }
  /// Dropout of a split tensor: the mask bits of its global elements.
  cpu::MaskIndexing maskIndexing() const {
    if (d.shardDim < 0)
      return {};
    const int64_t rows = d.maskShape[d.shardDim];
    return cpu::MaskIndexing::split(
        d.maskShape.data(), static_cast<int>(d.maskShape.size()),
        static_cast<int>(d.shardDim), rows * d.blocks, rows * d.block);
  }

private:
  template <typename U> U *at(const BufferRef &ref) const {
    return reinterpret_cast<U *>(CpuDevice::host(c.arena) + ref.offset);
  }
  const KernelDescriptor &d;
  const KernelRunContext &c;
};

/// The per-row loss gradient: dloss[n] (none), dloss / N (mean), dloss.
template <typename T>
void rowLossGradient(int64_t reduction, const T *dloss, const int32_t *labels,
                     int64_t N, T *rows) {
  if (reduction == 0) {
    std::memcpy(rows, dloss, sizeof(T) * N);
    return;
  }
  // `mean` averages over the counted rows; ignored rows get no gradient
  // whatever their dloss (the kernels write zeros there).
  const int64_t counted = cpu::countedLabels(labels, N);
  const T g = reduction == 1 && counted > 0
                  ? T(double(*dloss) / double(counted))
                  : *dloss;
  std::fill(rows, rows + N, g);
}

/// The reduced loss of |rows| per-row losses, summed in order
/// (deterministic); `mean` over the rows whose label counts.
template <typename T>
T reduceLoss(int64_t reduction, const T *rows, const int32_t *labels,
             int64_t N) {
  double total = 0.0;
  for (int64_t n = 0; n < N; ++n)
    total += double(rows[n]); // an ignored row's loss is 0
  const int64_t counted = cpu::countedLabels(labels, N);
  return T(reduction == 1 ? (counted > 0 ? total / double(counted) : 0.0)
                          : total);
}

template <typename T>
Status crossEntropy(const KernelDescriptor &p, const Args<T> &a) {
  using Acc = AccumulatorOf<T>;
  const auto &s = p.as<CrossEntropyShape>();
  const int64_t N = s.rows, V = s.vocab, valid = s.validVocab;
  // A label in the vocabulary's padding is as invalid as one past it.
  STRATA_RETURN_IF_ERROR(
      a.withContext(cpu::validateLabels(a.ids(1), N, valid)));
  if (p.kernel == Kernel::CrossEntropy) {
    Acc *rows = s.reduction == 0 ? a.accOut(0) : a.scratch();
    cpu::crossEntropyForward<T>(a.in(0), a.ids(1), N, V, rows, nullptr,
                                valid);
    if (s.reduction != 0)
      *a.accOut(0) = reduceLoss<Acc>(s.reduction, rows, a.ids(1), N);
    return Status::ok();
  }
  Acc *rows = a.scratch(), *lse = rows + N, *dloss = lse + N;
  cpu::crossEntropyForward<T>(a.in(0), a.ids(1), N, V, rows, lse, valid);
  rowLossGradient<Acc>(s.reduction, a.accIn(2), a.ids(1), N, dloss);
  cpu::crossEntropyBackward<T>(a.in(0), a.ids(1), lse, dloss, N, V, a.out(0),
                               valid);
  return Status::ok();
}

/// The vocabulary-parallel cross-entropy: each rank's statistics, their
/// combination after the all-gather, each rank's block of the gradient.
template <typename T>
Status vocabParallelStats(const KernelDescriptor &p, const Args<T> &a) {
  const auto &s = p.as<CrossEntropyShape>();
  STRATA_RETURN_IF_ERROR(
      a.withContext(cpu::validateLabels(a.ids(1), s.rows, s.validVocab)));
  cpu::crossEntropyShardStats<T>(a.in(0), a.ids(1), s.rows, s.vocab,
                                 s.vocabOffset, a.accOut(0), s.validVocab);
  return Status::ok();
}

template <typename T>
Status vocabParallelLoss(const KernelDescriptor &p, const Args<T> &a) {
  using Acc = AccumulatorOf<T>;
  const auto &s = p.as<CrossEntropyShape>();
  Acc *rows = s.reduction == 0 ? a.accOut(0) : a.scratch();
  cpu::crossEntropyCombineStats<T>(a.accIn(0), a.ids(1), s.rows, s.vocab,
                                   rows, a.accOut(1));
  if (s.reduction != 0)
    *a.accOut(0) = reduceLoss<Acc>(s.reduction, rows, a.ids(1), s.rows);
  return Status::ok();
}

template <typename T>
Status vocabParallelGrad(const KernelDescriptor &p, const Args<T> &a) {
  const auto &s = p.as<CrossEntropyShape>();
  STRATA_RETURN_IF_ERROR(
      a.withContext(cpu::validateLabels(a.ids(1), s.rows, s.validVocab)));
  AccumulatorOf<T> *dloss = a.scratch();
  rowLossGradient<AccumulatorOf<T>>(s.reduction, a.accIn(3), a.ids(1), s.rows,
                                    dloss);
  cpu::crossEntropyBackwardShard<T>(a.in(0), a.ids(1), a.accIn(2), dloss,
                                    s.rows,
                                    s.vocab, s.vocabOffset, a.out(0),
                                    s.validVocab);
  return Status::ok();
}

/// The CPU kernels' view of an attention descriptor.
cpu::AttentionParams attentionParams(const AttentionShape &s) {
  cpu::AttentionParams params{};
  params.batch = s.batch;
  params.querySeq = s.querySeq;
  params.keySeq = s.keySeq;
  params.queryHeads = s.queryHeads;
  params.kvHeads = s.kvHeads;
  params.headDim = s.headDim;
  params.valueDim = s.valueDim;
  params.scale = s.scale;
  params.causal = s.causal;
  params.dropout = s.dropout;
  params.maskHeads = s.maskHeads;
  params.maskHeadOffset = s.maskHeadOffset;
  params.keyBatchStride = s.keyBatchStride;
  params.blockSize = s.blockSize;
  params.numBlocks = s.numBlocks;
  params.tableWidth = s.tableWidth;
  return params;
}

template <typename T>
Status attention(const KernelDescriptor &p, const Args<T> &a,
                 const KernelRunContext &c) {
  const auto &s = p.as<AttentionShape>();
  cpu::AttentionParams params = attentionParams(s);
  params.dropout = a.dropoutRate(params.dropout);
  params.seed = a.seed();
  params.offset = params.dropout > 0.0 ? a.rngOffset() : 0;
  // The descriptor's scratch (a log-sum-exp nobody keeps) comes first.
  void *workspace = a.scratch(p.scratchBytes);
  const size_t workspaceBytes = c.workspaceBytes - p.scratchBytes;
  if (p.kernel == Kernel::Attention) {
    AccumulatorOf<T> *lse = s.lseIsResult ? a.accOut(1) : a.scratch();
    cpu::attentionForward<T>(params, a.in(0), a.in(1), a.in(2), a.out(0), lse,
                             workspace, workspaceBytes);
  } else {
    cpu::attentionBackward<T>(params, a.in(0), a.in(1), a.in(2), a.in(3),
                              a.in(5), a.accIn(4), a.out(0), a.out(1),
                              a.out(2),
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

/// Checks the entries of a paged cache's |table| [B, W] that a call reads:
/// for each row b, the blocks of positions [0, upTo(b)] must be in
/// [0, numBlocks). Positions are checked first (validateCachePositions).
template <typename UpTo>
Status validateBlockTable(const int32_t *table, int64_t B, int64_t W,
                          int64_t blockSize, int64_t numBlocks, UpTo upTo) {
  for (int64_t b = 0; b < B; ++b) {
    const int64_t last = upTo(b);
    for (int64_t w = 0; w <= last / blockSize && last >= 0; ++w) {
      const int32_t entry = table[b * W + w];
      if (entry < 0 || entry >= numBlocks)
        return Status::invalidArgument(
            "block table entry [" + std::to_string(b) + ", " +
            std::to_string(w) + "] = " + std::to_string(entry) +
            " (sequence " + std::to_string(b) + ", positions " +
            std::to_string(w * blockSize) + ".." +
            std::to_string(w * blockSize + blockSize - 1) +
            ", up to position " + std::to_string(last) +
            " in this call) is outside the KV cache's " +
            std::to_string(numBlocks) + " blocks [0, " +
            std::to_string(numBlocks) + ")");
    }
  }
  return Status::ok();
}

/// The largest of row |b|'s |S| positions.
int64_t lastPosition(const int32_t *positions, int64_t S, int64_t b) {
  int64_t last = -1;
  for (int64_t s = 0; s < S; ++s)
    last = std::max<int64_t>(last, positions[b * S + s]);
  return last;
}

/// CacheWrite: cache[b, positions[b, s]] = values[b, s], or through a block
/// table cache[table[b, p / N], p % N]; every position and every table
/// entry used checked before any row is written.
template <typename T>
Status cacheWrite(const KernelDescriptor &p, const Args<T> &a) {
  const auto &s = p.as<CacheShape>();
  const int32_t *positions = a.ids(1);
  STRATA_RETURN_IF_ERROR(a.withContext(
      validateCachePositions(positions, s.batch, s.seq, s.length)));
  const T *values = a.in(0);
  T *cache = a.out(0);
  if (s.blockSize > 0) {
    const int32_t *table = a.ids(2);
    const int64_t N = s.blockSize, W = s.tableWidth;
    // Only the blocks written are checked: a row's other entries may be
    // anything (unallocated).
    for (int64_t b = 0; b < s.batch; ++b)
      for (int64_t t = 0; t < s.seq; ++t) {
        const int64_t position = positions[b * s.seq + t];
        const int32_t entry = table[b * W + position / N];
        if (entry < 0 || entry >= s.numBlocks)
          return a.withContext(Status::invalidArgument(
              "block table entry [" + std::to_string(b) + ", " +
              std::to_string(position / N) + "] = " + std::to_string(entry) +
              " for position " + std::to_string(position) + " of sequence " +
              std::to_string(b) + " (token " + std::to_string(t) +
              " of the call) is outside the KV cache's " +
              std::to_string(s.numBlocks) + " blocks [0, " +
              std::to_string(s.numBlocks) + ")"));
      }
    for (int64_t b = 0; b < s.batch; ++b)
      for (int64_t t = 0; t < s.seq; ++t) {
        const int64_t position = positions[b * s.seq + t];
        const int64_t row = int64_t(table[b * W + position / N]) * N +
                            position % N;
        std::memcpy(cache + row * s.row, values + (b * s.seq + t) * s.row,
                    sizeof(T) * s.row);
      }
    return Status::ok();
  }
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t t = 0; t < s.seq; ++t)
      std::memcpy(cache + (b * s.length + positions[b * s.seq + t]) * s.row,
                  values + (b * s.seq + t) * s.row, sizeof(T) * s.row);
  return Status::ok();
}

/// CachedAttention: attention of the queries over the caches, each query
/// attending the positions up to its own; the log-sum-exp goes to scratch.
template <typename T>
Status cachedAttention(const KernelDescriptor &p, const Args<T> &a,
                       const KernelRunContext &c) {
  cpu::AttentionParams params = attentionParams(p.as<AttentionShape>());
  const int32_t *positions = a.ids(3);
  STRATA_RETURN_IF_ERROR(a.withContext(validateCachePositions(
      positions, params.batch, params.querySeq, params.keySeq)));
  if (params.blockSize > 0) {
    // Each row reads the blocks of keys [0, its largest position].
    params.blockTable = a.ids(4);
    STRATA_RETURN_IF_ERROR(a.withContext(validateBlockTable(
        params.blockTable, params.batch, params.tableWidth, params.blockSize,
        params.numBlocks, [&](int64_t b) {
          return lastPosition(positions, params.querySeq, b);
        })));
  }
  params.queryPositions = positions;
  params.dropout = 0.0;
  cpu::attentionForward<T>(params, a.in(0), a.in(1), a.in(2), a.out(0),
                           a.scratch(), a.scratch(p.scratchBytes),
                           c.workspaceBytes - p.scratchBytes);
  return Status::ok();
}

template <typename T>
Status takePositions(const KernelDescriptor &p, const Args<T> &a) {
  const auto &s = p.as<CacheShape>();
  const int32_t *index = a.ids(1);
  for (int64_t b = 0; b < s.batch; ++b)
    if (index[b] < 0 || index[b] >= s.seq)
      return Status::invalidArgument(
          p.where + ": position " + std::to_string(index[b]) + " of row " +
          std::to_string(b) + " is outside the sequence [0, " +
          std::to_string(s.seq) + ")");
  for (int64_t b = 0; b < s.batch; ++b)
    std::memcpy(a.out(0) + b * s.row, a.in(0) + (b * s.seq + index[b]) * s.row,
                sizeof(T) * s.row);
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// The optimizer: gradient slots, norms, AdamW
//===----------------------------------------------------------------------===//

template <typename T>
Status zeroGrads(const KernelDescriptor &p, const Args<T> &a) {
  for (const ParameterSlots &slots : p.as<OptimizerShape>().parameters)
    std::memset(a.slot(slots.grad), 0, slots.grad.bytes());
  return Status::ok();
}

/// GradNorm and GradSquareSum over the listed gradient ranges (the
/// preparation resolved which: all, none, a list, one block of each).
template <typename T>
Status gradNorm(const KernelDescriptor &p, const Args<T> &a) {
  const auto &shape = p.as<OptimizerShape>();
  std::vector<const T *> tensors;
  std::vector<int64_t> sizes;
  for (const ParameterSlots &slots : shape.parameters) {
    tensors.push_back(a.slot(slots.grad) + slots.offset);
    sizes.push_back(slots.count);
  }
  double squared = cpu::globalNormSquared<T>(
      tensors.data(), sizes.data(), static_cast<int64_t>(tensors.size()));
  if (p.kernel == Kernel::GradSquareSum) {
    *a.out(0) = T(squared);
    return Status::ok();
  }
  if (shape.plusOperand) // a sum of squares computed elsewhere
    squared += a.scalar(0);
  *a.out(0) = T(std::sqrt(squared));
  return Status::ok();
}

template <typename T>
Status clipCoefficient(const KernelDescriptor &, const Args<T> &a) {
  // A max norm <= 0 means no clipping (NeMo's gradient_clip_val: 0).
  const double maxNorm = a.scalar(1);
  *a.out(0) = T(
      maxNorm > 0.0 ? cpu::clipGradNormCoefficient(a.scalar(0), maxNorm) : 1.0);
  return Status::ok();
}

template <typename T>
Status adamw(const KernelDescriptor &p, const Args<T> &a) {
  const ParameterSlots &slots = p.as<OptimizerShape>().parameters[0];
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
  // f16 loss scaling: an overflow anywhere (a non-finite norm, the same on
  // every rank) skips the step.
  if (p.as<OptimizerShape>().ifFiniteOperand && !std::isfinite(a.scalar(7)))
    return Status::ok();
  // The distributed optimizer: the block of the parameter and gradient
  // slot the moments belong to. Mixed precision O2 updates the F32 main
  // parameter (which holds that block only); ParamFromMain rounds it into
  // the parameter afterwards.
  T *grad = a.slot(slots.grad) + slots.offset;
  T *value = slots.hasMain ? a.slot(slots.mainValue)
                           : a.slot(slots.value) + slots.offset;
  if (gradScale != 1.0)
    cpu::scaleInPlace<T>(grad, slots.count, AccumulatorOf<T>(gradScale));
  cpu::adamwStep<T>(value, grad, a.slot(slots.adamM), a.slot(slots.adamV),
                    slots.count, config, static_cast<int64_t>(step),
                    slots.weightDecay);
  return Status::ok();
}

/// ParamFromMain: the parameter (block) as its F32 main parameter rounded
/// to nearest even.
template <typename T>
Status paramFromMain(const KernelDescriptor &p, const KernelRunContext &c) {
  const Args<T> a(p, c);
  const ParameterSlots &slots = p.as<OptimizerShape>().parameters[0];
  const auto *main = reinterpret_cast<const float *>(CpuDevice::host(c.arena) +
                                                     slots.mainValue.offset);
  cpu::castElements<float, T>(main, a.slot(slots.value) + slots.offset,
                              slots.count);
  return Status::ok();
}

/// Cast: operand 0's type to T (the result's).
template <typename T>
Status castTo(const KernelDescriptor &p, const KernelRunContext &c) {
  const Args<T> a(p, c);
  const uint8_t *x = CpuDevice::host(c.arena) + p.operands[0].offset;
  const int64_t n = a.inSize(0);
  switch (p.operands[0].dtype) {
  case DType::F32:
    cpu::castElements<float, T>(reinterpret_cast<const float *>(x), a.out(0),
                                n);
    return Status::ok();
  case DType::F64:
    cpu::castElements<double, T>(reinterpret_cast<const double *>(x), a.out(0),
                                 n);
    return Status::ok();
  case DType::BF16:
    cpu::castElements<bf16, T>(reinterpret_cast<const bf16 *>(x), a.out(0), n);
    return Status::ok();
  case DType::F16:
    cpu::castElements<f16, T>(reinterpret_cast<const f16 *>(x), a.out(0), n);
    return Status::ok();
  default:
    return Status::internal(p.where + ": cast from " +
                            toString(p.operands[0].dtype));
  }
}

//===----------------------------------------------------------------------===//
// The dispatch table
//===----------------------------------------------------------------------===//

using KernelFn = Status (*)(const KernelDescriptor &, const KernelRunContext &);

/// Every compute kernel in element type T (the table's entries).
template <typename T>
Status runKernel(const KernelDescriptor &p, const KernelRunContext &c) {
  const Args<T> a(p, c);
  switch (p.kernel) {
  case Kernel::Embedding:
  case Kernel::EmbeddingGrad: {
    const auto &s = p.as<EmbeddingShape>();
    STRATA_RETURN_IF_ERROR(
        a.withContext(cpu::validateIds(a.ids(1), s.count, s.vocabTotal)));
    const bool split = s.vocab != s.vocabTotal;
    if (p.kernel == Kernel::Embedding && !split)
      cpu::embeddingForward<T>(a.in(0), a.ids(1), s.count, s.vocab, s.hidden,
                               a.out(0));
    else if (!split)
      cpu::embeddingBackward<T>(a.in(0), a.ids(1), s.count, s.vocab, s.hidden,
                                a.out(0));
    else if (p.kernel == Kernel::Embedding)
      cpu::embeddingForwardShard<T>(a.in(0), a.ids(1), s.count, s.vocabOffset,
                                    s.vocab, s.hidden, a.out(0));
    else
      cpu::embeddingBackwardShard<T>(a.in(0), a.ids(1), s.count, s.vocabOffset,
                                     s.vocab, s.hidden, a.out(0));
    return Status::ok();
  }
  case Kernel::Matmul:
  case Kernel::MatmulGradInput:
  case Kernel::MatmulGradWeight: {
    const auto &g = p.as<GemmShape>();
    using Acc = AccumulatorOf<T>;
    cpu::gemm<T>(Transpose(g.transA), Transpose(g.transB), g.m, g.n, g.k,
                 Acc(1), a.in(0), g.lda, a.in(1), g.ldb, Acc(0), a.out(0),
                 g.ldc);
    return Status::ok();
  }
  case Kernel::QuantizedMatmul: {
    // (x, q, scales): Matmul's y[M,N] = x[M,K] w[N,K]^T with w = scales * q.
    const auto &g = p.as<GemmShape>();
    cpu::quantizedMatmul<T>(g.m, g.n, g.k, a.in(0), a.int8In(1), a.f32In(2),
                            a.out(0));
    return Status::ok();
  }
  case Kernel::QuantizedEmbedding: {
    // (table, ids, scales); a vocabulary block offsets the ids.
    const auto &s = p.as<EmbeddingShape>();
    STRATA_RETURN_IF_ERROR(
        a.withContext(cpu::validateIds(a.ids(1), s.count, s.vocabTotal)));
    cpu::quantizedEmbedding<T>(a.int8In(0), a.f32In(2), a.ids(1), s.count,
                               s.vocabOffset, s.vocab, s.hidden, a.out(0));
    return Status::ok();
  }
  case Kernel::BiasAdd: {
    const auto &r = p.as<RowsShape>();
    cpu::biasAddForward<T>(a.in(0), a.in(1), r.rows, r.cols, a.out(0));
    return Status::ok();
  }
  case Kernel::BiasGrad: {
    const auto &r = p.as<RowsShape>();
    cpu::biasAddBackward<T>(a.in(0), r.rows, r.cols, a.out(0));
    return Status::ok();
  }
  case Kernel::LayerNorm: {
    const auto &r = p.as<RowsShape>();
    cpu::layerNormForward<T>(a.in(0), a.in(1),
                             p.operands.size() == 3 ? a.in(2) : nullptr, r.rows,
                             r.cols, r.epsilon, a.out(0), nullptr, nullptr,
                             r.zeroCenteredGamma ? 1.0 : 0.0);
    return Status::ok();
  }
  case Kernel::LayerNormGrad: {
    const auto &r = p.as<RowsShape>();
    AccumulatorOf<T> *mean = a.scratch(), *rstd = mean + r.rows;
    cpu::layerNormStatistics<T>(a.in(1), r.rows, r.cols, r.epsilon, mean, rstd);
    cpu::layerNormBackward<T>(a.in(0), a.in(1), a.in(2), mean, rstd, r.rows,
                              r.cols, a.out(0), a.out(1),
                              p.results.size() == 3 ? a.out(2) : nullptr,
                              r.zeroCenteredGamma ? 1.0 : 0.0);
    return Status::ok();
  }
  case Kernel::RMSNorm: {
    const auto &r = p.as<RowsShape>();
    cpu::rmsNormForward<T>(a.in(0), a.in(1), r.rows, r.cols, r.epsilon,
                           a.out(0), nullptr);
    return Status::ok();
  }
  case Kernel::RMSNormGrad: {
    const auto &r = p.as<RowsShape>();
    AccumulatorOf<T> *rstd = a.scratch();
    cpu::rmsNormStatistics<T>(a.in(1), r.rows, r.cols, r.epsilon, rstd);
    cpu::rmsNormBackward<T>(a.in(0), a.in(1), a.in(2), rstd, r.rows, r.cols,
                            a.out(0), a.out(1));
    return Status::ok();
  }
  case Kernel::RotaryEmbedding: {
    const auto &r = p.as<RotaryShape>();
    if (r.inverse) // the backward's rotation
      cpu::rotaryEmbeddingBackward<T>(a.in(0), a.ids(1), r.batch, r.seq,
                                      r.heads, r.headDim, r.rotaryDim, r.base,
                                      a.out(0));
    else
      cpu::rotaryEmbeddingForward<T>(a.in(0), a.ids(1), r.batch, r.seq, r.heads,
                                     r.headDim, r.rotaryDim, r.base, a.out(0));
    return Status::ok();
  }
  case Kernel::Attention:
  case Kernel::AttentionGrad:
    return attention(p, a, c);
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
    return zeroGrads(p, a);
  case Kernel::GradNorm:
  case Kernel::GradSquareSum:
    return gradNorm(p, a);
  case Kernel::ClipCoefficient:
    return clipCoefficient(p, a);
  case Kernel::AdamW:
    return adamw(p, a);
  case Kernel::VocabParallelStats:
    return vocabParallelStats(p, a);
  case Kernel::VocabParallelLoss:
    return vocabParallelLoss(p, a);
  case Kernel::VocabParallelCrossEntropyGrad:
    return vocabParallelGrad(p, a);
  case Kernel::BiasGelu: {
    const auto &r = p.as<RowsShape>();
    cpu::biasGeluForward<T>(a.in(0), a.in(1), r.rows, r.cols, a.gelu(),
                            a.out(0));
    return Status::ok();
  }
  case Kernel::BiasGeluGrad: {
    const auto &r = p.as<RowsShape>();
    cpu::biasGeluBackward<T>(a.in(0), a.in(1), a.in(2), r.rows, r.cols,
                             a.gelu(), a.out(0), a.out(1));
    return Status::ok();
  }
  case Kernel::BiasDropoutAdd: {
    const auto &r = p.as<RowsShape>();
    cpu::biasDropoutResidualForward<T>(
        a.in(0), a.in(1), a.in(2), r.rows, r.cols, a.dropoutRate(p.floats[0]),
        c.seed, a.rngOffset(), a.out(0), a.maskIndexing());
    return Status::ok();
  }
  case Kernel::BiasDropoutAddGrad: {
    const auto &r = p.as<RowsShape>();
    cpu::biasDropoutResidualBackward<T>(
        a.in(0), r.rows, r.cols, a.dropoutRate(p.floats[0]), c.seed,
        a.rngOffset(), a.out(0), a.out(1), a.maskIndexing());
    return Status::ok();
  }
  case Kernel::CacheWrite:
    return cacheWrite(p, a);
  case Kernel::CachedAttention:
    return cachedAttention(p, a, c);
  case Kernel::TakePositions:
    return takePositions(p, a);
  case Kernel::Unscale:
    *a.out(0) = T(a.scalar(0) / a.scalar(1));
    return Status::ok();
  case Kernel::InsertVirtualTokens: {
    const auto &e = p.as<EmbeddingShape>();
    cpu::insertVirtualTokens<T>(a.in(0), a.in(1), a.ids(2), e.count,
                                e.vocabOffset, e.vocab, e.hidden, a.out(0));
    return Status::ok();
  }
  case Kernel::MaskVirtualTokens: {
    const auto &e = p.as<EmbeddingShape>();
    cpu::maskVirtualTokens<T>(a.in(0), a.ids(1), e.count, e.vocabOffset,
                              e.vocab, e.hidden, a.out(0));
    return Status::ok();
  }
  case Kernel::VirtualTokenTableGrad: {
    const auto &e = p.as<EmbeddingShape>();
    cpu::virtualTokenTableGrad<T>(a.in(0), a.ids(1), e.count, e.vocabOffset,
                                  e.vocab, e.hidden, a.out(0));
    return Status::ok();
  }
  case Kernel::Relu:
    cpu::reluForward<T>(a.in(0), a.out(0), a.inSize(0));
    return Status::ok();
  case Kernel::ReluGrad:
    cpu::reluBackward<T>(a.in(0), a.in(1), a.out(0), a.inSize(0));
    return Status::ok();
  case Kernel::Scale:
    cpu::scale<T>(a.in(0), p.floats[0], a.out(0), a.inSize(0));
    return Status::ok();
  case Kernel::Lstm: {
    const auto &l = p.as<LstmShape>();
    cpu::lstmForward<T>(a.in(0), a.in(1), a.in(2), a.in(3), l.steps, l.inputs,
                        l.units, a.out(0), a.scratch());
    return Status::ok();
  }
  case Kernel::LstmGrad: {
    const auto &l = p.as<LstmShape>();
    cpu::lstmBackward<T>(a.in(0), a.in(1), a.in(2), a.in(3), a.in(4), l.steps,
                         l.inputs, l.units, a.out(0), a.out(1), a.out(2),
                         a.out(3), a.scratch());
    return Status::ok();
  }
  default:
    return Status::internal(p.where + ": not a CPU kernel");
  }
}

/// The kernels the CPU runs; collectives and transfers are the executor's.
constexpr Kernel kComputeKernels[] = {Kernel::Embedding,
                                      Kernel::EmbeddingGrad,
                                      Kernel::Matmul,
                                      Kernel::MatmulGradInput,
                                      Kernel::MatmulGradWeight,
                                      Kernel::BiasAdd,
                                      Kernel::BiasGrad,
                                      Kernel::LayerNorm,
                                      Kernel::LayerNormGrad,
                                      Kernel::RMSNorm,
                                      Kernel::RMSNormGrad,
                                      Kernel::RotaryEmbedding,
                                      Kernel::Attention,
                                      Kernel::AttentionGrad,
                                      Kernel::Gelu,
                                      Kernel::GeluGrad,
                                      Kernel::Silu,
                                      Kernel::SiluGrad,
                                      Kernel::SwiGLU,
                                      Kernel::SwiGLUGrad,
                                      Kernel::Dropout,
                                      Kernel::Add,
                                      Kernel::Copy,
                                      Kernel::CrossEntropy,
                                      Kernel::CrossEntropyGrad,
                                      Kernel::AccumulateGrad,
                                      Kernel::ZeroGrads,
                                      Kernel::GradNorm,
                                      Kernel::ClipCoefficient,
                                      Kernel::AdamW,
                                      Kernel::BiasGelu,
                                      Kernel::BiasGeluGrad,
                                      Kernel::BiasDropoutAdd,
                                      Kernel::BiasDropoutAddGrad,
                                      Kernel::CacheWrite,
                                      Kernel::CachedAttention,
                                      Kernel::TakePositions,
                                      Kernel::VocabParallelStats,
                                      Kernel::VocabParallelLoss,
                                      Kernel::VocabParallelCrossEntropyGrad,
                                      Kernel::GradSquareSum,
                                      Kernel::Unscale,
                                      Kernel::InsertVirtualTokens,
                                      Kernel::MaskVirtualTokens,
                                      Kernel::VirtualTokenTableGrad,
                                      Kernel::Relu,
                                      Kernel::ReluGrad,
                                      Kernel::Scale,
                                      Kernel::Lstm,
                                      Kernel::LstmGrad,
                                      Kernel::QuantizedMatmul,
                                      Kernel::QuantizedEmbedding};

/// The kernels that run in F32 and F64 only.
bool isWideOnly(Kernel kernel) {
  return kernel == Kernel::GradNorm || kernel == Kernel::GradSquareSum ||
         kernel == Kernel::ClipCoefficient || kernel == Kernel::AdamW ||
         kernel == Kernel::Unscale;
}

constexpr size_t kKernelCount = size_t(Kernel::MAX) + 1;
constexpr size_t kDTypeCount = size_t(DType::I8) + 1;

/// kDispatch[kernel][dtype]: the function that runs it, or null.
using DispatchTable =
    std::array<std::array<KernelFn, kDTypeCount>, kKernelCount>;

DispatchTable buildDispatchTable() {
  DispatchTable table{};
  for (Kernel kernel : kComputeKernels) {
    table[size_t(kernel)][size_t(DType::F32)] = &runKernel<float>;
    table[size_t(kernel)][size_t(DType::F64)] = &runKernel<double>;
    // The optimizer runs on f32 main parameters and slots in mixed
    // precision: no 16-bit norms or updates.
    if (isWideOnly(kernel))
      continue;
    table[size_t(kernel)][size_t(DType::BF16)] = &runKernel<bf16>;
    table[size_t(kernel)][size_t(DType::F16)] = &runKernel<f16>;
  }
  // Mixed precision: casts into every float type, and a 16-bit parameter
  // rounded from its F32 main parameter.
  table[size_t(Kernel::Cast)][size_t(DType::F32)] = &castTo<float>;
  table[size_t(Kernel::Cast)][size_t(DType::F64)] = &castTo<double>;
  table[size_t(Kernel::Cast)][size_t(DType::BF16)] = &castTo<bf16>;
  table[size_t(Kernel::Cast)][size_t(DType::F16)] = &castTo<f16>;
  table[size_t(Kernel::ParamFromMain)][size_t(DType::BF16)] =
      &paramFromMain<bf16>;
  table[size_t(Kernel::ParamFromMain)][size_t(DType::F16)] =
      &paramFromMain<f16>;
  return table;
}

const DispatchTable &dispatchTable() {
  static const DispatchTable table = buildDispatchTable();
  return table;
}

class CpuBackend final : public Backend {
public:
  explicit CpuBackend(int numThreads) : numThreads_(numThreads) {}

  std::string name() const override { return "cpu"; }
  Device &device() override { return device_; }

  bool supports(Kernel kernel, DType dtype) const override {
    return size_t(kernel) < kKernelCount && size_t(dtype) < kDTypeCount &&
           dispatchTable()[size_t(kernel)][size_t(dtype)] != nullptr;
  }

  size_t workspaceBytes(const KernelDescriptor &d) const override {
    if (d.kernel != Kernel::Attention && d.kernel != Kernel::AttentionGrad &&
        d.kernel != Kernel::CachedAttention)
      return 0;
    const cpu::AttentionParams params = attentionParams(d.as<AttentionShape>());
    switch (d.dtype) {
    case DType::F64:
      return cpu::attentionWorkspaceSize<double>(params, numThreads_);
    case DType::BF16:
      return cpu::attentionWorkspaceSize<bf16>(params, numThreads_);
    case DType::F16:
      return cpu::attentionWorkspaceSize<f16>(params, numThreads_);
    default:
      return cpu::attentionWorkspaceSize<float>(params, numThreads_);
    }
  }

  Status run(const KernelDescriptor &d, const KernelRunContext &context,
             Stream &) override {
    if (!supports(d.kernel, d.dtype))
      return unsupportedKernel(d, *this);
    return dispatchTable()[size_t(d.kernel)][size_t(d.dtype)](d, context);
  }

  StatusOr<std::unique_ptr<DeviceCommunicator>>
  adaptCommunicator(Communicator &host) override {
    // Host memory is the device's: the host communicator moves it as is.
    return std::unique_ptr<DeviceCommunicator>(
        new HostMemoryCommunicator(host));
  }

private:
  int numThreads_;
  CpuDevice device_;
};

} // namespace

StatusOr<std::unique_ptr<Backend>>
createCpuBackend(const BackendOptions &options) {
  if (options.deviceIndex > 0)
    return Status::invalidArgument(
        "device cpu:" + std::to_string(options.deviceIndex) +
        ": the CPU backend has one device, cpu:0");
  if (options.numThreads > 0)
    omp_set_num_threads(options.numThreads);
  return std::unique_ptr<Backend>(new CpuBackend(omp_get_max_threads()));
}

} // namespace strata::runtime

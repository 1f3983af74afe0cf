//===- attention_dispatch.cc - attention, its gradient, cached decode -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Operands and results as runtime/backends/cpu/cpu_kernels.cc's attention
// and cachedAttention read them:
//   Attention       (q, k, v) -> (out[, lse]); without an lse result the
//                   log-sum-exp goes to the descriptor's scratch.
//   AttentionGrad   (q, k, v, out, lse, dout) -> (dq, dk, dv); Delta =
//                   rowsum(dout * out) goes to the backend's own workspace
//                   (attentionWorkspaceBytes: B*H*S floats).
//   CachedAttention (q, key cache, value cache, positions) -> out; the
//                   log-sum-exp (not kept) goes to scratch; no dropout.
// The log-sum-exp is F32 (Accumulator) whatever the element type. Cache
// positions are not validated on the host (that would wait for the GPU):
// a position outside the cache gives its query row NaN (kernels/
// attention.h), where the CPU backend reports an error.
//
// Attention and AttentionGrad in BF16 and F16 run on tensor cores
// (kernels/flash_attention.h) when the shape allows (head_dim = value_dim
// = 64 or 128, 16-byte aligned buffers); F32, other shapes and
// CachedAttention run the warp-per-row kernels (kernels/attention.h).
// STRATA_CUDA_ATTENTION=reference runs those for every type, so that the
// conformance suite can hold both to the CPU on the same GPU.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/cuda/kernels/attention.h"
#include "runtime/backends/cuda/kernels/flash_attention.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <type_traits>

namespace strata::runtime::cuda {

namespace {

/// The kernels' view of an attention descriptor: sizes, the mask's heads
/// and, when this run applies dropout, its stream and threshold (the CPU
/// adapter's parameters: seed = the context's, offset = rngBase +
/// rngStream).
template <typename T>
kernels::AttentionDims attentionDims(const Args<T> &a) {
  const auto &s = a.d.template as<AttentionShape>();
  kernels::AttentionDims dims;
  dims.batch = s.batch;
  dims.querySeq = s.querySeq;
  dims.keySeq = s.keySeq;
  dims.queryHeads = s.queryHeads;
  dims.kvHeads = s.kvHeads;
  dims.headDim = s.headDim;
  dims.valueDim = s.valueDim;
  dims.keyRows = s.keyBatchStride > 0 ? s.keyBatchStride : s.keySeq;
  dims.scale = float(s.scale);
  dims.causal = s.causal;
  dims.maskHeads = s.maskHeads > 0 ? s.maskHeads : s.queryHeads;
  dims.maskHeadOffset = s.maskHeadOffset;
  const double dropout =
      a.d.kernel == Kernel::CachedAttention ? 0.0 : a.dropoutRate(s.dropout);
  if (dropout > 0.0)
    dims.dropout = cpu::dropoutDraw(dropout, a.c.seed, a.rngOffset());
  return dims;
}

/// What the kernels take: head and value dimensions of at most
/// kMaxAttentionHeadDim, H a multiple of G, keys within the rows of k and v.
Status checkDims(const KernelDescriptor &p,
                 const kernels::AttentionDims &dims) {
  const int64_t widest =
      dims.headDim > dims.valueDim ? dims.headDim : dims.valueDim;
  if (widest > kernels::kMaxAttentionHeadDim)
    return Status::unimplemented(
        p.where + ": attention with head_dim " + std::to_string(dims.headDim) +
        " and value_dim " + std::to_string(dims.valueDim) +
        " on the GPU; the CUDA kernels take at most " +
        std::to_string(kernels::kMaxAttentionHeadDim));
  if (dims.kvHeads <= 0 || dims.queryHeads % dims.kvHeads != 0 ||
      dims.keyRows < dims.keySeq || dims.maskHeadOffset < 0 ||
      dims.maskHeadOffset + dims.queryHeads > dims.maskHeads)
    return Status::internal(p.where + ": inconsistent attention shape");
  return Status::ok();
}

/// Bytes of one f32 value per query row (a log-sum-exp, a Delta).
size_t rowFloatBytes(const kernels::AttentionDims &dims) {
  return sizeof(float) * size_t(dims.batch * dims.queryHeads * dims.querySeq);
}

/// Whether STRATA_CUDA_ATTENTION=reference asks for the warp-per-row
/// kernels everywhere (read once).
bool referenceKernelsOnly() {
  static const bool reference = [] {
    const char *choice = std::getenv("STRATA_CUDA_ATTENTION");
    return choice && std::strcmp(choice, "reference") == 0;
  }();
  return reference;
}

bool aligned16(const void *pointer) {
  return reinterpret_cast<uintptr_t>(pointer) % 16 == 0;
}

/// Whether the tensor-core kernels run this 16-bit call (|buffers|: its
/// q, k, v, out, dout, dq, dk, dv, read and written in 16-byte vectors).
bool useTensorCores(const kernels::AttentionDims &dims,
                    std::initializer_list<const void *> buffers) {
  if (referenceKernelsOnly() || !kernels::flashAttentionSupports(dims))
    return false;
  for (const void *buffer : buffers)
    if (!aligned16(buffer))
      return false;
  return true;
}

/// Attention and AttentionGrad.
template <typename T>
Status attention(const KernelDescriptor &p, const KernelRunContext &c,
                 cudaStream_t stream) {
  const Args<T> a(p, c, stream);
  const kernels::AttentionDims dims = attentionDims(a);
  STRATA_RETURN_IF_ERROR(checkDims(p, dims));
  if (p.kernel == Kernel::Attention) {
    const bool lseIsResult = p.as<AttentionShape>().lseIsResult;
    if (!lseIsResult)
      STRATA_RETURN_IF_ERROR(a.needWorkspace(rowFloatBytes(dims), 0));
    float *lse = lseIsResult ? a.accOut(1) : a.template workspace<float>();
    if constexpr (!std::is_same_v<T, float>) {
      if (useTensorCores(dims, {a.in(0), a.in(1), a.in(2), a.out(0)})) {
        kernels::flashAttentionForward<T>(dims, a.in(0), a.in(1), a.in(2),
                                          a.out(0), lse, stream);
        return a.launched();
      }
    }
    kernels::attentionForward<T>(dims, a.in(0), a.in(1), a.in(2), nullptr,
                                 a.out(0), lse, stream);
    return a.launched();
  }
  if (dims.keyRows != dims.keySeq)
    return Status::internal(p.where + ": attention backward over a cache");
  STRATA_RETURN_IF_ERROR(a.needWorkspace(0, rowFloatBytes(dims)));
  float *delta = a.template ownWorkspace<float>();
  if constexpr (!std::is_same_v<T, float>) {
    if (useTensorCores(dims, {a.in(0), a.in(1), a.in(2), a.in(3), a.in(5),
                                 a.out(0), a.out(1), a.out(2)})) {
      kernels::flashAttentionBackward<T>(dims, a.in(0), a.in(1), a.in(2),
                                         a.in(3), a.in(5), a.accIn(4), delta,
                                         a.out(0), a.out(1), a.out(2), stream);
      return a.launched();
    }
  }
  kernels::attentionBackward<T>(dims, a.in(0), a.in(1), a.in(2), a.in(3),
                                a.in(5), a.accIn(4), delta, a.out(0),
                                a.out(1), a.out(2), stream);
  return a.launched();
}

/// CachedAttention: each query attends the cache positions up to its own
/// (through the block table, operand 4, when the cache is paged).
template <typename T>
Status cachedAttention(const KernelDescriptor &p, const KernelRunContext &c,
                       cudaStream_t stream) {
  const Args<T> a(p, c, stream);
  const kernels::AttentionDims dims = attentionDims(a);
  STRATA_RETURN_IF_ERROR(checkDims(p, dims));
  STRATA_RETURN_IF_ERROR(a.needWorkspace(rowFloatBytes(dims), 0));
  const auto &s = p.as<AttentionShape>();
  kernels::PagedKeys paged; // the table is operand 4 when the cache is paged
  if (s.blockSize > 0)
    paged = {a.ids(4), s.blockSize, s.numBlocks, s.tableWidth};
  kernels::attentionForward<T>(dims, a.in(0), a.in(1), a.in(2), a.ids(3),
                               a.out(0), a.template workspace<float>(), stream,
                               paged);
  return a.launched();
}

template <typename T> void addFamily(DispatchTable &table, DType dtype) {
  table[size_t(Kernel::Attention)][size_t(dtype)] = &attention<T>;
  table[size_t(Kernel::AttentionGrad)][size_t(dtype)] = &attention<T>;
  table[size_t(Kernel::CachedAttention)][size_t(dtype)] = &cachedAttention<T>;
}

} // namespace

size_t attentionWorkspaceBytes(const KernelDescriptor &d) {
  if (d.kernel != Kernel::AttentionGrad)
    return 0;
  const auto &s = d.as<AttentionShape>();
  return ownWorkspaceRequest(
      d, sizeof(float) * size_t(s.batch * s.queryHeads * s.querySeq));
}

void addAttentionKernels(DispatchTable &table) {
  addFamily<float>(table, DType::F32);
  addFamily<__nv_bfloat16>(table, DType::BF16);
  addFamily<__half>(table, DType::F16);
}

} // namespace strata::runtime::cuda

//===- kernel_descriptor.h - one instruction, typed, for a backend -*- C++
//-*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What a backend runs. The shared preparation (runtime/executor/
// prepared_program.h) checks every instruction of an artifact once, at
// load, against what its kernel computes, and turns it into a descriptor:
// the kernel, the element type it runs in, its buffers as arena ranges, its
// attributes, and a typed shape (a GEMM's M, N, K, transposes and leading
// dimensions; an attention's heads and lengths; a row-wise kernel's rows
// and columns; ...). Parameter slots are resolved here too (an AdamW's
// parameter, gradient and moments are buffer ranges), so running a step
// reads nothing back from the artifact.
//
// A backend (backend.h) says which (kernel, element type) pairs it runs,
// how much workspace a descriptor needs, and runs one on a stream. The same
// descriptor runs on every backend; the conformance suite
// (runtime/backends/conformance) holds each backend to the CPU's results.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_KERNEL_DESCRIPTOR_H
#define STRATA_RUNTIME_BACKENDS_KERNEL_DESCRIPTOR_H

#include "runtime/artifact/artifact_generated.h"
#include "runtime/support/dtype.h"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace strata::runtime {

using artifact::Kernel;

/// A buffer as a kernel sees it: where it starts in the arena, how many
/// elements of which type it holds.
struct BufferRef {
  uint32_t buffer = 0;
  uint64_t offset = 0;
  int64_t elements = 0;
  DType dtype = DType::F32;

  size_t bytes() const { return size_t(elements) * dtypeSize(dtype); }
};

//===----------------------------------------------------------------------===//
// Typed shapes, one per family of kernels
//===----------------------------------------------------------------------===//

/// C[m, n] = op(A)[m, k] * op(B)[k, n], row-major (BLAS conventions with the
/// roles of rows and columns as written): op(A) is A stored [m, k] (lda >=
/// k) or, transposed, A stored [k, m] (lda >= m); likewise B. Operand 0 is
/// A, operand 1 is B, result 0 is C.
///   Matmul           y[M,N] = x[M,K] w[N,K]^T   (no, yes)
///   MatmulGradInput  dx[M,K] = dy[M,N] w[N,K]   (no, no)
///   MatmulGradWeight dw[N,K] = dy[M,N]^T x[M,K] (yes, no)
struct GemmShape {
  int64_t m = 0, n = 0, k = 0;
  bool transA = false, transB = false;
  int64_t lda = 0, ldb = 0, ldc = 0;
};

/// Row-wise kernels over x[rows, cols] (cols = the trailing dimensions a
/// bias, a norm's weight or a cache row covers): BiasAdd, BiasGrad,
/// LayerNorm(Grad) and RMSNorm(Grad) (|epsilon|), BiasGelu(Grad),
/// BiasDropoutAdd(Grad).
struct RowsShape {
  int64_t rows = 0, cols = 0;
  double epsilon = 0.0;
  /// LayerNorm(Grad) of NeMo's layernorm1p: the scale is 1 + gamma.
  bool zeroCenteredGamma = false;
};

/// Kernels over |count| elements: Gelu(Grad), Silu(Grad), SwiGLU(Grad),
/// Relu(Grad), Scale (the factor in floats[0]), Dropout, Add, Copy,
/// AccumulateGrad, Cast (from operand 0's type to the descriptor's),
/// Unscale.
struct ElementwiseShape {
  int64_t count = 0;
};

/// Embedding(Grad): |count| ids into a table of |vocab| rows of |hidden|;
/// the table holds rows [vocabOffset, vocabOffset + vocab) of the whole
/// vocabulary (vocabulary-parallel), whose size is |vocabTotal|. The
/// virtual-token kernels (InsertVirtualTokens, MaskVirtualTokens,
/// VirtualTokenTableGrad): |count| positions, a task's table of |vocab|
/// rows of |hidden| at global virtual rows [vocabOffset, vocabTotal).
struct EmbeddingShape {
  int64_t count = 0, vocab = 0, hidden = 0;
  int64_t vocabOffset = 0, vocabTotal = 0;
};

/// RotaryEmbedding over x[batch, seq, heads, headDim]: the first
/// |rotaryDim| of each head rotate with frequencies base^(-2i/rotaryDim);
/// |inverse| rotates back (the backward).
struct RotaryShape {
  int64_t batch = 0, seq = 0, heads = 0, headDim = 0, rotaryDim = 0;
  double base = 10000.0;
  bool inverse = false;
};

/// Attention(Grad) and CachedAttention: q[B,S,H,D], k[B,T,G,D], v[B,T,G,E].
struct AttentionShape {
  int64_t batch = 0, querySeq = 0, keySeq = 0, queryHeads = 0, kvHeads = 0;
  int64_t headDim = 0, valueDim = 0;
  double scale = 1.0;
  bool causal = false;
  /// Attention dropout (0: none) and the global heads the mask is drawn for
  /// (heads split over tensor parallelism): this call computes heads
  /// [maskHeadOffset, maskHeadOffset + queryHeads) of maskHeads.
  double dropout = 0.0;
  int64_t maskHeads = 0, maskHeadOffset = 0;
  /// Rows between batch elements of k and v (a KV cache's length).
  int64_t keyBatchStride = 0;
  /// CachedAttention over a paged cache (0s otherwise): k and v are pools
  /// [numBlocks, blockSize, G, D] addressed through a block table [batch,
  /// tableWidth]; keySeq is tableWidth * blockSize.
  int64_t blockSize = 0, numBlocks = 0, tableWidth = 0;
  /// Attention: whether the log-sum-exp is a result (else scratch).
  bool lseIsResult = false;
};

/// CrossEntropy(Grad) and the vocabulary-parallel kernels: |rows| rows of
/// |vocab| logits (this rank's block of |vocabTotal|, starting at
/// |vocabOffset|); |reduction| 0 none, 1 mean, 2 sum. Global vocabulary
/// ids >= |validVocab| are padding: outside the softmax, gradient 0, never
/// a label (|validVocab| == |vocabTotal| without padding).
struct CrossEntropyShape {
  int64_t rows = 0, vocab = 0, vocabOffset = 0, vocabTotal = 0;
  int64_t reduction = 0;
  int64_t validVocab = 0;
};

/// CacheWrite: values[batch, seq, row] into cache[batch, length, row] at
/// the given positions, or with a block table [batch, tableWidth] into the
/// paged pool [numBlocks, blockSize, row] (length = tableWidth *
/// blockSize). TakePositions: x[batch, seq, row] -> y[batch, row].
struct CacheShape {
  int64_t batch = 0, seq = 0, length = 0, row = 0;
  int64_t blockSize = 0, numBlocks = 0, tableWidth = 0; // 0s: not paged
};

/// A parameter's slots as the optimizer kernels see them: the range of the
/// flattened value and gradient an update covers (one block under the
/// distributed optimizer) and the moments of that range.
struct ParameterSlots {
  std::string name;
  BufferRef value, grad, adamM, adamV;
  /// Mixed precision O2: the F32 main parameter (of the block), which
  /// AdamW updates and ParamFromMain rounds into |value|.
  BufferRef mainValue;
  bool hasMain = false;
  /// Elements [offset, offset + count) of value and grad.
  int64_t offset = 0, count = 0;
  bool weightDecay = false;
};

/// ZeroGrads, GradNorm, GradSquareSum, AdamW: the parameter slots they read
/// or update (GradNorm: every listed parameter's gradient range; with
/// |plusOperand| a sum of squares computed elsewhere is operand 0).
struct OptimizerShape {
  std::vector<ParameterSlots> parameters;
  bool plusOperand = false;
  /// AdamW with an eighth operand (f16 loss scaling: the gradient norm):
  /// no update unless it is finite.
  bool ifFiniteOperand = false;
};

/// AllReduce, AllGather, ReduceScatter, LocalSlice: the local tensor as
/// |outer| runs of |block| elements along the dimension gathered, scattered
/// or sliced (outer 1 along dimension 0), over a group of |group| ranks on
/// mesh axis |axis|; |reduceMax| for ReduceOp::Max.
/// ReduceGradients, ReduceScatterGradients, GatherParameters: the listed
/// parameters' gradient (value) slots, in buckets of at most |bucketBytes|
/// (gradient_buckets.h), packed through the arena buffer |bucket| (the
/// instruction's operand, of at least the largest packed bucket's bytes).
/// Send/Recv: |bytes| to the rank |peerOffset| further along
/// |axis| (wrapping), with |tag|.
struct CollectiveShape {
  int axis = 0;
  int64_t outer = 0, block = 0, group = 1;
  bool reduceMax = false;
  /// LocalSlice: this rank's block index.
  int64_t sliceBlock = 0;
  std::vector<BufferRef> slots;
  size_t bucketBytes = 0;
  BufferRef bucket;
  size_t bytes = 0;
  int64_t peerOffset = 0, tag = 0;
};

/// Lstm(Grad): one bidirectional layer over |steps| inputs of |inputs|
/// features, |units| per direction (tfm.lstm).
struct LstmShape {
  int64_t steps = 0, inputs = 0, units = 0;
};

/// Kernels without a shape of their own (ClipCoefficient).
struct NoShape {};

using KernelShape =
    std::variant<NoShape, GemmShape, RowsShape, ElementwiseShape,
                 EmbeddingShape, RotaryShape, AttentionShape, CrossEntropyShape,
                 CacheShape, OptimizerShape, CollectiveShape, LstmShape>;

//===----------------------------------------------------------------------===//
// The descriptor
//===----------------------------------------------------------------------===//

struct KernelDescriptor {
  Kernel kernel = Kernel::Copy;
  /// The floating-point type the kernel computes in (its float operands'
  /// and results'; ids and positions are I32 whatever it is).
  DType dtype = DType::F32;
  std::vector<BufferRef> operands;
  std::vector<BufferRef> results;
  KernelShape shape;
  /// The instruction's attributes, per its signature (kernel_signatures.h).
  std::vector<int64_t> ints;
  std::vector<double> floats;
  /// Random stream of dropout kernels (-1: none).
  int64_t rngStream = -1;
  /// The mesh axis whose coordinate selects the block this instruction
  /// computes (vocabulary, heads, optimizer block; -1: none), how many
  /// blocks exist and which one this rank computes.
  int64_t shardAxis = -1;
  /// Dropout of a tensor split over ranks: the split dimension and the
  /// local shape (the mask is drawn by global element index). shardDim -1:
  /// not split.
  int64_t shardDim = -1;
  std::vector<int64_t> maskShape;
  int64_t blocks = 1, block = 0;
  /// Scratch the kernel's definition needs whatever the backend (per-row
  /// losses, a log-sum-exp nobody keeps, gather staging), in bytes; a
  /// backend adds its own workspace (Backend::workspaceBytes).
  size_t scratchBytes = 0;
  /// "instruction 12 (matmul at layers.0.attention.query)", for errors.
  std::string where;

  template <typename T> const T &as() const { return std::get<T>(shape); }
  template <typename T> T &as() { return std::get<T>(shape); }
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_KERNEL_DESCRIPTOR_H

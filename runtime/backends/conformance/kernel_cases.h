//===- kernel_cases.h - one small program per kernel ------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The cases of the backend conformance suite: for every kernel an artifact
// can hold, one or more small programs on awkward shapes (odd sizes,
// non-powers of two, grouped heads, a block of a split vocabulary), built
// as a real artifact in any floating-point element type so that the
// shared preparation and the backend run exactly what they run for a
// compiled model. Programs of more than one instruction give a kernel
// consistent inputs (the attention backward reads its forward's output and
// log-sum-exp; cached attention reads what cache writes wrote).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CONFORMANCE_KERNEL_CASES_H
#define STRATA_RUNTIME_BACKENDS_CONFORMANCE_KERNEL_CASES_H

#include "runtime/artifact/artifact_generated.h"
#include "runtime/support/dtype.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::runtime::conformance {

/// How a buffer's initial values are drawn (seeded, the same for every
/// element type).
enum class Fill {
  Normal,    // N(0, 1)
  Positive,  // U(0.5, 1.5): norms' scales, AdamW's second moment
  Ids,       // int32 in [0, idRange)
  Labels,    // as Ids, but every third element -1 (an ignored label)
  Positions, // int32 first + s for token s of each sequence (first: value)
  BlockTable, // int32 distinct blocks of a pool of |value|, shuffled
  Zeros,
  Scalar, // every element = scalar
  SameAs, // the initial values of buffer |value| (a main parameter)
  Int8,   // an int8 weight: uniform in [-127, 127]
};

struct BufferCase {
  std::string name;
  std::vector<int64_t> shape;
  artifact::BufferCategory category = artifact::BufferCategory::Activation;
  Fill fill = Fill::Normal;
  /// Ids: the exclusive upper bound. Scalar: the value. Positions: the
  /// first position.
  double value = 0.0;
  /// An int32 buffer (ids, labels, positions).
  bool integer = false;
  /// A value the dialect keeps in f32 in 16-bit programs (a loss, a
  /// log-sum-exp).
  bool accumulator = false;
  /// Compared after the run (results, and buffers updated in place).
  bool checked = false;
  /// The reference buffer it is compared with (-1: the same index): a main
  /// parameter against the reference's parameter.
  int compareWith = -1;
  /// F32 whatever the case's element type (a cast's other side, an int8
  /// weight's scales).
  bool fixedF32 = false;
  /// An I8 buffer (an int8 weight of weight-only quantization).
  bool int8 = false;
};

struct InstructionCase {
  artifact::Kernel kernel;
  std::vector<uint32_t> operands, results;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  int32_t shardAxis = -1;
};

/// A parameter of an optimizer case: its value, gradient and moment
/// buffers (indices into the case's buffers).
struct ParameterCase {
  std::string name;
  uint32_t value;
  int32_t grad = -1, adamM = -1, adamV = -1;
  bool weightDecay = true;
  /// Mixed precision O2: the F32 main parameter (16-bit cases only).
  int32_t main = -1;
};

struct KernelCase {
  /// "matmul/odd": the kernel and the variant.
  std::string name;
  /// The kernel the case is about (what the backend must support).
  artifact::Kernel kernel;
  std::vector<BufferCase> buffers;
  std::vector<InstructionCase> instructions;
  std::vector<ParameterCase> parameters;
  /// A single-rank mesh (a kernel computing one block of a split
  /// dimension needs the mesh axis it names).
  std::vector<std::string> meshAxes;
  /// Dropout on for the run (the masks are the same in every type).
  bool dropout = false;
  /// Mixed precision O2 (main parameters): runs in BF16 and F16 only; the
  /// F64 reference has no main parameters and no ParamFromMain, its AdamW
  /// updating the parameter itself.
  bool mixedMain = false;
  /// Runs in F32 and F64 only: the optimizer's kernels, which mixed
  /// precision runs on F32 main parameters and slots whatever the model's
  /// element type.
  bool wideOnly = false;
};

/// The sizes of an attention case (the value dimension is dim).
struct AttentionSizes {
  int64_t batch, querySeq, keySeq, heads, groups, dim;
  bool causal;
  double dropout;
};

/// Attention, or its backward after its forward, on q[B,S,H,D],
/// k[B,T,G,D], v[B,T,G,D] with scale 1/sqrt(D).
KernelCase attentionCase(std::string name, const AttentionSizes &z,
                         bool backward);

/// Cases at a model's sizes, for timing one kernel (strata-run calibrate):
/// Matmul y[m,n] = x[m,k] w[n,k]^T, MatmulGradInput dx[m,k] = dy[m,n] w[n,k]
/// or MatmulGradWeight dw[n,k] = dy[m,n]^T x[m,k];
KernelCase gemmCase(artifact::Kernel kernel, int64_t m, int64_t n, int64_t k);
/// the mean cross-entropy of |rows| rows of |vocab| logits, or its gradient;
KernelCase crossEntropyCase(int64_t rows, int64_t vocab, bool backward);
/// the sum of two vectors of |count| elements.
KernelCase addCase(int64_t count);

/// Every case, at least one per kernel an artifact can hold except the
/// collectives and transfers (which the executor runs with the device's
/// copies and communicators, the same code on every backend).
const std::vector<KernelCase> &allKernelCases();

/// The size-prefixed artifact of |c| with float buffers in |dtype| (16-bit
/// types keep accumulator buffers in F32), compiled for |target| (the kind
/// of device it runs on: "cpu", "cuda").
std::vector<uint8_t> buildCaseArtifact(const KernelCase &c, DType dtype,
                                       const std::string &target);

} // namespace strata::runtime::conformance

#endif // STRATA_RUNTIME_BACKENDS_CONFORMANCE_KERNEL_CASES_H

//===- dispatch.h - the CUDA backend's (kernel, type) table -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Each kernel family adds its entries to the table in a file of its own
// (<family>_dispatch.cc, host C++ turning descriptors into the launchers of
// kernels/<family>.cu); cuda_backend.cc calls every add*Kernels function
// once. An entry receives the descriptor (shapes resolved and checked by
// the preparation), the run context and the CUDA stream to queue on.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_DISPATCH_H
#define STRATA_RUNTIME_BACKENDS_CUDA_DISPATCH_H

#include "runtime/backends/backend.h"
#include "runtime/backends/cuda/cuda_check.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <array>
#include <cstdint>
#include <limits>
#include <string>

namespace strata::runtime::cuda {

using KernelFn = Status (*)(const KernelDescriptor &, const KernelRunContext &,
                            cudaStream_t);

constexpr size_t kKernelCount = size_t(Kernel::MAX) + 1;
constexpr size_t kDTypeCount = size_t(DType::I8) + 1;
using DispatchTable =
    std::array<std::array<KernelFn, kDTypeCount>, kKernelCount>;

/// The device element type of a DType (float, __nv_bfloat16, __half).
template <DType> struct DeviceType;
template <> struct DeviceType<DType::F32> { using type = float; };
template <> struct DeviceType<DType::BF16> { using type = __nv_bfloat16; };
template <> struct DeviceType<DType::F16> { using type = __half; };

/// The alignment of the backend's own workspace (CUB's temporary storage
/// wants 256 bytes).
constexpr size_t kOwnWorkspaceAlignment = 256;

/// Values the dialect keeps in the accumulator type (a loss, a log-sum-exp,
/// statistics): F32 for every GPU element type.
using Accumulator = float;

/// Where the backend's own workspace starts: the descriptor's scratch
/// rounded up to 256 bytes (cudaMalloc's alignment, cuBLASLt's preference).
inline size_t alignedScratchBytes(const KernelDescriptor &d) {
  return (d.scratchBytes + 255) / 256 * 256;
}

/// What Backend::workspaceBytes returns for a family needing |bytes| of
/// its own: those and the padding before them.
inline size_t ownWorkspaceRequest(const KernelDescriptor &d, size_t bytes) {
  return bytes == 0 ? 0 : alignedScratchBytes(d) - d.scratchBytes + bytes;
}

/// Typed device pointers into the arena and the workspace for one
/// descriptor.
template <typename T> class Args {
public:
  Args(const KernelDescriptor &descriptor, const KernelRunContext &context,
       cudaStream_t stream)
      : d(descriptor), c(context), stream(stream) {}

  T *in(size_t k) const { return at<T>(d.operands[k]); }
  T *out(size_t k) const { return at<T>(d.results[k]); }
  const int32_t *ids(size_t k) const { return at<int32_t>(d.operands[k]); }
  Accumulator *accIn(size_t k) const { return at<Accumulator>(d.operands[k]); }
  Accumulator *accOut(size_t k) const { return at<Accumulator>(d.results[k]); }
  int64_t inSize(size_t k) const { return d.operands[k].elements; }
  template <typename U> U *at(const BufferRef &ref) const {
    return reinterpret_cast<U *>(static_cast<uint8_t *>(c.arena.raw()) +
                                 ref.offset);
  }
  /// The workspace |byteOffset| bytes in: the descriptor's scratchBytes
  /// first, then the backend's own (Backend::workspaceBytes).
  template <typename U> U *workspace(size_t byteOffset = 0) const {
    return reinterpret_cast<U *>(static_cast<uint8_t *>(c.workspace.raw()) +
                                 byteOffset);
  }
  /// The backend's own workspace (after the scratch, 256-byte aligned) and
  /// its size.
  template <typename U> U *ownWorkspace() const {
    return workspace<U>(alignedScratchBytes(d));
  }
  size_t ownWorkspaceBytes() const {
    const size_t start = alignedScratchBytes(d);
    return c.workspaceBytes > start ? c.workspaceBytes - start : 0;
  }
  /// OK when the scratch holds |scratch| bytes and the own workspace
  /// |bytes|; otherwise the internal error naming the instruction (the
  /// preparation and workspaceBytes disagree).
  Status needWorkspace(size_t scratch, size_t bytes) const {
    if (d.scratchBytes >= scratch && ownWorkspaceBytes() >= bytes)
      return Status::ok();
    return Status::internal(d.where + ": the CUDA kernel needs " +
                            std::to_string(scratch) + " bytes of scratch and " +
                            std::to_string(bytes) + " of workspace, but has " +
                            std::to_string(d.scratchBytes) + " and " +
                            std::to_string(ownWorkspaceBytes()));
  }
  /// OK when |blocks| blocks fit one dimension of a grid (|limit|: 2^31 - 1
  /// along x, 65535 along y).
  Status fitsGrid(int64_t blocks, int64_t limit, const char *what) const {
    if (blocks <= limit)
      return Status::ok();
    return Status::invalidArgument(
        d.where + ": " + std::to_string(blocks) + " " + what + " exceed the " +
        std::to_string(limit) + " blocks of a CUDA grid dimension");
  }
  /// The drop probability to apply: 0 when dropout is off for this run.
  double dropoutRate(double rate) const { return c.dropout ? rate : 0.0; }
  uint64_t rngOffset() const {
    return c.rngBase + static_cast<uint64_t>(d.rngStream);
  }
  /// OK, or the launch's configuration error naming the instruction.
  Status launched() const { return checkLaunch(d.where); }

  const KernelDescriptor &d;
  const KernelRunContext &c;
  cudaStream_t stream;
};

/// Grid limits: blocks along x and along y.
constexpr int64_t kMaxGridX = std::numeric_limits<int32_t>::max();
constexpr int64_t kMaxGridY = 65535;


/// The families (one file each).
void addElementwiseKernels(DispatchTable &table);
void addGemmKernels(DispatchTable &table);
void addCrossEntropyKernels(DispatchTable &table);
void addOptimizerKernels(DispatchTable &table);
void addNormKernels(DispatchTable &table);
void addBiasKernels(DispatchTable &table);
void addDropoutKernels(DispatchTable &table);
void addEmbeddingKernels(DispatchTable &table);
void addPromptLearningKernels(DispatchTable &table);
void addRotaryKernels(DispatchTable &table);
void addKVCacheKernels(DispatchTable &table);
void addAttentionKernels(DispatchTable &table);
void addInt8WeightKernels(DispatchTable &table);

/// The workspace a family needs beyond a descriptor's scratch
/// (Backend::workspaceBytes; 0 for the descriptors of other families).
size_t gemmWorkspaceBytes(const KernelDescriptor &descriptor);
size_t optimizerWorkspaceBytes(const KernelDescriptor &descriptor);
/// Column-sum partials (bias and norm gradients) and the embedding
/// gradient's sort.
size_t reductionWorkspaceBytes(const KernelDescriptor &descriptor);
size_t attentionWorkspaceBytes(const KernelDescriptor &descriptor);

} // namespace strata::runtime::cuda

#endif // STRATA_RUNTIME_BACKENDS_CUDA_DISPATCH_H

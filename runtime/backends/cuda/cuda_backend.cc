//===- cuda_backend.cc - descriptors onto CUDA kernels --------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/cuda_backend.h"

#include "runtime/backends/cuda/cuda_check.h"
#include "runtime/backends/cuda/cuda_device.h"
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/registry.h"

namespace strata::runtime {

namespace {

using cuda::CudaDevice;
using cuda::DispatchTable;
using cuda::kDTypeCount;
using cuda::kKernelCount;

DispatchTable buildDispatchTable() {
  DispatchTable table{};
  // One line per kernel family (dispatch.h).
  cuda::addElementwiseKernels(table);
  cuda::addGemmKernels(table);
  cuda::addCrossEntropyKernels(table);
  cuda::addOptimizerKernels(table);
  cuda::addAttentionKernels(table);
  return table;
}

const DispatchTable &dispatchTable() {
  static const DispatchTable table = buildDispatchTable();
  return table;
}

class CudaBackend final : public Backend {
public:
  explicit CudaBackend(std::unique_ptr<CudaDevice> device)
      : device_(std::move(device)) {}

  std::string name() const override { return "cuda"; }
  Device &device() override { return *device_; }

  bool supports(Kernel kernel, DType dtype) const override {
    return size_t(kernel) < kKernelCount && size_t(dtype) < kDTypeCount &&
           dispatchTable()[size_t(kernel)][size_t(dtype)] != nullptr;
  }
  /// The families' own workspace (the descriptor's scratch comes first).
  size_t workspaceBytes(const KernelDescriptor &d) const override {
    return cuda::gemmWorkspaceBytes(d) + cuda::optimizerWorkspaceBytes(d) +
           cuda::attentionWorkspaceBytes(d);
  }

  Status run(const KernelDescriptor &d, const KernelRunContext &context,
             Stream &stream) override {
    if (!supports(d.kernel, d.dtype))
      return unsupportedKernel(d, *this);
    return dispatchTable()[size_t(d.kernel)][size_t(d.dtype)](
        d, context, CudaDevice::raw(stream));
  }

  StatusOr<std::unique_ptr<DeviceCommunicator>>
  adaptCommunicator(Communicator &) override {
    return Status::unimplemented(
        "the CUDA backend has no communicator yet (NCCL, or MPI through "
        "pinned host buffers): run single-rank artifacts");
  }

private:
  std::unique_ptr<CudaDevice> device_;
};

} // namespace

StatusOr<std::unique_ptr<Backend>>
createCudaBackend(const BackendOptions &options) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<CudaDevice> device,
                          CudaDevice::open(options.deviceIndex));
  return std::unique_ptr<Backend>(new CudaBackend(std::move(device)));
}

} // namespace strata::runtime

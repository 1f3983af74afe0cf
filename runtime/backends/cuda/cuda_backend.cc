//===- cuda_backend.cc - descriptors onto CUDA kernels --------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/cuda_backend.h"

#include "runtime/backends/cuda/cuda_check.h"
#include "runtime/backends/cuda/cuda_communicators.h"
#include "runtime/backends/cuda/cuda_device.h"
#include "runtime/backends/cuda/cuda_graph.h"
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/cuda/kernels/column_sums.h"
#include "runtime/backends/cuda/kernels/embedding.h"
#include "runtime/backends/cuda/kernels/gemm.h"
#include "runtime/backends/registry.h"

#include <cstdlib>
#include <string>

namespace strata::runtime {

namespace cuda {

size_t reductionWorkspaceBytes(const KernelDescriptor &d) {
  switch (d.kernel) {
  case Kernel::BiasGrad:
  case Kernel::BiasGeluGrad:
  case Kernel::BiasDropoutAddGrad:
  case Kernel::LayerNormGrad:
  case Kernel::RMSNormGrad: {
    // The f32 partials of the column sums (kernels/column_sums.h).
    const auto &r = d.as<RowsShape>();
    return ownWorkspaceRequest(d,
                               kernels::columnSumWorkspaceBytes(r.rows, r.cols));
  }
  case Kernel::EmbeddingGrad: {
    // The sort of the ids (kernels/embedding.h).
    const auto &s = d.as<EmbeddingShape>();
    return ownWorkspaceRequest(
        d, kernels::embeddingGradWorkspaceBytes(s.count, s.vocab));
  }
  default:
    return 0;
  }
}

} // namespace cuda

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
  cuda::addNormKernels(table);
  cuda::addBiasKernels(table);
  cuda::addDropoutKernels(table);
  cuda::addEmbeddingKernels(table);
  cuda::addPromptLearningKernels(table);
  cuda::addRotaryKernels(table);
  cuda::addKVCacheKernels(table);
  cuda::addAttentionKernels(table);
  cuda::addInt8WeightKernels(table);
  return table;
}

const DispatchTable &dispatchTable() {
  static const DispatchTable table = buildDispatchTable();
  return table;
}

class CudaBackend final : public Backend {
public:
  CudaBackend(std::unique_ptr<CudaDevice> device, BackendOptions options)
      : device_(std::move(device)), options_(options) {}

  std::string name() const override { return "cuda"; }
  Device &device() override { return *device_; }

  bool supports(Kernel kernel, DType dtype) const override {
    return size_t(kernel) < kKernelCount && size_t(dtype) < kDTypeCount &&
           dispatchTable()[size_t(kernel)][size_t(dtype)] != nullptr;
  }
  /// The families' own workspace (the descriptor's scratch comes first).
  size_t workspaceBytes(const KernelDescriptor &d) const override {
    if (!supports(d.kernel, d.dtype))
      return 0;
    return cuda::gemmWorkspaceBytes(d) + cuda::optimizerWorkspaceBytes(d) +
           cuda::reductionWorkspaceBytes(d) + cuda::attentionWorkspaceBytes(d);
  }

  Status run(const KernelDescriptor &d, const KernelRunContext &context,
             Stream &stream) override {
    if (!supports(d.kernel, d.dtype))
      return unsupportedKernel(d, *this);
    return dispatchTable()[size_t(d.kernel)][size_t(d.dtype)](
        d, context, CudaDevice::raw(stream));
  }

  StatusOr<std::unique_ptr<DeviceCommunicator>>
  adaptCommunicator(Communicator &host) override {
    return cuda::adaptCudaCommunicator(host, *device_, options_);
  }

  /// Stream capture into a CUDA graph (cuda_graph.h); STRATA_CUDA_GRAPHS=0
  /// turns it off (every launch eager, for comparison).
  StatusOr<std::unique_ptr<RecordedWork>>
  record(Stream &stream, const std::function<Status()> &queue) override {
    if (const char *graphs = std::getenv("STRATA_CUDA_GRAPHS");
        graphs && std::string(graphs) == "0")
      return std::unique_ptr<RecordedWork>();
    return cuda::recordGraph(CudaDevice::raw(stream), queue);
  }

  StatusOr<GemmTuningReport> tuneGemm(const GemmDescriptor &gemm,
                                      int reps) override {
    STRATA_RETURN_IF_ERROR(cuda::check(cudaSetDevice(device_->index()),
                                 "cudaSetDevice(" +
                                     std::to_string(device_->index()) + ")"));
    StatusOr<GemmTuningReport> report = cuda::kernels::tuneGemm(
        gemm, reps, CudaDevice::raw(device_->defaultStream()));
    if (!report.isOk())
      return report.status().withContext(device_->name() + " (" +
                                         device_->description() + ")");
    return report;
  }

private:
  std::unique_ptr<CudaDevice> device_;
  BackendOptions options_;
};

} // namespace

StatusOr<std::unique_ptr<Backend>>
createCudaBackend(const BackendOptions &options) {
  int index = options.deviceIndex;
  if (index < 0) {
    const int count = cuda::visibleDeviceCount();
    index = count > 0 ? options.localRank % count : 0;
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<CudaDevice> device,
                          CudaDevice::open(index));
  cuda::kernels::setGemmTuningCachePath(options.gemmCache);
  return std::unique_ptr<Backend>(new CudaBackend(std::move(device), options));
}

} // namespace strata::runtime

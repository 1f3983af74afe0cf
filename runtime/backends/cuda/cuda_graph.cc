//===- cuda_graph.cc - launches recorded as a CUDA graph ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/cuda_graph.h"

#include "runtime/backends/cuda/cuda_check.h"
#include "runtime/backends/cuda/cuda_device.h"

namespace strata::runtime::cuda {

namespace {

class CudaGraph final : public RecordedWork {
public:
  explicit CudaGraph(cudaGraphExec_t exec) : exec_(exec) {}
  ~CudaGraph() override { cudaGraphExecDestroy(exec_); }
  CudaGraph(const CudaGraph &) = delete;
  CudaGraph &operator=(const CudaGraph &) = delete;

  Status replay(Stream &stream) override {
    return check(cudaGraphLaunch(exec_, CudaDevice::raw(stream)),
                 "cudaGraphLaunch");
  }

private:
  cudaGraphExec_t exec_;
};

} // namespace

StatusOr<std::unique_ptr<RecordedWork>>
recordGraph(cudaStream_t stream, const std::function<Status()> &queue) {
  STRATA_RETURN_IF_ERROR(
      check(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal),
            "cudaStreamBeginCapture"));
  const Status queued = queue();
  // The capture ends whatever happened, so that the stream is usable again.
  cudaGraph_t graph = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(stream, &graph);
  std::unique_ptr<CUgraph_st, cudaError_t (*)(cudaGraph_t)> owned(
      graph, &cudaGraphDestroy);
  if (!queued.isOk()) {
    cudaGetLastError(); // a launch refused during capture
    return queued.withContext("while recording a CUDA graph");
  }
  STRATA_RETURN_IF_ERROR(check(ended, "cudaStreamEndCapture (something in "
                                      "the function synchronizes)"));
  cudaGraphExec_t exec = nullptr;
  STRATA_RETURN_IF_ERROR(
      check(cudaGraphInstantiate(&exec, graph, 0), "cudaGraphInstantiate"));
  return std::unique_ptr<RecordedWork>(new CudaGraph(exec));
}

} // namespace strata::runtime::cuda

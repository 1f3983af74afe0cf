//===- ClusterPresets.cpp - the built-in cluster descriptions -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Peaks and bandwidths are the vendors' datasheet numbers (dense, no
// sparsity); link bandwidths are per device and direction: NVLink 3 (A100)
// 600 GB/s both ways, NVLink 4 (H100, H200) 900 GB/s; one InfiniBand NIC per
// GPU (DGX A100: HDR 200 Gb/s, DGX H100: NDR 400 Gb/s). The efficiency
// curves are estimates until `strata-tune calibrate` measures them: GEMMs
// reach 30-80% of peak as they grow (cuBLAS on A100, Narayanan et al.
// 2021's 52% of peak for GPT-3 175B end to end). `local` is this project's
// 2-core CPU machine, one rank per core (oneDNN f32 GEMMs measured at about
// 385 GFLOP/s for both cores, docs/performance.md).
//
//===----------------------------------------------------------------------===//
#include "frontends/cluster/ClusterPresets.h"

namespace strata::frontend {

namespace {

constexpr std::string_view kDgxA100 = R"(# NVIDIA DGX A100 80GB: 8 A100 SXM4 80GB per node.
name: dgx-a100-80gb
nodes: 1
gpus_per_node: 8
device:
  kind: gpu
  memory_gib: 80
  peak_bf16_tflops: 312
  peak_f32_tflops: 19.5
  memory_bandwidth_gb_s: 2039
links:
  intra_node:
    bandwidth_gb_s: 300
    latency_us: 3
  inter_node:
    bandwidth_gb_s: 25
    latency_us: 8
efficiency:
  gemm:
    - {flops: 1.0e8, fraction: 0.2}
    - {flops: 1.0e10, fraction: 0.55}
    - {flops: 1.0e11, fraction: 0.7}
    - {flops: 1.0e12, fraction: 0.8}
  attention: 0.5
  elementwise: 0.7
)";

constexpr std::string_view kDgxH100 = R"(# NVIDIA DGX H100: 8 H100 SXM5 80GB per node.
name: dgx-h100
nodes: 1
gpus_per_node: 8
device:
  kind: gpu
  memory_gib: 80
  peak_bf16_tflops: 989
  peak_f32_tflops: 67
  memory_bandwidth_gb_s: 3350
links:
  intra_node:
    bandwidth_gb_s: 450
    latency_us: 3
  inter_node:
    bandwidth_gb_s: 50
    latency_us: 8
efficiency:
  gemm:
    - {flops: 1.0e8, fraction: 0.12}
    - {flops: 1.0e10, fraction: 0.45}
    - {flops: 1.0e11, fraction: 0.65}
    - {flops: 1.0e12, fraction: 0.75}
  attention: 0.45
  elementwise: 0.7
)";

constexpr std::string_view kH200Node = R"(# A node of 8 NVIDIA H200 SXM 141GB (HGX H200).
name: h200-node
nodes: 1
gpus_per_node: 8
device:
  kind: gpu
  memory_gib: 140
  peak_bf16_tflops: 989
  peak_f32_tflops: 67
  memory_bandwidth_gb_s: 4800
links:
  intra_node:
    bandwidth_gb_s: 450
    latency_us: 3
  inter_node:
    bandwidth_gb_s: 50
    latency_us: 8
efficiency:
  gemm:
    - {flops: 1.0e8, fraction: 0.12}
    - {flops: 1.0e10, fraction: 0.45}
    - {flops: 1.0e11, fraction: 0.68}
    - {flops: 1.0e12, fraction: 0.8}
  attention: 0.45
  elementwise: 0.7
)";

constexpr std::string_view kLocal = R"(# This machine: 2 CPU cores, one rank per core, 24 GiB shared.
name: local
nodes: 1
gpus_per_node: 2
device:
  kind: cpu
  memory_gib: 12
  peak_bf16_tflops: 0.1
  peak_f32_tflops: 0.2
  memory_bandwidth_gb_s: 8
links:
  intra_node:
    bandwidth_gb_s: 4
    latency_us: 2
  inter_node:
    bandwidth_gb_s: 4
    latency_us: 2
efficiency:
  gemm:
    - {flops: 1.0e6, fraction: 0.3}
    - {flops: 1.0e9, fraction: 0.9}
  attention: 0.3
  elementwise: 0.5
)";

} // namespace

const std::vector<std::pair<std::string_view, std::string_view>> &
clusterPresets() {
  static const std::vector<std::pair<std::string_view, std::string_view>>
      presets = {{"dgx-a100-80gb", kDgxA100},
                 {"dgx-h100", kDgxH100},
                 {"h200-node", kH200Node},
                 {"local", kLocal}};
  return presets;
}

} // namespace strata::frontend

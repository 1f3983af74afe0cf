//===- kv_cache_dispatch.cc - KV-cache writes and position gathers --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// As runtime/backends/cpu/cpu_kernels.cc: CacheWrite (values, positions[,
// block table]) -> cache (the cache read and partly overwritten) and TakePositions (x,
// index) -> y, over the descriptor's CacheShape. The CPU checks positions
// and indices on the host and fails the instruction; here they are device
// memory and the kernels skip (CacheWrite) or NaN-fill (TakePositions) a
// row with a bad one instead (kernels/kv_cache.h).
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/cuda/kernels/kv_cache.h"

namespace strata::runtime::cuda {

namespace {

template <typename T>
Status runKVCache(const KernelDescriptor &p, const KernelRunContext &c,
                  cudaStream_t stream) {
  namespace k = kernels;
  const Args<T> a(p, c, stream);
  const auto &s = p.as<CacheShape>();
  switch (p.kernel) {
  case Kernel::CacheWrite:
    STRATA_RETURN_IF_ERROR(a.fitsGrid(s.batch * s.seq, kMaxGridX, "tokens"));
    k::cacheWrite<T>(a.in(0), a.ids(1), s.batch, s.seq, s.length, s.row,
                     a.out(0),
                     s.blockSize > 0
                         ? k::BlockTable{a.ids(2), s.blockSize, s.numBlocks,
                                         s.tableWidth}
                         : k::BlockTable{},
                     stream);
    break;
  case Kernel::TakePositions:
    k::takePositions<T>(a.in(0), a.ids(1), s.batch, s.seq, s.row, a.out(0),
                        stream);
    break;
  default:
    return Status::internal(p.where + ": not a KV-cache CUDA kernel");
  }
  return a.launched();
}

template <typename T> void addFamily(DispatchTable &table, DType dtype) {
  table[size_t(Kernel::CacheWrite)][size_t(dtype)] = &runKVCache<T>;
  table[size_t(Kernel::TakePositions)][size_t(dtype)] = &runKVCache<T>;
}

} // namespace

void addKVCacheKernels(DispatchTable &table) {
  addFamily<float>(table, DType::F32);
  addFamily<__nv_bfloat16>(table, DType::BF16);
  addFamily<__half>(table, DType::F16);
}

} // namespace strata::runtime::cuda

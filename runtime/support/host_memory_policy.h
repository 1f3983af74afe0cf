//===- host_memory_policy.h - keep freed host memory mapped -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// glibc's malloc serves a large allocation with its own mmap and unmaps it
// on free, so a buffer allocated again every step costs fresh pages every
// step: each 4 KiB page faults and is zeroed on first touch. Open MPI's
// non-blocking collectives allocate temporaries of a gradient bucket's size
// on every call; on a 2-core VM that made the data-parallel reduction of a
// small GPT 190 ms a step instead of 13 ms (docs/performance.md). The
// runtime allocates its arena once and reuses it, so it asks malloc to take
// every allocation from the heap and to keep freed memory for the next one,
// as PyTorch deployments do with jemalloc's decay turned off.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SUPPORT_HOST_MEMORY_POLICY_H
#define STRATA_RUNTIME_SUPPORT_HOST_MEMORY_POLICY_H

namespace strata::runtime {

/// Makes malloc reuse freed memory instead of returning it to the system
/// (glibc: no mmap per allocation, no trimming). Call after MPI_Init, which
/// sets malloc's thresholds of its own (Open MPI 4.1 did), before the
/// arena is allocated. A no-op where malloc is not glibc's.
void retainFreedHostMemory();

} // namespace strata::runtime

#endif // STRATA_RUNTIME_SUPPORT_HOST_MEMORY_POLICY_H

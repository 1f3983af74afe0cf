//===- host_memory_policy.cc - keep freed host memory mapped --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/support/host_memory_policy.h"

// <climits> first: it defines __GLIBC__ where malloc is glibc's.
#include <climits>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace strata::runtime {

void retainFreedHostMemory() {
#if defined(__GLIBC__)
  // Serve large blocks from the heap too (no mmap per allocation) and never
  // give the top of the heap back: freed pages stay touched for reuse.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}

} // namespace strata::runtime

//===- mask_indexing.h - global indices of a split tensor --------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The dropout kernels draw the mask bit of element i from Philox at counter
// i (philox.h), i the element's row-major position in the tensor. When a
// tensor is split over ranks along one dimension (sequence parallelism
// splits activations [b, s, h] along s over the tensor-parallel ranks), a
// rank's local tensor is one block of the global one, and for the split run
// to drop exactly the elements a single-rank run drops, each rank must draw
// the bits of its elements' global positions. MaskIndexing describes the
// block and maps local positions to global ones; it is to any tensor and
// dimension what AttentionParams::maskHeads / maskHeadOffset are to the
// heads of the attention probabilities.
//
// The local tensor, viewed as [outer, rows, inner], is the block
// [rowOffset, rowOffset + rows) of the middle dimension of the global
// tensor [outer, globalRows, inner] (outer = the product of the dimensions
// before the split one, inner = the product of those after). Local element
// i = (o * rows + r) * inner + k is global element
//   (o * globalRows + rowOffset + r) * inner + k
//   = i + (rowOffset + o * (globalRows - rows)) * inner.
// So the global positions of the rows * inner local elements of one outer
// index ("slab") are contiguous: a kernel maps a contiguous local range with
// one division, and draws the Philox words of each slab as one run
// (forEachRun), not per element.
//
// isIdentity(), fits() and global() are STRATA_HOST_DEVICE (philox_core.h):
// the CUDA backend's dropout kernels take a MaskIndexing by value and map
// each element exactly as the CPU does.
//
// Usage (rank r of tp, activations [b, s, h] split along s):
//   MaskIndexing ix{b, s / tp, h, s, r * (s / tp)};
//   dropoutForward(x, y, b * (s / tp) * h, p, seed, offset, ix);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_MASK_INDEXING_H
#define STRATA_RUNTIME_KERNELS_CPU_MASK_INDEXING_H

#include "runtime/kernels/cpu/philox_core.h"

#include <algorithm>
#include <cstdint>

namespace strata::runtime::cpu {

struct MaskIndexing {
  int64_t outer = 1;      // product of the dimensions before the split one
  int64_t rows = 0;       // local extent of the split dimension
  int64_t inner = 1;      // product of the dimensions after the split one
  int64_t globalRows = 0; // global extent of the split dimension
  int64_t rowOffset = 0;  // first global row of the block
  // The default ({}) and any block that is the whole dimension (rows =
  // globalRows, rowOffset = 0, as with one rank) map every index to itself,
  // whatever outer and inner are: "not split".

  /// The block [|rowOffset|, |rowOffset| + local dims[dim]) of dimension
  /// |dim| of a global tensor with |globalRows| there, for a local tensor of
  /// |rank| dimensions |dims|.
  static MaskIndexing split(const int64_t *dims, int rank, int dim,
                            int64_t globalRows, int64_t rowOffset) {
    MaskIndexing ix;
    for (int d = 0; d < dim; ++d)
      ix.outer *= dims[d];
    for (int d = dim + 1; d < rank; ++d)
      ix.inner *= dims[d];
    ix.rows = dims[dim];
    ix.globalRows = globalRows;
    ix.rowOffset = rowOffset;
    return ix;
  }

  STRATA_HOST_DEVICE bool isIdentity() const {
    return rows == globalRows && rowOffset == 0;
  }

  /// Whether this describes a local tensor of |n| elements: the default
  /// (rows = globalRows = 0, no shape) fits any n, any other value a block
  /// within the global rows with outer * rows * inner = n.
  STRATA_HOST_DEVICE bool fits(int64_t n) const {
    if (rows == 0 && globalRows == 0 && rowOffset == 0)
      return true;
    return outer >= 0 && rows >= 0 && inner >= 0 && rowOffset >= 0 &&
           rowOffset + rows <= globalRows && outer * rows * inner == n;
  }

  /// The global position of local element |local| (in [0, outer * rows *
  /// inner) unless not split).
  STRATA_HOST_DEVICE uint64_t global(int64_t local) const {
    if (isIdentity())
      return uint64_t(local);
    return uint64_t(local + globalShift(local / (rows * inner)));
  }

  /// Calls fn(localBegin, globalBegin, length) for the runs of the local
  /// range [|begin|, |end|) whose global positions are contiguous, in
  /// increasing order: its pieces in the slabs it crosses, or the whole
  /// range when not split. One division per call.
  template <typename F>
  void forEachRun(int64_t begin, int64_t end, F fn) const {
    if (begin >= end)
      return;
    if (isIdentity()) {
      fn(begin, uint64_t(begin), end - begin);
      return;
    }
    const int64_t slab = rows * inner;
    for (int64_t o = begin / slab, i = begin; i < end; ++o) {
      const int64_t stop = std::min(end, (o + 1) * slab);
      fn(i, uint64_t(i + globalShift(o)), stop - i);
      i = stop;
    }
  }

private:
  /// Global minus local position in the slab of outer index |o|.
  STRATA_HOST_DEVICE int64_t globalShift(int64_t o) const {
    return (rowOffset + o * (globalRows - rows)) * inner;
  }
};

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_MASK_INDEXING_H

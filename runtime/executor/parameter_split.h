//===- parameter_split.h - a rank's block of a split parameter --*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A partitioned artifact's parameter may be split along one dimension over
// one mesh axis (Parameter.split_dim / split_axis): the rank with coordinate
// c along that axis holds block c. Checkpoints, initialization and the
// numerics interface deal in global tensors; these helpers convert.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_PARAMETER_SPLIT_H
#define STRATA_RUNTIME_EXECUTOR_PARAMETER_SPLIT_H

#include "runtime/artifact/artifact_generated.h"
#include "runtime/executor/rank_mesh.h"
#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <vector>

namespace strata::runtime {

struct ParameterSplit {
  std::vector<int64_t> localShape;
  std::vector<int64_t> globalShape;
  /// The split dimension, -1 when the rank holds the whole parameter.
  int dim = -1;
  int axis = -1;
  int64_t blocks = 1;
  int64_t block = 0;

  bool isSplit() const { return dim >= 0 && blocks > 1; }
  /// The global linear index of local element |local| (row-major).
  uint64_t globalIndex(uint64_t local) const;
};

/// How |parameter| (whose value buffer has |localShape|) is split on this
/// rank; an error when the artifact's split does not fit the buffer.
StatusOr<ParameterSplit> splitOf(const artifact::Parameter &parameter,
                                 std::vector<int64_t> localShape,
                                 const RankMesh &mesh);

/// splitOf for a parameter of an artifact the executor accepted (which
/// checked every split when it was created).
ParameterSplit acceptedSplitOf(const artifact::Parameter &parameter,
                               std::vector<int64_t> localShape,
                               const RankMesh &mesh);

/// This rank's block of global tensor |global|.
io::HostTensor localBlock(const io::HostTensor &global,
                          const ParameterSplit &split);

/// The global tensor from every rank's |local| block: an all-gather over the
/// split's axis, so every rank of that axis must call it.
StatusOr<io::HostTensor> gatherBlocks(const io::HostTensor &local,
                                      const ParameterSplit &split,
                                      const RankMesh &mesh);

//===----------------------------------------------------------------------===//
// The distributed optimizer
//===----------------------------------------------------------------------===//
//
// With Parameter.optimizer_split_axis, the rank's (tensor-parallel local)
// parameter of n elements, seen flat, is S blocks of n / S along that axis;
// the rank with coordinate c keeps the AdamW moments of block c (1-D
// buffers of n / S elements), and its gradient slot is complete in block c
// only once the gradients are reduce-scattered. Checkpoints hold global
// moments: these helpers convert between the blocks and the local tensor,
// which the tensor-parallel split then converts to the global one.

/// The optimizer split of |parameter| whose value buffer has |localShape|:
/// a split of the 1-D local tensor (dimension 0 over the optimizer axis),
/// or none (isSplit() false) when its optimizer state is whole.
ParameterSplit optimizerSplitOf(const artifact::Parameter &parameter,
                                const std::vector<int64_t> &localShape,
                                const RankMesh &mesh);

/// The local tensor of |localShape| from every rank's optimizer block:
/// |blocks| is this rank's block (of n / S elements) or, with |fromWhole|, a
/// tensor of the local shape whose block c is this rank's part (a
/// reduce-scattered gradient slot). An all-gather over the split's axis, so
/// every rank of that axis must call it. Without a split, |blocks| as it is.
StatusOr<io::HostTensor> gatherOptimizerBlocks(
    const io::HostTensor &blocks, bool fromWhole, const ParameterSplit &split,
    const std::vector<int64_t> &localShape, const RankMesh &mesh);

/// This rank's optimizer block (1-D) of local tensor |local|; |local| itself
/// without a split.
io::HostTensor optimizerBlock(const io::HostTensor &local,
                              const ParameterSplit &split);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_PARAMETER_SPLIT_H

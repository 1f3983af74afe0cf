//===- rank_mesh.h - this process's place in the device mesh ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A partitioned artifact names a mesh (axes dp, pp, tp, outermost first,
// ranks numbered with the last axis fastest). Each rank runs the same
// instructions on its own blocks: the coordinates say which blocks (the
// vocabulary block of an embedding, the heads of an attention), and the
// per-axis communicators connect the ranks that differ only along one axis.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_RANK_MESH_H
#define STRATA_RUNTIME_EXECUTOR_RANK_MESH_H

#include "runtime/executor/communicator.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::runtime {

struct RankMesh {
  std::vector<std::string> axes;
  std::vector<int64_t> shape;
  /// This rank's coordinate along each axis.
  std::vector<int64_t> coords;
  /// Per axis, the communicator of the ranks that share every other
  /// coordinate (rank order = coordinate order). Not owned.
  std::vector<Communicator *> communicators;

  int64_t ranks() const {
    int64_t n = 1;
    for (int64_t s : shape)
      n *= s;
    return n;
  }
  /// This rank's index in the job (last axis fastest).
  int64_t rank() const {
    int64_t r = 0;
    for (size_t i = 0; i < shape.size(); ++i)
      r = r * shape[i] + coords[i];
    return r;
  }
  /// Whether this rank holds the first block along every axis (the rank that
  /// writes checkpoints and prints).
  bool isFirst() const { return rank() == 0; }
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_RANK_MESH_H

//===- pipeline_group.h - a rank's place along the pp axis ------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Under pipeline parallelism each rank runs the program of one stage (its
// pp coordinate). Besides the activations the compiled Send/Recv
// instructions move, the runtime itself moves whole tensors between stages:
// other stages' parameters to the first rank for checkpoints, the gradients
// of parameters two stages share, evaluation results to every stage. This
// header says where a rank sits and moves bytes to a peer stage.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_PIPELINE_GROUP_H
#define STRATA_RUNTIME_EXECUTOR_PIPELINE_GROUP_H

#include "runtime/executor/rank_mesh.h"
#include "runtime/support/status.h"

#include <cstddef>
#include <cstdint>

namespace strata::runtime {

/// Tags of the runtime's own transfers between stages, away from the
/// compiled Send/Recv's (MPI guarantees tags up to 32767).
enum class PipelineTag : int {
  Parameter = 32001,
  SharedGradient = 32002,
  Evaluation = 32003,
  Inference = 32004, // a prefill or decode call's logits
};

struct PipelineGroup {
  int64_t stages = 1;
  int64_t stage = 0;
  /// The ranks of every stage that share this rank's other coordinates,
  /// ranked by stage; null when the mesh has no pp axis.
  Communicator *communicator = nullptr;
  /// Whether every other coordinate (dp, tp) is 0, as the mesh's first
  /// rank's: these ranks carry their stage's tensors to the first rank.
  bool besideFirst = true;

  bool isPipelined() const { return stages > 1; }
  bool isFirstStage() const { return stage == 0; }
  bool isLastStage() const { return stage == stages - 1; }
  /// Whether this is the mesh's first rank (it prints and writes files).
  bool isFirstRank() const { return stage == 0 && besideFirst; }
};

/// The pipeline group of a rank at |mesh| (one stage without a pp axis).
PipelineGroup pipelineGroupOf(const RankMesh &mesh);

/// Sends |bytes| bytes to stage |peer| of |group| (in pieces of at most
/// 1 GiB, which MPI can count); a matching recvFromStage must run there.
Status sendToStage(const PipelineGroup &group, const void *data, size_t bytes,
                   int64_t peer, PipelineTag tag);
Status recvFromStage(const PipelineGroup &group, void *data, size_t bytes,
                     int64_t peer, PipelineTag tag);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_PIPELINE_GROUP_H

//===- pipeline_group.cc - a rank's place along the pp axis ---------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/pipeline_group.h"

#include <algorithm>

namespace strata::runtime {

namespace {
constexpr size_t kPieceBytes = size_t(1) << 30;

Status checkPeer(const PipelineGroup &group, int64_t peer, const char *what) {
  if (!group.communicator || peer < 0 || peer >= group.stages ||
      peer == group.stage)
    return Status::internal(
        std::string(what) + " stage " + std::to_string(peer) + " from stage " +
        std::to_string(group.stage) + " of " + std::to_string(group.stages));
  return Status::ok();
}
} // namespace

PipelineGroup pipelineGroupOf(const RankMesh &mesh) {
  PipelineGroup group;
  for (size_t i = 0; i < mesh.axes.size() && i < mesh.coords.size(); ++i) {
    if (mesh.axes[i] == "pp") {
      group.stages = mesh.shape[i];
      group.stage = mesh.coords[i];
      group.communicator = mesh.communicators[i];
    } else if (mesh.coords[i] != 0) {
      group.besideFirst = false;
    }
  }
  return group;
}

Status sendToStage(const PipelineGroup &group, const void *data, size_t bytes,
                   int64_t peer, PipelineTag tag) {
  STRATA_RETURN_IF_ERROR(checkPeer(group, peer, "a send to"));
  const auto *at = static_cast<const uint8_t *>(data);
  // Both sides cut the same pieces (one, empty, for 0 bytes).
  size_t done = 0;
  do {
    const size_t piece = std::min(kPieceBytes, bytes - done);
    STRATA_RETURN_IF_ERROR(group.communicator->send(at + done, piece, int(peer),
                                                    static_cast<int>(tag)));
    done += piece;
  } while (done < bytes);
  return Status::ok();
}

Status recvFromStage(const PipelineGroup &group, void *data, size_t bytes,
                     int64_t peer, PipelineTag tag) {
  STRATA_RETURN_IF_ERROR(checkPeer(group, peer, "a receive from"));
  auto *at = static_cast<uint8_t *>(data);
  // Both sides cut the same pieces (one, empty, for 0 bytes).
  size_t done = 0;
  do {
    const size_t piece = std::min(kPieceBytes, bytes - done);
    STRATA_RETURN_IF_ERROR(group.communicator->recv(at + done, piece, int(peer),
                                                    static_cast<int>(tag)));
    done += piece;
  } while (done < bytes);
  return Status::ok();
}

} // namespace strata::runtime

//===- collectives.h - collectives and pipeline transfers -------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The collective instructions of a partitioned artifact (kernel_signatures.cc)
// on the arena, through the rank's communicator of the instruction's mesh
// axis. Gathers and scatters along a dimension other than the first go
// through scratch in rank-major order, which is what the communicator moves.
//
// Send and Recv move a buffer between pipeline stages: Send copies it out
// and returns (Communicator::sendAsync, so the next call may reuse the
// arena and neighbouring stages may send to each other at once); Recv waits
// (bounded) for it. Whoever drives the stage calls completeSends before the
// step ends (Executor::completeSends).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_COLLECTIVES_H
#define STRATA_RUNTIME_EXECUTOR_COLLECTIVES_H

#include "runtime/executor/prepared_program.h"
#include "runtime/executor/rank_mesh.h"
#include "runtime/support/status.h"

#include <cstdint>

namespace strata::runtime {

bool isCollective(artifact::Kernel kernel);

/// Runs collective |instruction| on |arena| (|scratch| holds its
/// scratchBytes; |root| locates ReduceGradients' gradient slots). Errors
/// from the communicator (a peer that died, a timeout) name the
/// instruction.
Status runCollective(const PreparedInstruction &instruction, uint8_t *arena,
                     uint8_t *scratch, const RankMesh &mesh,
                     const artifact::Artifact &root);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_COLLECTIVES_H

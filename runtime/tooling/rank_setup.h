//===- rank_setup.h - strata-run as one rank of an MPI job ------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// `mpirun -np N strata-run ...` starts N copies; each is one rank of the
// artifact's mesh. This object owns the process's MPI session and, once the
// artifact is known, its per-axis communicators, and answers which rank
// prints and writes files (the first). A plain start is a job of one rank.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOOLING_RANK_SETUP_H
#define STRATA_RUNTIME_TOOLING_RANK_SETUP_H

#include "runtime/artifact/artifact_loader.h"
#include "runtime/backends/backend.h"
#include "runtime/executor/mesh_communicators.h"
#include "runtime/executor/mpi_session.h"
#include "runtime/executor/rank_mesh.h"
#include "runtime/support/status.h"

#include <memory>
#include <string>

namespace strata::runtime {

/// The program one rank runs and its place in the mesh.
struct RankArtifact {
  /// The artifact, or under pipeline parallelism this rank's stage program
  /// (whose pipelineStages() are the whole model's).
  LoadedArtifact artifact;
  /// Null for a single-rank job of a single-rank artifact.
  const RankMesh *mesh = nullptr;
};

class RankSetup {
public:
  /// Starts MPI when an MPI launcher started the process.
  Status initialize();

  /// The mesh of |artifact| with this rank's communicators, set up on first
  /// use (collective: every rank calls it). Null for a single-rank job of a
  /// single-rank artifact. An error when the job's size does not match the
  /// artifact's mesh.
  StatusOr<const RankMesh *> meshFor(const LoadedArtifact &artifact);

  /// Loads and checks the artifact at |path|, sets up the mesh (meshFor;
  /// collective) and, for a pipeline-parallel artifact, continues with the
  /// stage of this rank's pp coordinate. Every command that runs a program
  /// loads through here. A command that cannot run a pipeline passes
  /// |pipelineRefusal|, what to do instead, and a pipeline-parallel artifact
  /// is then an error before any mesh is set up.
  StatusOr<RankArtifact> loadArtifact(const std::string &path,
                                      const std::string &pipelineRefusal = "");

  /// The device the commands run on (strata-run --device; "cpu" unless
  /// set).
  void setDevice(std::string device) { device_ = std::move(device); }
  /// The GEMM tuning cache file of the backend (strata-run --gemm-cache;
  /// empty: the default).
  void setGemmCache(std::string path) { gemmCache_ = std::move(path); }
  /// The process's backend for that device, created on first use with
  /// |threads| kernel threads (0: OpenMP's default): the one place a
  /// command gets its device from.
  StatusOr<Backend *> backend(int threads);

  int worldRank() const { return session_ ? session_->worldRank() : 0; }
  int worldSize() const { return session_ ? session_->worldSize() : 1; }
  /// A communicator over every rank of the job bounded by |timeoutSeconds|
  /// (collective under MPI), for commands that run without an artifact.
  StatusOr<std::unique_ptr<Communicator>>
  worldCommunicator(double timeoutSeconds);
  /// The rank that prints results and writes files.
  bool isFirstRank() const { return worldRank() == 0; }

  /// Ends the whole job (every rank) with |code| after this rank failed, so
  /// that no other rank waits for it forever.
  [[noreturn]] void abortJob(int code);

  /// Finalizes MPI (waits, bounded, for the other ranks).
  void shutDown();

private:
  std::string device_ = "cpu";
  std::string gemmCache_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<MpiSession> session_;
  std::unique_ptr<MeshCommunicators> communicators_;
  RankMesh mesh_;
};

/// The process's rank setup (strata-run has one).
RankSetup &rankSetup();

} // namespace strata::runtime

#endif // STRATA_RUNTIME_TOOLING_RANK_SETUP_H

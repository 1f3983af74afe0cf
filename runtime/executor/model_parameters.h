//===- model_parameters.h - the parameters of every stage ------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A pipeline stage's program lists only the parameters of its own layers,
// but checkpoints, the model fingerprint and the Hugging Face mapping deal
// in the whole model. Every stage program of a pipeline-parallel artifact
// is loaded on every rank (LoadedArtifact::pipelineStages()), so each rank
// can list the whole model's parameters without communicating, in the same
// order on every rank. A parameter two stages hold (tied word embeddings
// on the first and the last) is owned by the lower one: its copy is the
// one checkpoints and gradient outputs take.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_MODEL_PARAMETERS_H
#define STRATA_RUNTIME_EXECUTOR_MODEL_PARAMETERS_H

#include "runtime/artifact/artifact_loader.h"
#include "runtime/io/host_tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::runtime {

struct ModelParameter {
  std::string name;
  /// The stage that owns the parameter (0 without pipeline parallelism) and
  /// its entry in that stage's program.
  int64_t ownerStage = 0;
  const artifact::Parameter *owner = nullptr;
  /// That stage's program: the buffers |owner|'s slots index.
  const artifact::Artifact *ownerProgram = nullptr;
  std::vector<int64_t> globalShape;
  io::DType dtype = io::DType::F32;
};

/// Every parameter of the model |artifact| is (a stage of), once: stage 0's
/// in its order, then each later stage's that no earlier stage holds. For
/// an artifact that is no pipeline stage, its own parameters. The entries
/// point into |artifact|'s stages and live as long as they do.
std::vector<ModelParameter> modelParameters(const LoadedArtifact &artifact);

/// The element type of buffer |slot| (a value, gradient, moment or main
/// parameter of |parameter|) in the owning stage's program: under mixed
/// precision a gradient slot can be F32 beside a BF16 value.
io::DType slotDType(const ModelParameter &parameter, uint32_t slot);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_MODEL_PARAMETERS_H

//===- model_parameters.cc - the parameters of every stage ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/model_parameters.h"

#include "runtime/executor/executor.h"

#include <set>

namespace strata::runtime {

namespace {

void appendParameters(const LoadedArtifact &program, int64_t stage,
                      std::set<std::string> &seen,
                      std::vector<ModelParameter> &out) {
  const artifact::Artifact &root = program.root();
  if (!root.parameters())
    return;
  for (const artifact::Parameter *parameter : *root.parameters()) {
    std::string name = parameter->name()->str();
    if (!seen.insert(name).second)
      continue;
    const artifact::Buffer &value = *root.buffers()->Get(parameter->value());
    ModelParameter entry;
    entry.name = std::move(name);
    entry.ownerStage = stage;
    entry.owner = parameter;
    entry.ownerProgram = &root;
    entry.globalShape.assign(value.shape()->begin(), value.shape()->end());
    if (parameter->global_shape()) // checkpoints hold global tensors
      entry.globalShape.assign(parameter->global_shape()->begin(),
                               parameter->global_shape()->end());
    entry.dtype = toIoDType(value.dtype());
    out.push_back(std::move(entry));
  }
}

} // namespace

std::vector<ModelParameter> modelParameters(const LoadedArtifact &artifact) {
  std::vector<ModelParameter> out;
  std::set<std::string> seen;
  const std::vector<LoadedArtifact> &stages = artifact.pipelineStages();
  if (stages.empty()) {
    appendParameters(artifact, 0, seen, out);
    return out;
  }
  for (size_t s = 0; s < stages.size(); ++s)
    appendParameters(stages[s], int64_t(s), seen, out);
  return out;
}

io::DType slotDType(const ModelParameter &parameter, uint32_t slot) {
  return toIoDType(parameter.ownerProgram->buffers()->Get(slot)->dtype());
}

} // namespace strata::runtime

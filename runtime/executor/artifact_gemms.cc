//===- artifact_gemms.cc - the distinct GEMMs an artifact runs ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/artifact_gemms.h"

#include "runtime/executor/prepared_program.h"

#include <algorithm>
#include <map>

namespace strata::runtime {

namespace {

bool isGemm(Kernel kernel) {
  return kernel == Kernel::Matmul || kernel == Kernel::MatmulGradInput ||
         kernel == Kernel::MatmulGradWeight;
}

/// Adds the GEMMs of one program (a stage's, named |prefix|).
Status addProgram(const LoadedArtifact &program, const std::string &prefix,
                  std::vector<ArtifactGemm> &gemms,
                  std::map<GemmDescriptor, size_t> &index) {
  STRATA_ASSIGN_OR_RETURN(const std::vector<PreparedFunction> functions,
                          prepareProgram(program));
  for (const PreparedFunction &function : functions) {
    const std::string name = prefix + function.name;
    for (const KernelDescriptor &d : function.instructions) {
      if (!isGemm(d.kernel))
        continue;
      GemmDescriptor gemm;
      gemm.dtype = d.dtype;
      gemm.shape = d.as<GemmShape>();
      gemm.alignA = alignmentOfOffset(d.operands[0].offset);
      gemm.alignB = alignmentOfOffset(d.operands[1].offset);
      gemm.alignC = alignmentOfOffset(d.results[0].offset);
      auto [it, inserted] = index.emplace(gemm, gemms.size());
      if (inserted) {
        ArtifactGemm added;
        added.gemm = gemm;
        added.firstUse = "function " + name + ", " + d.where;
        gemms.push_back(std::move(added));
      }
      auto &calls = gemms[it->second].calls;
      auto call = std::find_if(calls.begin(), calls.end(),
                               [&](const auto &c) { return c.first == name; });
      if (call == calls.end())
        calls.emplace_back(name, 1);
      else
        ++call->second;
    }
  }
  return Status::ok();
}

} // namespace

int64_t ArtifactGemm::totalCalls() const {
  int64_t total = 0;
  for (const auto &[function, count] : calls)
    total += count;
  return total;
}

StatusOr<std::vector<ArtifactGemm>>
listArtifactGemms(const LoadedArtifact &artifact) {
  std::vector<ArtifactGemm> gemms;
  std::map<GemmDescriptor, size_t> index;
  if (artifact.isPipelineRoot()) {
    const std::vector<LoadedArtifact> &stages = artifact.pipelineStages();
    for (size_t s = 0; s < stages.size(); ++s)
      STRATA_RETURN_IF_ERROR(addProgram(
          stages[s], "stage " + std::to_string(s) + ": ", gemms, index));
  } else {
    STRATA_RETURN_IF_ERROR(addProgram(artifact, "", gemms, index));
  }
  return gemms;
}

} // namespace strata::runtime

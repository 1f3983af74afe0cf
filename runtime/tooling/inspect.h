//===- inspect.h - strata-run inspect ---------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOOLING_INSPECT_H
#define STRATA_RUNTIME_TOOLING_INSPECT_H

#include "runtime/artifact/artifact_loader.h"

#include <ostream>

namespace strata::runtime {

/// Prints what an artifact holds: model, format version, mesh, parameters,
/// the memory plan by category and each function's instructions per kernel;
/// for a pipeline-parallel artifact, each stage's.
void printArtifactSummary(const LoadedArtifact &artifact, std::ostream &os);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_TOOLING_INSPECT_H

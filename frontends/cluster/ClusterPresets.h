//===- ClusterPresets.h - the built-in cluster descriptions -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The presets are cluster descriptions in YAML like any file, read by the
// same parser, so a preset and a file copied from it mean the same thing
// (docs/tuning.md lists their sources).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_CLUSTER_CLUSTERPRESETS_H
#define STRATA_FRONTENDS_CLUSTER_CLUSTERPRESETS_H

#include <string_view>
#include <utility>
#include <vector>

namespace strata::frontend {

/// (name, YAML text) of every preset, in the order --help lists them.
const std::vector<std::pair<std::string_view, std::string_view>> &
clusterPresets();

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_CLUSTER_CLUSTERPRESETS_H

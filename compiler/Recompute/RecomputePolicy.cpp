//===- RecomputePolicy.cpp - which layers recompute their activations -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Recompute/RecomputePolicy.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::strata;

namespace {

constexpr llvm::StringLiteral kGranularityKey =
    "activations_checkpoint_granularity";
constexpr llvm::StringLiteral kMethodKey = "activations_checkpoint_method";
constexpr llvm::StringLiteral kNumLayersKey =
    "activations_checkpoint_num_layers";

/// The string entry |key| of |config|, "null" when absent. A non-string
/// entry is an error.
FailureOr<StringRef>
stringEntry(DictionaryAttr config, StringRef key,
            llvm::function_ref<InFlightDiagnostic()> emitError) {
  Attribute value = config.get(key);
  if (!value)
    return StringRef("null");
  if (auto text = dyn_cast<StringAttr>(value))
    return text.getValue();
  return emitError() << "tfm.config " << key << " must be a string, got "
                     << value;
}

} // namespace

FailureOr<RecomputePolicy> mlir::strata::readRecomputePolicy(
    DictionaryAttr config, llvm::function_ref<InFlightDiagnostic()> emitError) {
  RecomputePolicy policy;
  if (!config)
    return policy;
  FailureOr<StringRef> granularity =
      stringEntry(config, kGranularityKey, emitError);
  FailureOr<StringRef> method = stringEntry(config, kMethodKey, emitError);
  if (failed(granularity) || failed(method))
    return failure();

  if (*granularity == "null")
    policy.granularity = RecomputeGranularity::None;
  else if (*granularity == "selective")
    policy.granularity = RecomputeGranularity::Selective;
  else if (*granularity == "full")
    policy.granularity = RecomputeGranularity::Full;
  else
    return emitError() << "unknown tfm.config " << kGranularityKey << " '"
                       << *granularity << "'; expected null, selective or full";

  if (*method == "null")
    policy.method = RecomputeMethod::None;
  else if (*method == "uniform")
    policy.method = RecomputeMethod::Uniform;
  else if (*method == "block")
    policy.method = RecomputeMethod::Block;
  else
    return emitError() << "unknown tfm.config " << kMethodKey << " '" << *method
                       << "'; expected null, uniform or block";

  // The method and layer count only mean something for full recomputation
  // (the frontend warns about them otherwise).
  if (policy.granularity != RecomputeGranularity::Full) {
    policy.method = RecomputeMethod::None;
    return policy;
  }
  if (policy.method == RecomputeMethod::None)
    return emitError() << kGranularityKey << " full requires " << kMethodKey
                       << " uniform or block";
  auto numLayers = config.getAs<IntegerAttr>(kNumLayersKey);
  if (!numLayers || numLayers.getInt() < 1)
    return emitError() << kGranularityKey << " full requires " << kNumLayersKey
                       << " >= 1, got "
                       << (numLayers ? std::to_string(numLayers.getInt())
                                     : std::string("none"));
  policy.numLayers = numLayers.getInt();
  return policy;
}

std::vector<std::vector<int64_t>>
mlir::strata::selectRecomputeGroups(const RecomputePolicy &policy,
                                    int64_t layerCount) {
  std::vector<std::vector<int64_t>> groups;
  if (!policy.recomputesLayers() || policy.numLayers < 1)
    return groups;
  switch (policy.method) {
  case RecomputeMethod::None:
    break;
  case RecomputeMethod::Uniform:
    for (int64_t start = 0; start < layerCount; start += policy.numLayers) {
      std::vector<int64_t> &group = groups.emplace_back();
      for (int64_t i = start;
           i < std::min(layerCount, start + policy.numLayers); ++i)
        group.push_back(i);
    }
    break;
  case RecomputeMethod::Block:
    for (int64_t i = 0; i < std::min(layerCount, policy.numLayers); ++i)
      groups.push_back({i});
    break;
  }
  return groups;
}

//===- lr_schedule.cc - learning rate per step ----------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace strata::runtime::training {

StatusOr<LrDecay> parseLrDecay(const std::string &name) {
  if (name == "cosine")
    return LrDecay::Cosine;
  if (name == "linear")
    return LrDecay::Linear;
  if (name == "constant")
    return LrDecay::Constant;
  return Status::invalidArgument("--lr-schedule " + name +
                                 " is not one of cosine, linear, constant");
}

const char *toString(LrDecay decay) {
  switch (decay) {
  case LrDecay::Cosine: return "cosine";
  case LrDecay::Linear: return "linear";
  case LrDecay::Constant: return "constant";
  }
  return "?";
}

Status LrSchedule::validate() const {
  if (!(maxLr > 0.0))
    return Status::invalidArgument("--lr " + std::to_string(maxLr) +
                                   " should be positive");
  if (minLr < 0.0 || minLr > maxLr)
    return Status::invalidArgument("--min-lr " + std::to_string(minLr) +
                                   " should be in [0, --lr " +
                                   std::to_string(maxLr) + "]");
  if (warmupSteps < 0 || warmupSteps > totalSteps)
    return Status::invalidArgument("--warmup-steps " +
                                   std::to_string(warmupSteps) +
                                   " should be in [0, --steps " +
                                   std::to_string(totalSteps) + "]");
  return Status::ok();
}

double LrSchedule::at(int64_t step) const {
  if (warmupSteps > 0 && step <= warmupSteps)
    return maxLr * double(step) / double(warmupSteps);
  if (decay == LrDecay::Constant)
    return maxLr;
  const int64_t decaySteps = totalSteps - warmupSteps;
  if (decaySteps <= 0)
    return maxLr;
  const double progress =
      std::clamp(double(step - warmupSteps) / double(decaySteps), 0.0, 1.0);
  const double factor = decay == LrDecay::Cosine
                            ? 0.5 * (1.0 + std::cos(M_PI * progress))
                            : 1.0 - progress;
  return minLr + (maxLr - minLr) * factor;
}

} // namespace strata::runtime::training

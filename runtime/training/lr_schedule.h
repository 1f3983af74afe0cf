//===- lr_schedule.h - learning rate per step -------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// NeMo/Megatron's schedules: linear warm-up from 0 over |warmupSteps|, then
// decay from |maxLr| to |minLr| over the remaining steps, cosine or linear,
// or constant. Steps count from 1 (the first optimizer step).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TRAINING_LR_SCHEDULE_H
#define STRATA_RUNTIME_TRAINING_LR_SCHEDULE_H

#include "runtime/support/status.h"

#include <cstdint>
#include <string>

namespace strata::runtime::training {

enum class LrDecay { Cosine, Linear, Constant };

/// "cosine", "linear" or "constant"; an error naming the value otherwise.
StatusOr<LrDecay> parseLrDecay(const std::string &name);
const char *toString(LrDecay decay);

struct LrSchedule {
  double maxLr = 3e-4;
  double minLr = 0.0;
  int64_t warmupSteps = 0;
  int64_t totalSteps = 1;
  LrDecay decay = LrDecay::Cosine;

  /// Errors for negative rates, min > max, warm-up longer than the run.
  Status validate() const;
  /// The rate of optimizer step |step| (1-based).
  double at(int64_t step) const;
};

} // namespace strata::runtime::training

#endif // STRATA_RUNTIME_TRAINING_LR_SCHEDULE_H

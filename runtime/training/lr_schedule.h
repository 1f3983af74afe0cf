//===- lr_schedule.h - learning rate per step -------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// NeMo's learning-rate schedulers (nemo/core/optim/lr_scheduler.py), step
// for step: optimizer step k (1-based) runs at the rate NeMo's scheduler
// gives for last_epoch = k - 1, as under PyTorch Lightning.
//   CosineAnnealing  warm-up (s + 1) / (W + 1), then cosine from lr to
//                    min_lr over max_steps - W; with constant_steps C > 0
//                    Megatron's variant instead: warm-up s / W, cosine over
//                    max_steps - W - C, then min_lr for the last C steps
//   WarmupAnnealing  warm-up, then linear from lr to min_lr at max_steps
//   WarmupPolicy     warm-up, then lr (min_lr after max_steps)
//   constant         warm-up, then lr (NeMo without a scheduler)
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TRAINING_LR_SCHEDULE_H
#define STRATA_RUNTIME_TRAINING_LR_SCHEDULE_H

#include "runtime/support/status.h"

#include <cstdint>
#include <functional>
#include <string>

namespace strata::runtime::training {

enum class LrPolicy { CosineAnnealing, WarmupAnnealing, WarmupPolicy, Constant };

/// NeMo's names (CosineAnnealing, WarmupAnnealing, WarmupPolicy, constant)
/// or --lr-schedule's short ones (cosine, linear, constant); an error naming
/// |what| (the flag or key) and the value otherwise.
StatusOr<LrPolicy> parseLrPolicy(const std::string &name,
                                 const std::string &what = "--lr-schedule");
/// NeMo's name.
const char *toString(LrPolicy policy);

struct LrSchedule {
  LrPolicy policy = LrPolicy::CosineAnnealing;
  double maxLr = 6e-4;         // optim.lr
  double minLr = 0.0;          // optim.sched.min_lr
  int64_t warmupSteps = 0;     // optim.sched.warmup_steps
  int64_t constantSteps = 0;   // optim.sched.constant_steps (cosine only)
  int64_t maxSteps = 1;        // optim.sched.max_steps

  /// How validate() names a field ("lr", "min_lr", "warmup_steps",
  /// "constant_steps", "max_steps") in messages, with its value and where
  /// it came from; the default names the flags.
  using Describe = std::function<std::string(const std::string &field)>;
  /// Errors for rates out of order and negative counts.
  Status validate(const Describe &describe = nullptr) const;
  /// The rate of optimizer step |step| (1-based).
  double at(int64_t step) const;
};

} // namespace strata::runtime::training

#endif // STRATA_RUNTIME_TRAINING_LR_SCHEDULE_H

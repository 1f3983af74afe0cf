//===- lr_schedule.cc - learning rate per step ----------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/lr_schedule.h"

#include <cmath>
#include <cstdio>

namespace strata::runtime::training {

StatusOr<LrPolicy> parseLrPolicy(const std::string &name,
                                 const std::string &what) {
  if (name == "CosineAnnealing" || name == "cosine")
    return LrPolicy::CosineAnnealing;
  if (name == "WarmupAnnealing" || name == "linear")
    return LrPolicy::WarmupAnnealing;
  if (name == "WarmupPolicy")
    return LrPolicy::WarmupPolicy;
  if (name == "constant")
    return LrPolicy::Constant;
  return Status::invalidArgument(
      what + " " + name +
      " is not one of CosineAnnealing (cosine), WarmupAnnealing (linear), "
      "WarmupPolicy, constant");
}

const char *toString(LrPolicy policy) {
  switch (policy) {
  case LrPolicy::CosineAnnealing: return "CosineAnnealing";
  case LrPolicy::WarmupAnnealing: return "WarmupAnnealing";
  case LrPolicy::WarmupPolicy: return "WarmupPolicy";
  case LrPolicy::Constant: return "constant";
  }
  return "?";
}

namespace {

std::string flagOf(const LrSchedule &s, const std::string &field) {
  char value[40];
  if (field == "lr")
    std::snprintf(value, sizeof(value), "--lr %g", s.maxLr);
  else if (field == "min_lr")
    std::snprintf(value, sizeof(value), "--min-lr %g", s.minLr);
  else if (field == "warmup_steps")
    std::snprintf(value, sizeof(value), "--warmup-steps %lld",
                  static_cast<long long>(s.warmupSteps));
  else if (field == "constant_steps")
    std::snprintf(value, sizeof(value), "--constant-steps %lld",
                  static_cast<long long>(s.constantSteps));
  else
    std::snprintf(value, sizeof(value), "--schedule-steps %lld",
                  static_cast<long long>(s.maxSteps));
  return value;
}

} // namespace

Status LrSchedule::validate(const Describe &describe) const {
  auto name = [&](const std::string &field) {
    return describe ? describe(field) : flagOf(*this, field);
  };
  if (!(maxLr > 0.0) || !std::isfinite(maxLr))
    return Status::invalidArgument(name("lr") + " should be positive");
  if (!(minLr >= 0.0) || minLr > maxLr)
    return Status::invalidArgument(name("min_lr") + " should be in [0, " +
                                   name("lr") + "]");
  if (warmupSteps < 0)
    return Status::invalidArgument(name("warmup_steps") +
                                   " should not be negative");
  if (constantSteps < 0)
    return Status::invalidArgument(name("constant_steps") +
                                   " should not be negative");
  if (constantSteps > 0 && policy != LrPolicy::CosineAnnealing)
    return Status::invalidArgument(name("constant_steps") +
                                   " is a setting of CosineAnnealing, not of " +
                                   toString(policy));
  return Status::ok();
}

// No step divides by a decay length of 0 or less: the decay branch runs
// only for W < s <= max_steps (or W + decay), so a warm-up as long as the
// run is fine, as in NeMo.
double LrSchedule::at(int64_t step) const {
  const double s = double(step - 1); // NeMo's last_epoch
  const double w = double(warmupSteps), m = double(maxSteps);
  const double range = maxLr - minLr;
  if (policy == LrPolicy::CosineAnnealing && constantSteps > 0) {
    // Megatron's warm-up, cosine decay, then min_lr (NeMo's
    // _linear_warmup_with_cosine_annealing).
    const double decay = m - w - double(constantSteps);
    if (warmupSteps > 0 && s <= w)
      return maxLr * s / w;
    if (s > w + decay)
      return minLr;
    return minLr + 0.5 * (std::cos(M_PI * (s - w) / decay) + 1.0) * range;
  }
  if (warmupSteps > 0 && s <= w)
    return maxLr * (s + 1.0) / (w + 1.0);
  if (policy == LrPolicy::Constant)
    return maxLr;
  if (s > m)
    return minLr;
  switch (policy) {
  case LrPolicy::CosineAnnealing:
    return minLr + range * 0.5 * (1.0 + std::cos(M_PI * (s - w) / (m - w)));
  case LrPolicy::WarmupAnnealing:
    return minLr + (1.0 - (s - w) / (m - w)) * range;
  default:
    return maxLr;
  }
}

} // namespace strata::runtime::training

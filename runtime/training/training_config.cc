//===- training_config.cc - effective training hyperparameters -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/training_config.h"

#include <cmath>
#include <cstdio>
#include <map>

namespace strata::runtime::training {

namespace {

constexpr const char *kDefault = "built-in default";

std::string numberText(double x) {
  char text[40];
  std::snprintf(text, sizeof(text), "%.10g", x);
  return text;
}

/// The description's settings by key, checked for what this runtime reads.
class DescriptionValues {
public:
  static StatusOr<DescriptionValues>
  check(const std::vector<DescriptionSetting> &settings) {
    static const std::map<std::string, size_t> numberCounts = {
        {"optim.name", 0},
        {"optim.lr", 1},
        {"optim.betas", 2},
        {"optim.eps", 1},
        {"optim.weight_decay", 1},
        {"optim.sched.name", 0},
        {"optim.sched.warmup_steps", 1},
        {"optim.sched.warmup_ratio", 1},
        {"optim.sched.constant_steps", 1},
        {"optim.sched.constant_ratio", 1},
        {"optim.sched.min_lr", 1},
        {"optim.sched.max_steps", 1},
        {"trainer.max_steps", 1},
        {"trainer.val_check_interval", 1},
        {"trainer.limit_val_batches", 1},
        {"trainer.gradient_clip_val", 1},
        {"trainer.log_every_n_steps", 1},
    };
    DescriptionValues values;
    for (const DescriptionSetting &s : settings) {
      auto known = numberCounts.find(s.key);
      if (known == numberCounts.end())
        return Status::dataLoss("the artifact's training setting '" + s.key +
                                "' is unknown to this strata-run");
      if (s.numbers.size() != known->second ||
          (known->second == 0 && s.text.empty()))
        return Status::dataLoss("the artifact's training setting " + s.key +
                                " has " + std::to_string(s.numbers.size()) +
                                " numbers, expected " +
                                std::to_string(known->second));
      for (double x : s.numbers)
        if (!std::isfinite(x))
          return Status::dataLoss("the artifact's training setting " + s.key +
                                  " is not finite");
      values.byKey[s.key] = s;
    }
    return values;
  }

  const DescriptionSetting *find(const std::string &key) const {
    auto it = byKey.find(key);
    return it == byKey.end() ? nullptr : &it->second;
  }

private:
  std::map<std::string, DescriptionSetting> byKey;
};

/// |flag| if given, else the description's |key| (number |index|), else
/// |fallback|.
template <typename T>
Sourced<T> pick(const std::optional<T> &flag, const char *flagName,
                const DescriptionValues &d, const std::string &key,
                T fallback, size_t index = 0) {
  if (flag)
    return {*flag, flagName};
  if (const DescriptionSetting *s = d.find(key))
    return {static_cast<T>(s->numbers[index]), s->source};
  return {fallback, kDefault};
}

struct Row {
  const char *key;
  const char *flag;
  std::string value;
  std::string source;
};

} // namespace

std::vector<DescriptionSetting>
descriptionSettingsOf(const LoadedArtifact &artifact) {
  std::vector<DescriptionSetting> out;
  const auto *list = artifact.root().training_settings();
  if (!list)
    return out;
  for (const auto *s : *list) {
    DescriptionSetting setting;
    setting.key = s->key() ? s->key()->str() : "";
    if (s->numbers())
      setting.numbers.assign(s->numbers()->begin(), s->numbers()->end());
    setting.text = s->text() ? s->text()->str() : "";
    setting.source = s->source() ? s->source()->str() : "";
    out.push_back(std::move(setting));
  }
  return out;
}

StatusOr<TrainingConfig>
resolveTrainingConfig(const std::vector<DescriptionSetting> &settings,
                      const TrainingFlags &f, TrainingMode mode) {
  STRATA_ASSIGN_OR_RETURN(DescriptionValues d,
                          DescriptionValues::check(settings));
  TrainingConfig c;
  c.mode = mode;
  c.steps = pick<int64_t>(f.steps, "--steps", d, "trainer.max_steps", 0);
  if (const DescriptionSetting *name = d.find("optim.name"))
    c.optimizer = {name->text, name->source};
  else
    c.optimizer = {"adamw", kDefault};
  c.lr = pick<double>(f.lr, "--lr", d, "optim.lr", 6e-4);
  c.beta1 = pick<double>(f.beta1, "--beta1", d, "optim.betas", 0.9, 0);
  c.beta2 = pick<double>(f.beta2, "--beta2", d, "optim.betas", 0.999, 1);
  c.eps = pick<double>(f.eps, "--eps", d, "optim.eps", 1e-8);
  // Strata's defaults: decay while training a model, none for the
  // numerics interface (--tokens), as before descriptions set it.
  c.weightDecay = pick<double>(f.weightDecay, "--weight-decay", d,
                               "optim.weight_decay",
                               mode == TrainingMode::Loop ? 0.1 : 0.0);
  c.clipGrad = pick<double>(f.clipGrad, "--clip-grad", d,
                            "trainer.gradient_clip_val", 0.0);
  c.minLr = pick<double>(f.minLr, "--min-lr", d, "optim.sched.min_lr", 0.0);
  if (f.lrSchedule) {
    STRATA_ASSIGN_OR_RETURN(LrPolicy policy, parseLrPolicy(*f.lrSchedule));
    c.policy = {policy, "--lr-schedule"};
  } else if (const DescriptionSetting *name = d.find("optim.sched.name")) {
    STRATA_ASSIGN_OR_RETURN(LrPolicy policy,
                            parseLrPolicy(name->text, "optim.sched.name"));
    c.policy = {policy, name->source};
  } else {
    c.policy = {LrPolicy::CosineAnnealing, kDefault};
  }
  // NeMo's sched.max_steps defaults to trainer.max_steps (here: the run's
  // step count, which --steps may override).
  if (f.scheduleSteps)
    c.scheduleSteps = {*f.scheduleSteps, "--schedule-steps"};
  else if (const DescriptionSetting *s = d.find("optim.sched.max_steps"))
    c.scheduleSteps = {static_cast<int64_t>(s->numbers[0]), s->source};
  else
    c.scheduleSteps = {c.steps.value, c.steps.source};
  // A ratio is of the schedule's length, rounded down as NeMo's int().
  auto ofSchedule = [&](double ratio) {
    return static_cast<int64_t>(ratio * double(c.scheduleSteps.value));
  };
  const DescriptionSetting *warmupRatio = d.find("optim.sched.warmup_ratio");
  if (f.warmupSteps)
    c.warmupSteps = {*f.warmupSteps, "--warmup-steps"};
  else if (f.warmupRatio)
    c.warmupSteps = {ofSchedule(*f.warmupRatio), "--warmup-ratio"};
  else if (warmupRatio)
    c.warmupSteps = {ofSchedule(warmupRatio->numbers[0]),
                     warmupRatio->source + " (warmup_ratio " +
                         numberText(warmupRatio->numbers[0]) + ")"};
  else
    c.warmupSteps = pick<int64_t>(std::nullopt, "", d,
                                  "optim.sched.warmup_steps", 0);
  const DescriptionSetting *constantRatio =
      d.find("optim.sched.constant_ratio");
  if (!f.constantSteps && constantRatio)
    c.constantSteps = {ofSchedule(constantRatio->numbers[0]),
                       constantRatio->source + " (constant_ratio " +
                           numberText(constantRatio->numbers[0]) + ")"};
  else
    c.constantSteps = pick<int64_t>(f.constantSteps, "--constant-steps", d,
                                    "optim.sched.constant_steps", 0);
  c.evalEvery = pick<int64_t>(f.evalEvery, "--eval-every", d,
                              "trainer.val_check_interval", 0);
  c.evalBatches = pick<int64_t>(f.evalSteps, "--eval-steps", d,
                                "trainer.limit_val_batches", 8);
  c.logEvery = pick<int64_t>(f.logEvery, "--log-every", d,
                             "trainer.log_every_n_steps", 10);
  return c;
}

LrSchedule TrainingConfig::schedule() const {
  LrSchedule s;
  s.policy = policy.value;
  s.maxLr = lr.value;
  s.minLr = minLr.value;
  s.warmupSteps = warmupSteps.value;
  s.constantSteps = constantSteps.value;
  s.maxSteps = scheduleSteps.value;
  return s;
}

AdamWHyperparameters TrainingConfig::adamw() const {
  AdamWHyperparameters h;
  h.learningRate = lr.value;
  h.beta1 = beta1.value;
  h.beta2 = beta2.value;
  h.epsilon = eps.value;
  h.weightDecay = weightDecay.value;
  h.clipGradNorm = clipGrad.value;
  return h;
}

namespace {

/// "--lr 0.001" for a flag, "optim.lr 0.001 (tiny.yaml:14)" otherwise.
template <typename T>
std::string located(const char *key, const Sourced<T> &v,
                    const std::string &text) {
  if (v.source.rfind("--", 0) == 0)
    return v.source + " " + text;
  return std::string(key) + " " + text + " (" + v.source + ")";
}

std::string located(const char *key, const Sourced<double> &v) {
  return located(key, v, numberText(v.value));
}
std::string located(const char *key, const Sourced<int64_t> &v) {
  return located(key, v, std::to_string(v.value));
}

} // namespace

Status TrainingConfig::validate() const {
  if (steps.value < 1)
    return Status::invalidArgument(
        steps.source == kDefault
            ? "train needs a step count: --steps N, or trainer.max_steps in "
              "the model description"
            : located("trainer.max_steps", steps) + " should be at least 1");
  auto check = [](bool ok, const std::string &what, const char *rule) {
    return ok ? Status::ok()
              : Status::invalidArgument(what + " should be " + rule);
  };
  STRATA_RETURN_IF_ERROR(check(beta1.value >= 0 && beta1.value < 1,
                               located("optim.betas[0]", beta1), "in [0, 1)"));
  STRATA_RETURN_IF_ERROR(check(beta2.value >= 0 && beta2.value < 1,
                               located("optim.betas[1]", beta2), "in [0, 1)"));
  STRATA_RETURN_IF_ERROR(
      check(eps.value > 0, located("optim.eps", eps), "positive"));
  STRATA_RETURN_IF_ERROR(check(weightDecay.value >= 0,
                               located("optim.weight_decay", weightDecay),
                               "0 or more"));
  STRATA_RETURN_IF_ERROR(check(clipGrad.value >= 0,
                               located("trainer.gradient_clip_val", clipGrad),
                               "0 or more (0: no clipping)"));
  STRATA_RETURN_IF_ERROR(check(evalEvery.value >= 0,
                               located("trainer.val_check_interval", evalEvery),
                               "0 or more (0: never)"));
  STRATA_RETURN_IF_ERROR(check(evalBatches.value >= 1,
                               located("trainer.limit_val_batches",
                                       evalBatches),
                               "at least 1"));
  STRATA_RETURN_IF_ERROR(check(logEvery.value >= 1,
                               located("trainer.log_every_n_steps", logEvery),
                               "at least 1"));
  if (mode == TrainingMode::Tokens)
    return Status::ok(); // a constant rate: no schedule
  return schedule().validate([this](const std::string &field) {
    if (field == "lr")
      return located("optim.lr", lr);
    if (field == "min_lr")
      return located("optim.sched.min_lr", minLr);
    if (field == "warmup_steps")
      return located("optim.sched.warmup_steps", warmupSteps);
    if (field == "constant_steps")
      return located("optim.sched.constant_steps", constantSteps);
    return located("optim.sched.max_steps", scheduleSteps);
  });
}

std::string TrainingConfig::describe() const {
  std::vector<Row> rows;
  auto num = [](double x) { return numberText(x); };
  rows.push_back({"trainer.max_steps", "--steps",
                  steps.value > 0 ? std::to_string(steps.value)
                                  : std::string("(none)"),
                  steps.source});
  rows.push_back({"optim.name", "", optimizer.value, optimizer.source});
  rows.push_back({"optim.lr", "--lr", num(lr.value), lr.source});
  rows.push_back({"optim.betas[0]", "--beta1", num(beta1.value), beta1.source});
  rows.push_back({"optim.betas[1]", "--beta2", num(beta2.value), beta2.source});
  rows.push_back({"optim.eps", "--eps", num(eps.value), eps.source});
  rows.push_back({"optim.weight_decay", "--weight-decay",
                  num(weightDecay.value), weightDecay.source});
  rows.push_back({"trainer.gradient_clip_val", "--clip-grad",
                  num(clipGrad.value), clipGrad.source});
  if (mode == TrainingMode::Loop) {
    rows.push_back({"optim.sched.name", "--lr-schedule",
                    toString(policy.value), policy.source});
    rows.push_back({"optim.sched.warmup_steps", "--warmup-steps",
                    std::to_string(warmupSteps.value), warmupSteps.source});
    rows.push_back({"optim.sched.constant_steps", "--constant-steps",
                    std::to_string(constantSteps.value), constantSteps.source});
    rows.push_back({"optim.sched.min_lr", "--min-lr", num(minLr.value),
                    minLr.source});
    rows.push_back({"optim.sched.max_steps", "--schedule-steps",
                    scheduleSteps.value > 0
                        ? std::to_string(scheduleSteps.value)
                        : std::string("(none)"),
                    scheduleSteps.source});
    rows.push_back({"trainer.val_check_interval", "--eval-every",
                    std::to_string(evalEvery.value), evalEvery.source});
    rows.push_back({"trainer.limit_val_batches", "--eval-steps",
                    std::to_string(evalBatches.value), evalBatches.source});
    rows.push_back({"trainer.log_every_n_steps", "--log-every",
                    std::to_string(logEvery.value), logEvery.source});
  }
  std::string out;
  for (const Row &row : rows) {
    char line[512];
    std::snprintf(line, sizeof(line), "  %-28s %-16s %-16s %s\n", row.key,
                  row.flag, row.value.c_str(), row.source.c_str());
    out += line;
  }
  return out;
}

} // namespace strata::runtime::training

//===- TrainingRules.cpp - Training keys that relate ---------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "frontends/model/TrainingRules.h"

namespace strata::frontend {

namespace {

class TrainingSettingsBuilder {
public:
  explicit TrainingSettingsBuilder(std::vector<TrainingSetting> &out)
      : out(out) {}

  void number(const char *key, const Given<double> &v) {
    if (v.has())
      out.push_back({key, {*v}, "", v.location});
  }
  void number(const char *key, const Given<int64_t> &v) {
    if (v.has())
      out.push_back({key, {double(*v)}, "", v.location});
  }
  void numbers(const char *key, const Given<std::vector<double>> &v) {
    if (v.has())
      out.push_back({key, *v, "", v.location});
  }
  void name(const char *key, const Given<std::string> &v) {
    if (v.has())
      out.push_back({key, {}, *v, v.location});
  }

private:
  std::vector<TrainingSetting> &out;
};

} // namespace

void applyTrainingRules(const Settings &s, DiagnosticSink &sink,
                        ModelDescription &d) {
  const TrainingKeys &t = s.training;
  // torch.optim.Adam adds the decay to the gradient (L2); Strata's AdamW
  // decouples it. Without decay the two are the same.
  if (s.optimizerName.has() && *s.optimizerName == "adam" &&
      t.weightDecay.has() && *t.weightDecay != 0)
    sink.error(s.optimizerName.location,
               "optim.name adam with optim.weight_decay " +
                   t.weightDecay.text + describeLine(t.weightDecay.location) +
                   " is torch.optim.Adam's L2 decay, which Strata does not "
                   "implement; use adamw or fused_adam (decoupled decay, as "
                   "NeMo's GPT configurations do) or weight_decay 0");
  if (t.warmupSteps.has() && t.warmupRatio.has())
    sink.error(t.warmupRatio.location,
               "optim.sched.warmup_ratio " + t.warmupRatio.text +
                   " and warmup_steps " + t.warmupSteps.text +
                   describeLine(t.warmupSteps.location) +
                   " are both given; NeMo takes one or the other");
  if (t.constantSteps.has() && t.constantRatio.has())
    sink.error(t.constantRatio.location,
               "optim.sched.constant_ratio " + t.constantRatio.text +
                   " and constant_steps " + t.constantSteps.text +
                   describeLine(t.constantSteps.location) +
                   " are both given; NeMo takes one or the other");
  const std::string policy = t.schedName.valueOr("");
  const bool constantPhase = (t.constantSteps.has() && *t.constantSteps > 0) ||
                             (t.constantRatio.has() && *t.constantRatio > 0);
  if (constantPhase && t.schedName.has() && policy != "CosineAnnealing") {
    const auto &at =
        t.constantSteps.has() ? t.constantSteps.location : t.constantRatio.location;
    sink.error(at, "optim.sched.constant_steps (or constant_ratio) is a "
                   "setting of CosineAnnealing, not of optim.sched.name " +
                       policy);
  }
  if (t.lr.has() && t.minLr.has() && *t.minLr > *t.lr)
    sink.error(t.minLr.location, "optim.sched.min_lr " + t.minLr.text +
                                     " is above optim.lr " + t.lr.text +
                                     describeLine(t.lr.location));
  TrainingSettingsBuilder add(d.trainingSettings);
  add.name("optim.name", s.optimizerName);
  add.number("optim.lr", t.lr);
  add.numbers("optim.betas", t.betas);
  add.number("optim.eps", t.eps);
  add.number("optim.weight_decay", t.weightDecay);
  if (t.hasOptim && !t.hasSched) {
    // NeMo without a scheduler: optim.lr throughout.
    Given<std::string> constant;
    constant.value = "constant";
    constant.location = t.optimLocation;
    add.name("optim.sched.name", constant);
  } else {
    add.name("optim.sched.name", t.schedName);
  }
  add.number("optim.sched.warmup_steps", t.warmupSteps);
  add.number("optim.sched.warmup_ratio", t.warmupRatio);
  add.number("optim.sched.constant_steps", t.constantSteps);
  add.number("optim.sched.constant_ratio", t.constantRatio);
  add.number("optim.sched.min_lr", t.minLr);
  add.number("optim.sched.max_steps", t.schedMaxSteps);
  add.number("trainer.max_steps", t.maxSteps);
  add.number("trainer.val_check_interval", t.valCheckInterval);
  add.number("trainer.limit_val_batches", t.limitValBatches);
  add.number("trainer.gradient_clip_val", t.gradientClipVal);
  add.number("trainer.log_every_n_steps", t.logEveryNSteps);
}

} // namespace strata::frontend

//===- TrainingSection.cpp - Reading model.optim and trainer keys --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Names follow NeMo: nemo/core/optim/optimizers.py (AVAILABLE_OPTIMIZERS)
// and nemo/core/optim/lr_scheduler.py (AVAILABLE_SCHEDULERS), both
// case-sensitive there and here.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/TrainingSection.h"

#include "frontends/model/EditDistance.h"
#include "frontends/model/KeyTable.h"
#include "frontends/model/ScalarValues.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace strata::frontend {

namespace {

/// NeMo's optimizers that Strata does not run.
const std::vector<std::string_view> kOtherOptimizers = {
    "sgd",      "adadelta", "adamax",   "adagrad",   "rmsprop",
    "rprop",    "novograd", "adafactor", "lamb",     "fused_lamb",
    "radam",    "nadam"};

/// NeMo's schedulers that Strata does not run.
const std::vector<std::string_view> kOtherSchedulers = {
    "WarmupHoldPolicy",
    "SquareAnnealing",
    "NoamAnnealing",
    "NoamHoldAnnealing",
    "InverseSquareRootAnnealing",
    "T5InverseSquareRootAnnealing",
    "SquareRootAnnealing",
    "PolynomialDecayAnnealing",
    "PolynomialHoldDecayAnnealing",
    "StepLR",
    "ExponentialLR",
    "ReduceLROnPlateau",
    "CyclicLR"};

std::string listChoices(const std::vector<std::string_view> &choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i)
    out += (i == 0                    ? ""
            : i + 1 == choices.size() ? " or "
                                      : ", ") +
           std::string(choices[i]);
  return out;
}

/// A name among |supported|; NeMo's other names (|others|) are "not
/// supported", anything else unknown, with a suggestion.
void readName(ValueReader &values, const std::string &name,
              const ResolvedValue &v,
              const std::vector<std::string_view> &supported,
              const std::vector<std::string_view> &others,
              const char *what, Given<std::string> &out) {
  values.readString(name, v, out);
  if (!out.has())
    return;
  const std::string &text = *out;
  auto in = [&](const std::vector<std::string_view> &list) {
    return std::find(list.begin(), list.end(), text) != list.end();
  };
  if (in(supported))
    return;
  DiagnosticSink &sink = values.diagnostics();
  if (in(others)) {
    sink.error(v.location, name + " " + text + " is a NeMo " + what +
                               " that Strata does not support; use " +
                               listChoices(supported));
  } else {
    std::vector<std::string_view> all = supported;
    all.insert(all.end(), others.begin(), others.end());
    std::string message = "unknown " + name + " '" + text + "' (not a NeMo " +
                          what + "); expected " + listChoices(supported);
    std::string close = closestMatch(text, all);
    if (!close.empty())
      message += "; did you mean '" + close + "'?";
    sink.error(v.location, message);
  }
  out.value.reset();
}

enum class Bound { Positive, NonNegative };

std::string shortNumber(double x) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", x);
  return text;
}

/// A number > 0 or >= 0, at most |max| when given.
void readNumber(ValueReader &values, const std::string &name,
                const ResolvedValue &v, Bound bound, Given<double> &out,
                double max = INFINITY, bool maxInclusive = true) {
  if (!ValueReader::begin(v, out))
    return;
  std::optional<double> x;
  if (v->isScalar() && v->plain)
    x = parseYamlFloat(v->text);
  DiagnosticSink &sink = values.diagnostics();
  if (!x || !std::isfinite(*x)) {
    sink.error(v.location, name + " must be a number, got " + describeNode(*v));
    return;
  }
  const bool low = bound == Bound::Positive ? !(*x > 0) : !(*x >= 0);
  const bool high = maxInclusive ? *x > max : *x >= max;
  if (low || high) {
    std::string range = bound == Bound::Positive ? "(0, " : "[0, ";
    range += std::isinf(max) ? std::string("inf)")
                             : shortNumber(max) + (maxInclusive ? "]" : ")");
    sink.error(v.location, name + " must be in " + range + ", got " + v->text);
    return;
  }
  out.value = *x;
}

/// An integer step count; NeMo's -1 (and null) mean "not set".
void readStepCount(ValueReader &values, const std::string &name,
                   const ResolvedValue &v, Given<int64_t> &out) {
  if (!ValueReader::begin(v, out))
    return;
  int64_t parsed = 0;
  if (v->isScalar() && v->plain &&
      parseYamlInteger(v->text, parsed) == IntegerStatus::Ok &&
      parsed == -1) {
    out.null = true; // as NeMo's default: unlimited, given elsewhere
    return;
  }
  values.readInt(name, v, out, IntRange::Positive);
}

/// An integer count of steps or batches; a float (NeMo: a fraction of an
/// epoch or of the validation set) has no Strata meaning and is ignored with
/// a warning.
void readCountOrFraction(ValueReader &values, const std::string &name,
                         const ResolvedValue &v, const char *flag,
                         Given<int64_t> &out) {
  int64_t parsed = 0;
  if (v->isScalar() && v->plain &&
      parseYamlInteger(v->text, parsed) != IntegerStatus::Ok &&
      parseYamlFloat(v->text)) {
    values.diagnostics().warning(
        v.location, name + " " + v->text +
                        " is a fraction (of an epoch or of the validation "
                        "data), which Strata ignores: it counts in steps; "
                        "give an integer or strata-run train " +
                        flag);
    return;
  }
  values.readInt(name, v, out, IntRange::Positive);
}

void readBetas(ValueReader &values, const std::string &name,
               const ResolvedValue &v, Given<std::vector<double>> &out) {
  if (!ValueReader::begin(v, out))
    return;
  out.text = renderFlow(*v);
  DiagnosticSink &sink = values.diagnostics();
  if (!v->isSequence() || v->items.size() != 2) {
    sink.error(v.location, name + " must be a list of two numbers [beta1, "
                                  "beta2], got " +
                               describeNode(*v));
    return;
  }
  std::vector<double> betas;
  for (const auto &item : v->items) {
    std::optional<ResolvedValue> resolved = values.resolveUsed(name, *item);
    if (!resolved)
      return;
    Given<double> beta;
    readNumber(values, name + " entries", *resolved, Bound::NonNegative, beta,
               1.0, /*maxInclusive=*/false);
    if (!beta.has())
      return;
    betas.push_back(*beta);
  }
  out.value = std::move(betas);
}

void readSched(ValueReader &values, const ResolvedValue &sched,
               TrainingKeys &keys) {
  keys.hasSched = true;
  keys.schedLocation = sched.location;
  values.readSection(
      Section::OptimSched, "optim.sched.", *sched,
      [&](const std::string &key, const std::string &name,
          const ResolvedValue &v) {
        if (key == "name")
          readName(values, name, v, supportedSchedulerNames(),
                   kOtherSchedulers, "scheduler", keys.schedName);
        else if (key == "warmup_steps")
          values.readInt(name, v, keys.warmupSteps, IntRange::NonNegative);
        else if (key == "constant_steps")
          values.readInt(name, v, keys.constantSteps, IntRange::NonNegative);
        else if (key == "max_steps")
          readStepCount(values, name, v, keys.schedMaxSteps);
        else if (key == "warmup_ratio")
          readNumber(values, name, v, Bound::NonNegative, keys.warmupRatio, 1);
        else if (key == "constant_ratio")
          readNumber(values, name, v, Bound::NonNegative, keys.constantRatio,
                     1);
        else if (key == "min_lr")
          readNumber(values, name, v, Bound::NonNegative, keys.minLr);
      });
}

} // namespace

const std::vector<std::string_view> &supportedOptimizerNames() {
  static const std::vector<std::string_view> names = {
      "adamw", "fused_adam", "distributed_fused_adam",
      "mcore_distributed_optim", "megatron_fused_adam", "adam"};
  return names;
}

const std::vector<std::string_view> &supportedSchedulerNames() {
  static const std::vector<std::string_view> names = {
      "CosineAnnealing", "WarmupAnnealing", "WarmupPolicy", "constant"};
  return names;
}

void readOptim(ValueReader &values, const ResolvedValue &optim,
               TrainingKeys &keys, Given<std::string> &optimizerName) {
  if (optim->isNull() || !values.expectMapping("optim", optim))
    return;
  keys.hasOptim = true;
  keys.optimLocation = optim.location;
  values.readSection(
      Section::Optim, "optim.", *optim,
      [&](const std::string &key, const std::string &name,
          const ResolvedValue &v) {
        if (key == "name")
          readName(values, name, v, supportedOptimizerNames(),
                   kOtherOptimizers, "optimizer", optimizerName);
        else if (key == "lr")
          readNumber(values, name, v, Bound::Positive, keys.lr);
        else if (key == "eps")
          readNumber(values, name, v, Bound::Positive, keys.eps);
        else if (key == "weight_decay")
          readNumber(values, name, v, Bound::NonNegative, keys.weightDecay);
        else if (key == "betas")
          readBetas(values, name, v, keys.betas);
        else if (key == "sched" && !v->isNull() &&
                 values.expectMapping(name, v))
          readSched(values, v, keys);
      });
}

bool readTrainerTrainingKey(ValueReader &values, const std::string &key,
                            const ResolvedValue &v, TrainingKeys &keys) {
  const std::string name = "trainer." + key;
  if (key == "max_steps")
    readStepCount(values, name, v, keys.maxSteps);
  else if (key == "val_check_interval")
    readCountOrFraction(values, name, v, "--eval-every",
                        keys.valCheckInterval);
  else if (key == "limit_val_batches")
    readCountOrFraction(values, name, v, "--eval-steps", keys.limitValBatches);
  else if (key == "log_every_n_steps")
    values.readInt(name, v, keys.logEveryNSteps, IntRange::Positive);
  else if (key == "gradient_clip_val")
    readNumber(values, name, v, Bound::NonNegative, keys.gradientClipVal);
  else
    return false;
  return true;
}

} // namespace strata::frontend

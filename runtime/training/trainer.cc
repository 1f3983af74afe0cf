//===- trainer.cc - the training loop -------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/trainer.h"

#include "runtime/training/checkpoint_store.h"
#include "runtime/training/progress.h"
#include "runtime/training/scaled_step.h"
#include "runtime/training/tensorboard/event_file_writer.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <cmath>
#include <memory>
#include <optional>

namespace strata::runtime::training {

namespace {

std::string number(double value) {
  if (!std::isfinite(value))
    return "null";
  char text[40];
  std::snprintf(text, sizeof(text), "%.17g", value);
  return text;
}

Status checkOptions(const TrainingOptions &o, const ModelProgram &program,
                    int64_t globalBatch) {
  if (o.steps < 1)
    return Status::invalidArgument("--steps " + std::to_string(o.steps) +
                                   " should be at least 1");
  if (globalBatch < 1 || globalBatch % program.microBatchSize() != 0)
    return Status::invalidArgument(
        "--batch-size " + std::to_string(globalBatch) +
        " is not a multiple of the micro-batch size " +
        std::to_string(program.microBatchSize()) +
        " the artifact was compiled for");
  if (o.saveEvery < 0 || o.evalEvery < 0 || o.sampleEvery < 0)
    return Status::invalidArgument("--save-every, --eval-every and "
                                   "--sample-every must not be negative");
  if ((o.saveEvery > 0 || o.resume) && o.checkpointDir.empty())
    return Status::invalidArgument(
        std::string(o.resume ? "--resume" : "--save-every") +
        " needs --checkpoint-dir");
  return o.schedule.validate();
}

} // namespace

StatusOr<ValidationLoss> validationLoss(Executor &executor,
                                        ModelProgram &program,
                                        TrainingData &data, int64_t batches) {
  const bool dropout = executor.options().dropout;
  executor.setDropout(false);
  StatusOr<ValidationLoss> loss = data.validate(program, batches);
  executor.setDropout(dropout);
  return loss;
}

StatusOr<TrainingSummary> runTraining(Executor &executor, ModelProgram &program,
                                      TrainingData &data,
                                      const TrainingOptions &o,
                                      const SampleFunction &sample) {
  const std::string &dataFingerprint = data.fingerprint();
  const int64_t globalBatch =
      o.globalBatch > 0 ? o.globalBatch : program.globalBatchSize();
  STRATA_RETURN_IF_ERROR(checkOptions(o, program, globalBatch));
  const LrSchedule &schedule = o.schedule;

  std::optional<CheckpointStore> store;
  if (!o.checkpointDir.empty())
    store.emplace(o.checkpointDir, o.keepLast);
  TrainerState state;
  state.seed = o.seed;
  state.model = modelFingerprint(executor);
  state.data = dataFingerprint;
  state.base = o.base;
  if (store && !o.resume) {
    if (std::optional<std::string> existing = store->latest())
      return Status::failedPrecondition(
          "--checkpoint-dir " + o.checkpointDir + " already holds " +
          *existing + ": continue it with --resume, or train into another "
          "directory");
  }
  if (o.resume) {
    std::optional<std::string> latest = store->latest();
    if (!latest) {
      std::fprintf(o.out, "no checkpoint in %s: starting from step 0\n",
                   o.checkpointDir.c_str());
    } else {
      STRATA_ASSIGN_OR_RETURN(
          state, CheckpointStore::load(executor, *latest, o.base));
      if (state.data != dataFingerprint)
        return Status::failedPrecondition(
            *latest + " was trained on other data (" + state.data +
            ") than this run's (" + dataFingerprint + ")");
      if (state.seed != o.seed)
        return Status::failedPrecondition(
            *latest + " was trained with --seed " + std::to_string(state.seed) +
            ", this run has --seed " + std::to_string(o.seed));
      std::fprintf(o.out, "resuming from %s (step %lld)\n", latest->c_str(),
                   static_cast<long long>(state.step));
    }
  }
  // f16: the dynamic loss scaler, from the artifact's settings or the
  // checkpoint's state.
  STRATA_ASSIGN_OR_RETURN(
      std::optional<LossScalerSettings> scalerSettings,
      lossScalerSettingsOf(executor, program, o.minLossScale));
  std::optional<DynamicLossScaler> scaler;
  if (scalerSettings) {
    scaler.emplace(*scalerSettings);
    if (state.lossScaler) {
      if (Status restored = scaler->restore(*state.lossScaler);
          !restored.isOk())
        return restored.withContext("--resume from " + o.checkpointDir);
    } else if (state.step > 0) {
      return Status::dataLoss("the checkpoint at step " +
                              std::to_string(state.step) + " in " +
                              o.checkpointDir +
                              " has no loss scaler state, which an f16 "
                              "program's checkpoint holds");
    }
  }
  if (state.step >= o.steps) {
    std::fprintf(o.out, "the checkpoint is at step %lld of --steps %lld: "
                        "nothing left to train\n",
                 static_cast<long long>(state.step),
                 static_cast<long long>(o.steps));
    TrainingSummary done;
    done.firstStep = done.lastStep = state.step;
    return done;
  }

  std::optional<MetricsWriter> metrics;
  std::string metricsPath = o.metricsPath;
  if (metricsPath.empty() && store)
    metricsPath = o.checkpointDir + "/metrics.jsonl";
  // One rank writes the metrics (every rank computes the same numbers).
  if (!metricsPath.empty() && executor.mesh().isFirst()) {
    if (store) {
      std::error_code ec;
      std::filesystem::create_directories(o.checkpointDir, ec);
    }
    STRATA_ASSIGN_OR_RETURN(MetricsWriter writer,
                            MetricsWriter::open(metricsPath));
    metrics.emplace(std::move(writer));
  }
  // TensorBoard's event file beside the metrics (a new one per run, as
  // TensorBoard expects), with the same values.
  std::optional<EventFileWriter> events;
  if (metrics && EventFileWriter::isAvailable()) {
    std::string directory =
        std::filesystem::path(metricsPath).parent_path().string();
    STRATA_ASSIGN_OR_RETURN(
        EventFileWriter writer,
        EventFileWriter::open(directory.empty() ? "." : directory));
    events.emplace(std::move(writer));
  }

  const int64_t tokensPerStep = globalBatch * program.seqLength();
  ProgressReporter progress(o.steps, state.step, tokensPerStep, o.logEvery,
                            o.terminal, o.out);
  TrainingSummary summary;
  summary.firstStep = state.step;
  const auto start = std::chrono::steady_clock::now();
  executor.setDropout(true);

  auto evaluate = [&](int64_t step) -> Status {
    STRATA_ASSIGN_OR_RETURN(
        ValidationLoss loss,
        validationLoss(executor, program, data,
                       std::max<int64_t>(o.evalBatches, 1)));
    summary.lastValidationLoss = loss.loss;
    summary.lastValidationParts = loss.parts;
    char line[256];
    std::snprintf(line, sizeof(line), "step %lld: validation loss %.4f",
                  static_cast<long long>(step), loss.loss);
    std::string text = line, parts;
    for (const auto &[name, value] : loss.parts) {
      std::snprintf(line, sizeof(line), "%s%s %.4f", parts.empty() ? "" : ", ",
                    name.c_str(), value);
      parts += line;
    }
    if (!parts.empty())
      text += " (" + parts + ")";
    progress.message(text);
    if (metrics) {
      std::string record = "{\"step\":" + std::to_string(step) +
                           ",\"val_loss\":" + number(loss.loss);
      if (!loss.parts.empty()) {
        record += ",\"val_loss_by_task\":{";
        for (size_t i = 0; i < loss.parts.size(); ++i)
          record += (i ? "," : "") +
                    nlohmann::json(loss.parts[i].first).dump() + ":" +
                    number(loss.parts[i].second);
        record += "}";
      }
      metrics->write(record + "}");
    }
    if (events) {
      std::vector<std::pair<std::string, double>> scalars = {
          {"val_loss", loss.loss}};
      for (const auto &[task, value] : loss.parts)
        scalars.emplace_back("val_loss/" + task, value);
      STRATA_RETURN_IF_ERROR(events->write(step, scalars));
    }
    return Status::ok();
  };
  if (o.evaluateAtStart && o.evalEvery > 0 && state.step == 0)
    STRATA_RETURN_IF_ERROR(evaluate(0));

  for (int64_t step = state.step + 1; step <= o.steps; ++step) {
    const TrainingBatch batch = data.batch(state.samplesConsumed, globalBatch);
    AdamWHyperparameters hyper = o.adamw;
    hyper.learningRate = schedule.at(step);
    STRATA_ASSIGN_OR_RETURN(
        ScaledStep scaled,
        std::visit(
            [&](const auto &rows) {
              return runScaledStep(program, scaler ? &*scaler : nullptr, rows,
                                   hyper, step);
            },
            batch));
    const StepResult &result = scaled.result;
    if (!std::isfinite(result.loss))
      return Status::failedPrecondition(
          "the loss became " + number(result.loss) + " at step " +
          std::to_string(step) + " (learning rate " +
          number(hyper.learningRate) + "); try a lower --lr or --clip-grad");
    state.step = step;
    state.samplesConsumed += globalBatch;
    state.rngCounter = executor.rngCounter();
    if (scaler)
      state.lossScaler = scaler->state();
    summary.lastStep = step;
    summary.lastLoss = result.loss;
    std::string scaling;
    if (scaler) {
      summary.skippedSteps = scaler->skippedSteps();
      summary.lossScale = scaler->scale();
      scaling = "scale " + number(scaled.lossScale) + (scaled.skipped
                    ? " skipped" : "") + " (" +
                std::to_string(scaler->skippedSteps()) + " skipped)";
    }
    progress.step(step, result.loss, hyper.learningRate, result.gradNorm,
                  scaling);
    // One reading for both logs, so they agree.
    const double tokensPerSecond = progress.tokensPerSecond();
    if (metrics) {
      const double elapsed = std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
      metrics->write("{\"step\":" + std::to_string(step) +
                     ",\"loss\":" + number(result.loss) +
                     ",\"lr\":" + number(hyper.learningRate) +
                     ",\"grad_norm\":" + number(result.gradNorm) +
                     ",\"tokens\":" + std::to_string(step * tokensPerStep) +
                     ",\"tokens_per_s\":" + number(tokensPerSecond) +
                     ",\"elapsed_s\":" + number(elapsed) +
                     (scaler ? ",\"loss_scale\":" + number(scaled.lossScale) +
                                   ",\"skipped\":" +
                                   (scaled.skipped ? "true" : "false") +
                                   ",\"skipped_steps\":" +
                                   std::to_string(scaler->skippedSteps())
                             : std::string()) +
                     "}");
    }
    if (events) {
      std::vector<std::pair<std::string, double>> scalars = {
          {"loss", result.loss},
          {"lr", hyper.learningRate},
          {"grad_norm", result.gradNorm},
          {"tokens_per_s", tokensPerSecond}};
      if (scaler) {
        scalars.emplace_back("loss_scale", scaled.lossScale);
        scalars.emplace_back("skipped_steps", double(scaler->skippedSteps()));
      }
      STRATA_RETURN_IF_ERROR(events->write(step, scalars));
    }
    const bool last = step == o.steps;
    if (o.evalEvery > 0 && (step % o.evalEvery == 0 || last))
      STRATA_RETURN_IF_ERROR(evaluate(step));
    if (sample && o.sampleEvery > 0 && (step % o.sampleEvery == 0 || last)) {
      STRATA_ASSIGN_OR_RETURN(std::string text, sample(step));
      if (!text.empty())
        progress.message("sample at step " + std::to_string(step) + ": " + text);
    }
    if (store && ((o.saveEvery > 0 && step % o.saveEvery == 0) || last)) {
      state.rngCounter = executor.rngCounter();
      STRATA_ASSIGN_OR_RETURN(std::string path, store->save(executor, state));
      progress.message("saved " + path);
    }
  }
  progress.finish();
  summary.tokensPerSecond = progress.tokensPerSecond();
  return summary;
}

} // namespace strata::runtime::training

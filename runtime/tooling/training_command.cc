//===- training_command.cc - strata-run train --data ----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/training_command.h"

#include "runtime/tooling/rank_setup.h"
#include "runtime/tooling/terminal_output.h"
#include "runtime/tooling/training_data_setup.h"

#include "runtime/executor/adapter_parameters.h"
#include "runtime/executor/artifact_prompt_tasks.h"
#include "runtime/executor/parameters.h"
#include "runtime/inference/sampling.h"
#include "runtime/io/file_io.h"
#include "runtime/tokenizer/text_stream.h"
#include "runtime/tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

#ifndef STRATA_DEFAULT_TOKENIZER_DIR
#define STRATA_DEFAULT_TOKENIZER_DIR "data/gpt2-tokenizer"
#endif

namespace strata::runtime {

namespace {

/// Text continuing --sample-prompt every --sample-every steps, from the
/// training artifact's forward (full context, no KV cache: a few dozen
/// tokens).
training::SampleFunction freeTextSampler(Executor &executor,
                                         ModelProgram &program,
                                         const tokenizer::Tokenizer &tokenizer,
                                         const DataTrainingOptions &o) {
  return [&executor, &program, &tokenizer,
          &o](int64_t step) -> StatusOr<std::string> {
    std::vector<int32_t> context = tokenizer.encode(o.samplePrompt);
    inference::SamplingOptions sampling;
    sampling.temperature = 0.8;
    sampling.topK = 40;
    sampling.seed = o.loop.seed;
    const int64_t width = program.seqLength() + 1;
    for (int64_t i = 0; i < o.sampleTokens; ++i) {
      // The newest seq tokens in row 0; the other rows are padding.
      const size_t keep = std::min<size_t>(context.size(), program.seqLength());
      io::HostTensor batch(io::DType::I32, {program.microBatchSize(), width});
      std::copy(context.end() - keep, context.end(), batch.data<int32_t>());
      const bool dropout = executor.options().dropout;
      executor.setDropout(false);
      StatusOr<Evaluation> evaluation = program.evaluate(batch);
      executor.setDropout(dropout);
      if (!evaluation.isOk())
        return evaluation.status();
      std::vector<float> row(static_cast<size_t>(program.vocabSize()));
      for (int64_t v = 0; v < program.vocabSize(); ++v) // f32 or f64 programs
        row[v] = static_cast<float>(evaluation->logits.elementAsDouble(
            (static_cast<int64_t>(keep) - 1) * program.vocabSize() + v));
      const float *logits = row.data();
      const int32_t next = inference::sampleToken(
          logits, program.vocabSize(), tokenizer.vocabSize(), sampling,
          static_cast<uint64_t>(step), static_cast<uint64_t>(i));
      if (next == tokenizer.endOfTextId())
        break;
      context.push_back(next);
    }
    // Valid UTF-8 for the progress log: a cut character is U+FFFD.
    tokenizer::TextStream stream(tokenizer);
    std::string text;
    for (int32_t id : context)
      text += stream.push(id);
    text += stream.finish();
    for (char &c : text)
      if (c == '\n')
        c = ' ';
    return text;
  };
}

} // namespace

Status runPrintTrainingConfig(const std::string &artifact,
                              const training::TrainingFlags &flags,
                              training::TrainingMode mode) {
  STRATA_ASSIGN_OR_RETURN(LoadedArtifact loaded, loadArtifact(artifact));
  STRATA_ASSIGN_OR_RETURN(
      training::TrainingConfig config,
      training::resolveTrainingConfig(training::descriptionSettingsOf(loaded),
                                      flags, mode));
  std::printf("training configuration of %s (%s):\n", artifact.c_str(),
              mode == training::TrainingMode::Loop
                  ? "--data"
                  : "--tokens: a constant learning rate");
  std::printf("  %-28s %-16s %-16s %s\n", "key", "flag", "value", "source");
  std::fputs(config.describe().c_str(), stdout);
  return config.validate();
}

std::string resolveTokenizerDirectory(const std::string &flag) {
  if (!flag.empty())
    return flag;
  if (const char *env = std::getenv("STRATA_TOKENIZER_DIR"); env && *env)
    return env;
  return STRATA_DEFAULT_TOKENIZER_DIR;
}

Status runDataTrainingCommand(DataTrainingOptions o) {
  std::FILE *out = stdout;
  STRATA_ASSIGN_OR_RETURN(RankArtifact loaded,
                          rankSetup().loadArtifact(o.artifact));
  ExecutorOptions executorOptions;
  executorOptions.dropout = true;
  executorOptions.seed = o.loop.seed;
  executorOptions.mesh = loaded.mesh;
  STRATA_ASSIGN_OR_RETURN(Backend * backend, rankSetup().backend(o.threads));
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<Executor> executor,
      Executor::create(std::move(loaded.artifact), *backend, executorOptions));
  STRATA_ASSIGN_OR_RETURN(ModelProgram program,
                          ModelProgram::create(*executor));
  if (!program.canTrain())
    return Status::failedPrecondition(
        o.artifact + " is not a training artifact (compile with "
                     "--compile-to=training)");
  const std::string recompile = " (the artifact fixes it; recompile with ";
  if (o.microBatchSize != 0 && o.microBatchSize != program.microBatchSize())
    return Status::invalidArgument(
        "--micro-batch-size " + std::to_string(o.microBatchSize) +
        " differs from the artifact's " +
        std::to_string(program.microBatchSize()) + recompile +
        "model.micro_batch_size=" + std::to_string(o.microBatchSize) + ")");
  if (o.seqLength != 0 && o.seqLength != program.seqLength())
    return Status::invalidArgument(
        "--seq-len " + std::to_string(o.seqLength) +
        " differs from the "
        "artifact's " +
        std::to_string(program.seqLength()) + recompile +
        "model.encoder_seq_length=" + std::to_string(o.seqLength) + ")");
  const int64_t globalBatch =
      o.loop.globalBatch > 0 ? o.loop.globalBatch : program.globalBatchSize();
  if (globalBatch % program.microBatchSize() != 0)
    return Status::invalidArgument(
        "--batch-size " + std::to_string(globalBatch) +
        " is not a multiple of the micro-batch size " +
        std::to_string(program.microBatchSize()));
  STRATA_ASSIGN_OR_RETURN(
      training::TrainingConfig config,
      training::resolveTrainingConfig(
          training::descriptionSettingsOf(executor->artifact()), o.flags,
          training::TrainingMode::Loop));
  STRATA_RETURN_IF_ERROR(config.validate());
  o.loop.steps = config.steps.value;
  o.loop.schedule = config.schedule();
  o.loop.adamw = config.adamw();
  o.loop.evalEvery = config.evalEvery.value;
  o.loop.evalBatches = config.evalBatches.value;
  o.loop.logEvery = config.logEvery.value;

  // Initial parameters; a resume overwrites them from the checkpoint.
  if (hasAdapters(executor->artifact())) {
    if (!o.checkpoint.empty())
      return Status::invalidArgument(
          o.artifact + " trains adapters on a frozen base: give the base "
                       "with --base-checkpoint (or the description's "
                       "language_model_path), not --checkpoint");
    STRATA_ASSIGN_OR_RETURN(
        std::string basePath,
        resolveBasePath(executor->artifact(), o.baseCheckpoint));
    STRATA_ASSIGN_OR_RETURN(
        BaseModel base, loadBaseCheckpoint(*executor, basePath, o.loop.seed));
    std::fprintf(out, "base model: %s (%s), frozen\n", base.path.c_str(),
                 base.fingerprint.c_str());
    o.loop.base = base;
    // The baseline: the frozen base with untrained adapters.
    o.loop.evaluateAtStart = true;
  } else if (!o.baseCheckpoint.empty()) {
    return Status::invalidArgument(
        "--base-checkpoint is for models with adapters (prompt learning, "
        "LoRA); " +
        o.artifact + " has none");
  } else if (o.checkpoint.empty()) {
    STRATA_RETURN_IF_ERROR(initializeParameters(*executor, o.loop.seed));
  } else {
    STRATA_RETURN_IF_ERROR(loadHfCheckpoint(*executor, o.checkpoint));
  }

  DataFiles files;
  files.data = o.data;
  files.validationData = o.validationData;
  files.tokenizerDirectory = resolveTokenizerDirectory(o.tokenizer);
  files.cacheDirectory = o.cacheDir;
  files.validationFraction = o.validationFraction;
  STRATA_ASSIGN_OR_RETURN(tokenizer::Tokenizer tokenizer,
                          tokenizer::Tokenizer::load(files.tokenizerDirectory));
  if (tokenizer.vocabSize() > program.vocabSize())
    return Status::invalidArgument(
        "the tokenizer in " + files.tokenizerDirectory + " has " +
        std::to_string(tokenizer.vocabSize()) + " ids but " + o.artifact +
        " has a vocabulary of " + std::to_string(program.vocabSize()));
  STRATA_ASSIGN_OR_RETURN(PromptTaskSet tasks,
                          promptTasksOf(executor->artifact()));
  const bool promptData = !tasks.tasks.empty();
  std::unique_ptr<training::TrainingData> data;
  if (promptData) {
    if (o.loop.sampleEvery > 0)
      return Status::invalidArgument(
          "--sample-every continues free text, which " + o.artifact +
          " (a prompt-learning model) does not take: try the tasks with "
          "strata-run generate --task");
    if (o.loop.evalEvery > 0 && o.validationData.empty())
      return Status::invalidArgument(
          "--eval-every needs --validation-data FILE.jsonl: the validation "
          "examples of " +
          o.artifact + "'s tasks");
    STRATA_ASSIGN_OR_RETURN(data,
                            loadPromptData(files, tasks, tokenizer, program,
                                           globalBatch, o.loop.seed, out));
  } else {
    STRATA_ASSIGN_OR_RETURN(data,
                            loadCorpusData(files, tokenizer, program,
                                           globalBatch, o.loop.seed, out));
  }
  o.loop.globalBatch = globalBatch;
  o.loop.out = out;
  o.loop.terminal = isLiveTerminal(out);
  training::SampleFunction sample;
  if (!promptData)
    sample = freeTextSampler(*executor, program, tokenizer, o);
  STRATA_ASSIGN_OR_RETURN(
      training::TrainingSummary summary,
      training::runTraining(*executor, program, *data, o.loop, sample));
  std::fprintf(out, "done: step %lld, loss %.4f",
               static_cast<long long>(summary.lastStep), summary.lastLoss);
  if (summary.lastValidationLoss >= 0) {
    std::fprintf(out, ", validation loss %.4f", summary.lastValidationLoss);
    for (const auto &[task, loss] : summary.lastValidationParts)
      std::fprintf(out, " (%s %.4f)", task.c_str(), loss);
  }
  if (summary.tokensPerSecond > 0)
    std::fprintf(out, ", %.0f tokens/s", summary.tokensPerSecond);
  if (program.scalesLoss())
    std::fprintf(out, ", loss scale %.10g (%lld steps skipped)",
                 summary.lossScale,
                 static_cast<long long>(summary.skippedSteps));
  std::fprintf(out, "\n");
  return Status::ok();
}

} // namespace strata::runtime

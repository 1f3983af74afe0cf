//===- numerics_commands.cc - strata-run eval | grad | train --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/numerics_commands.h"

#include "runtime/executor/adapter_parameters.h"
#include "runtime/executor/parameters.h"
#include "runtime/inference/sequence_loss.h"
#include "runtime/io/hf_checkpoint.h"
#include "runtime/io/npy.h"
#include "runtime/io/safetensors.h"
#include "runtime/tooling/rank_setup.h"
#include "runtime/training/scaled_step.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>

namespace strata::runtime {

namespace {

/// An executor with its parameters from the checkpoint (or initialized),
/// dropout off, and the program's entry points.
struct LoadedModel {
  std::unique_ptr<Executor> executor;
  std::unique_ptr<ModelProgram> program;

  ~LoadedModel() {
    if (!executor || !executor->options().profile)
      return;
    double total = 0.0;
    for (const KernelProfile &k : executor->profile())
      total += k.seconds;
    std::printf("%-24s %8s %10s %6s\n", "kernel", "calls", "seconds", "%");
    for (const KernelProfile &k : executor->profile())
      std::printf("%-24s %8lld %10.4f %5.1f%%\n", k.kernel.c_str(),
                  static_cast<long long>(k.calls), k.seconds,
                  total > 0 ? 100.0 * k.seconds / total : 0.0);
  }
};

/// |inferenceToo|: an inference artifact loads without a program (eval);
/// otherwise it is refused.
StatusOr<std::unique_ptr<LoadedModel>> loadModel(const NumericsOptions &o,
                                                 bool inferenceToo = false) {
  if (o.checkpoint.empty() && !o.baseCheckpoint.empty())
    return Status::invalidArgument(
        "--base-checkpoint is the base of an adapter --checkpoint; none is "
        "given");
  auto model = std::make_unique<LoadedModel>();
  STRATA_ASSIGN_OR_RETURN(RankArtifact loaded,
                          rankSetup().loadArtifact(o.artifact));
  ExecutorOptions executorOptions;
  executorOptions.dropout = false;
  executorOptions.seed = o.seed;
  executorOptions.profile = o.profile;
  executorOptions.mesh = loaded.mesh;
  STRATA_ASSIGN_OR_RETURN(Backend * backend, rankSetup().backend(o.threads));
  STRATA_ASSIGN_OR_RETURN(
      model->executor,
      Executor::create(std::move(loaded.artifact), *backend, executorOptions));
  if (o.checkpoint.empty())
    STRATA_RETURN_IF_ERROR(initializeParameters(*model->executor, o.seed));
  else
    STRATA_RETURN_IF_ERROR(
        loadModelCheckpoint(*model->executor, o.checkpoint, o.baseCheckpoint));
  // An inference artifact (prefill and decode) has no program: eval scores
  // it through decode (runInferenceEval).
  if (inferenceToo && !model->executor->findFunction("forward") &&
      model->executor->findFunction("decode"))
    return model;
  STRATA_ASSIGN_OR_RETURN(ModelProgram program,
                          ModelProgram::create(*model->executor));
  model->program = std::make_unique<ModelProgram>(std::move(program));
  return model;
}

/// The token batch of --tokens, checked against the model (rows a multiple
/// of the micro-batch); errors name the file.
StatusOr<io::HostTensor> readTokens(const NumericsOptions &o,
                                    const ModelProgram &program) {
  StatusOr<io::HostTensor> tokens = io::readNpy(o.tokens);
  if (!tokens.isOk())
    return tokens.status();
  Status fits = program.checkTokens(*tokens, program.microBatchSize(),
                                    "the model's micro-batch");
  if (!fits.isOk())
    return fits.withContext(o.tokens);
  return tokens;
}

/// |path|'s .npy as int32 (int64 narrowed), errors naming the file.
StatusOr<io::HostTensor> readIds(const std::string &path) {
  STRATA_ASSIGN_OR_RETURN(io::HostTensor t, io::readNpy(path));
  if (t.dtype() == io::DType::I32)
    return t;
  if (t.dtype() != io::DType::I64)
    return Status::invalidArgument(path +
                                   ": ids should be int32 or int64, "
                                   "got " +
                                   io::toString(t.dtype()));
  io::HostTensor narrow(io::DType::I32, t.shape());
  for (int64_t i = 0; i < t.numElements(); ++i)
    narrow.data<int32_t>()[i] = static_cast<int32_t>(t.data<int64_t>()[i]);
  return narrow;
}

/// The batch of --tokens [rows, seq + 1] (next-token labels), or of
/// --tokens, --labels [rows, seq] and --virtual-tokens.
StatusOr<TokenBatch> readBatch(const NumericsOptions &o,
                               const ModelProgram &program) {
  if (o.labels.empty()) {
    if (!o.virtualTokens.empty())
      return Status::invalidArgument(
          "--virtual-tokens needs --labels (then --tokens is [rows, seq])");
    STRATA_ASSIGN_OR_RETURN(io::HostTensor tokens, readTokens(o, program));
    return nextTokenBatch(tokens);
  }
  TokenBatch batch;
  STRATA_ASSIGN_OR_RETURN(batch.tokens, readIds(o.tokens));
  STRATA_ASSIGN_OR_RETURN(batch.labels, readIds(o.labels));
  if (!o.virtualTokens.empty()) {
    STRATA_ASSIGN_OR_RETURN(batch.virtualTokens, readIds(o.virtualTokens));
  }
  STRATA_RETURN_IF_ERROR(program
                             .checkBatch(batch, program.microBatchSize(),
                                         "the model's micro-batch")
                             .withContext(o.tokens));
  return batch;
}

/// Whether the command feeds explicit batches (--labels, or a model whose
/// forward takes virtual tokens) rather than a token file's rows.
bool usesExplicitBatch(const NumericsOptions &o, const ModelProgram &program) {
  return !o.labels.empty() || program.takesVirtualTokens();
}

/// A scalar in |dtype| (F32 or F64).
io::HostTensor scalar(double value, io::DType dtype) {
  io::HostTensor t(dtype, {});
  if (dtype == io::DType::F64)
    t.data<double>()[0] = value;
  else
    t.data<float>()[0] = static_cast<float>(value);
  return t;
}

/// Writes |tensors| to |path| from the first rank only (every rank holds
/// the same whole results).
Status writeResults(const std::string &path, const io::TensorMap &tensors) {
  return rankSetup().isFirstRank() ? io::writeSafetensors(path, tensors)
                                   : Status::ok();
}

/// The type losses are written in: F64 for F64 programs, F32 otherwise
/// (16-bit programs compute the loss in F32).
io::DType lossTypeOf(const Executor &executor) {
  const auto table = parameterTable(executor.artifact());
  return !table.empty() && table.front().dtype == io::DType::F64
             ? io::DType::F64
             : io::DType::F32;
}

} // namespace

/// eval of a --mode infer artifact: the loss of --tokens by teacher forcing
/// through decode (what generation runs, quantized weights included); no
/// logits are written.
Status runInferenceEval(const NumericsOptions &o, Executor &executor) {
  STRATA_ASSIGN_OR_RETURN(io::HostTensor tokens, io::readNpy(o.tokens));
  StatusOr<inference::SequenceLoss> scored =
      inference::decodeSequenceLoss(executor, tokens);
  if (!scored.isOk())
    return scored.status().withContext(o.tokens);
  std::printf("loss %.6f over %lld tokens (decode)\n", scored->loss,
              static_cast<long long>(scored->tokens));
  io::TensorMap out;
  out.emplace("loss", scalar(scored->loss, io::DType::F32));
  return writeResults(o.out, out);
}

Status runEvalCommand(const NumericsOptions &o) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<LoadedModel> model,
                          loadModel(o, /*inferenceToo=*/true));
  if (!model->program)
    return runInferenceEval(o, *model->executor);
  ModelProgram &program = *model->program;
  // Pipeline stages take token files only.
  const bool explicitBatch = usesExplicitBatch(o, program);
  Evaluation evaluation;
  int64_t rows = 0;
  if (explicitBatch) {
    STRATA_ASSIGN_OR_RETURN(TokenBatch batch, readBatch(o, program));
    rows = batch.rows();
    STRATA_ASSIGN_OR_RETURN(evaluation, program.evaluate(batch));
  } else {
    STRATA_ASSIGN_OR_RETURN(io::HostTensor tokens, readTokens(o, program));
    rows = tokens.shape()[0];
    STRATA_ASSIGN_OR_RETURN(evaluation, program.evaluate(tokens));
  }
  io::TensorMap out;
  out.emplace("logits", std::move(evaluation.logits));
  out.emplace("loss", scalar(evaluation.loss, lossTypeOf(*model->executor)));
  std::printf("loss %.6f over %lld tokens\n", evaluation.loss,
              static_cast<long long>(rows * program.seqLength()));
  return writeResults(o.out, out);
}

Status runGradCommand(const NumericsOptions &o) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<LoadedModel> model, loadModel(o));
  ModelProgram &program = *model->program;
  double loss = 0.0;
  if (usesExplicitBatch(o, program)) {
    STRATA_ASSIGN_OR_RETURN(TokenBatch batch, readBatch(o, program));
    STRATA_ASSIGN_OR_RETURN(loss, program.computeGradients(batch));
  } else {
    STRATA_ASSIGN_OR_RETURN(io::HostTensor tokens, readTokens(o, program));
    STRATA_ASSIGN_OR_RETURN(loss, program.computeGradients(tokens));
  }
  STRATA_ASSIGN_OR_RETURN(io::HfFamily family,
                          hfFamilyOf(model->executor->artifact()));
  STRATA_ASSIGN_OR_RETURN(io::TensorMap grads, readGradients(*model->executor));
  // Only the first rank holds every stage's gradients (pipeline parallel).
  if (!rankSetup().isFirstRank())
    return Status::ok();
  STRATA_ASSIGN_OR_RETURN(io::TensorMap hfGrads,
                          io::toHuggingFace(grads, family));
  io::TensorMap out;
  out.emplace("loss", scalar(loss, lossTypeOf(*model->executor)));
  for (auto &[name, grad] : hfGrads)
    out.emplace("grad." + name, std::move(grad));
  std::printf("loss %.6f, %zu gradients\n", loss, hfGrads.size());
  return writeResults(o.out, out);
}

Status runTrainCommand(const NumericsOptions &o, const TrainOptions &train) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<LoadedModel> model, loadModel(o));
  ModelProgram &program = *model->program;
  if (!program.canTrain())
    return Status::failedPrecondition(
        o.artifact + " is not a training artifact (compile with "
                     "--compile-to=training)");
  STRATA_ASSIGN_OR_RETURN(
      training::TrainingConfig config,
      training::resolveTrainingConfig(
          training::descriptionSettingsOf(model->executor->artifact()),
          train.flags, training::TrainingMode::Tokens));
  STRATA_RETURN_IF_ERROR(config.validate());
  const int64_t steps = config.steps.value;
  const AdamWHyperparameters hyper = config.adamw();
  // Token files feed every artifact; explicit batches single-stage ones.
  const bool explicitBatch = usesExplicitBatch(o, program);
  io::HostTensor tokens;
  TokenBatch rowsBatch;
  if (explicitBatch) {
    STRATA_ASSIGN_OR_RETURN(rowsBatch, readBatch(o, program));
  } else {
    STRATA_ASSIGN_OR_RETURN(tokens, readTokens(o, program));
  }
  const int64_t rows = explicitBatch ? rowsBatch.rows() : tokens.shape()[0];
  const int64_t batch = program.globalBatchSize();
  if (rows != steps * batch)
    return Status::invalidArgument(
        o.tokens + " has " + std::to_string(rows) + " rows; " +
        std::to_string(steps) + " steps of global batch " +
        std::to_string(batch) + " (micro-batch " +
        std::to_string(program.microBatchSize()) + " x " +
        std::to_string(program.microBatches()) + ") need " +
        std::to_string(steps * batch));
  STRATA_ASSIGN_OR_RETURN(std::optional<training::LossScalerSettings> scaling,
                          training::lossScalerSettingsOf(
                              *model->executor, program, train.minLossScale));
  std::optional<training::DynamicLossScaler> scaler;
  if (scaling)
    scaler.emplace(*scaling);
  io::HostTensor losses(lossTypeOf(*model->executor), {steps});
  for (int64_t step = 1; step <= steps; ++step) {
    const auto start = std::chrono::steady_clock::now();
    training::ScaledStep scaled;
    if (explicitBatch) {
      STRATA_ASSIGN_OR_RETURN(
          scaled,
          training::runScaledStep(program, scaler ? &*scaler : nullptr,
                                  rowsOf(rowsBatch, (step - 1) * batch, batch),
                                  hyper, step));
    } else {
      const int64_t width = tokens.shape()[1];
      io::HostTensor slice(tokens.dtype(), {batch, width});
      const size_t bytes = slice.byteSize();
      std::memcpy(slice.bytes(), tokens.bytes() + (step - 1) * bytes, bytes);
      STRATA_ASSIGN_OR_RETURN(
          scaled, training::runScaledStep(program, scaler ? &*scaler : nullptr,
                                          slice, hyper, step));
    }
    const StepResult &result = scaled.result;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    std::printf(
        "step %lld/%lld loss %.6f grad_norm %.4f", static_cast<long long>(step),
        static_cast<long long>(steps), result.loss, result.gradNorm);
    if (scaler)
      std::printf(" loss_scale %.10g%s", scaled.lossScale,
                  scaled.skipped ? " skipped" : "");
    std::printf(" (%.3f s)\n", seconds);
    std::fflush(stdout);
    if (losses.dtype() == io::DType::F64)
      losses.data<double>()[step - 1] = result.loss;
    else
      losses.data<float>()[step - 1] = static_cast<float>(result.loss);
  }
  STRATA_RETURN_IF_ERROR(saveHfCheckpoint(*model->executor, train.save));
  if (!o.out.empty()) {
    io::TensorMap out;
    out.emplace("loss", std::move(losses));
    STRATA_RETURN_IF_ERROR(writeResults(o.out, out));
  }
  return Status::ok();
}

} // namespace strata::runtime

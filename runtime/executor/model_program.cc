//===- model_program.cc - token batches into function calls ---------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/model_program.h"

#include "runtime/executor/pipeline_program.h"

#include <cstring>
#include <sstream>

namespace strata::runtime {

namespace {

std::vector<int64_t> shapeOf(const artifact::Buffer &buffer) {
  return std::vector<int64_t>(buffer.shape()->begin(), buffer.shape()->end());
}

} // namespace

StatusOr<ModelProgram> ModelProgram::create(Executor &executor) {
  ModelProgram program(executor);
  const std::string &path = executor.artifact().path();
  program.microBatches_ = executor.root().micro_batches();
  if (program.microBatches_ < 1)
    return Status::dataLoss(path + ": micro_batches is 0");
  program.dataParallel_ = dataParallelOf(executor.mesh());
  if (executor.root().pipeline_stage() >= 0) {
    STRATA_ASSIGN_OR_RETURN(
        std::unique_ptr<PipelineProgram> pipeline,
        PipelineProgram::create(executor, program.dataParallel_));
    program.microBatch_ = pipeline->microBatchSize();
    program.seq_ = pipeline->seqLength();
    program.vocab_ = pipeline->vocabSize();
    program.pipeline_ = std::move(pipeline);
  } else {
    STRATA_RETURN_IF_ERROR(program.checkSingleStage());
  }
  if (program.canTrain())
    STRATA_RETURN_IF_ERROR(program.checkOptimizerStep());
  return program;
}

Status ModelProgram::checkSingleStage() {
  Executor &executor = *executor_;
  const std::string &path = executor.artifact().path();
  STRATA_ASSIGN_OR_RETURN(forward_, executor.function("forward"));
  const PreparedFunction &forward = *forward_;
  auto bad = [&](const PreparedFunction &f, const std::string &what) {
    return Status::dataLoss(path + ": function " + f.name + " " + what);
  };
  // A prompt-learning model's forward also takes virtual tokens, its
  // fourth argument (frontends/tfmgen/TfmGen.h).
  virtualTokens_ = forward.arguments.size() == 4;
  const size_t inputs = virtualTokens_ ? 4 : 3;
  if (forward.arguments.size() != inputs || forward.results.size() != 2)
    return bad(forward, "should take (tokens, positions, labels[, "
                        "virtual_tokens]) and return (logits, loss)");
  const std::vector<int64_t> tokenShape =
      shapeOf(executor.buffer(forward.arguments[0]));
  const std::vector<int64_t> logitsShape =
      shapeOf(executor.buffer(forward.results[0]));
  if (tokenShape.size() != 2 || logitsShape.size() != 3 ||
      logitsShape[0] != tokenShape[0] || logitsShape[1] != tokenShape[1])
    return bad(forward, "should map tokens [batch, seq] to logits [batch, "
                        "seq, vocab], got " +
                            io::shapeToString(tokenShape) + " -> " +
                            io::shapeToString(logitsShape));
  for (uint32_t id : forward.arguments)
    if (shapeOf(executor.buffer(id)) != tokenShape ||
        executor.buffer(id).dtype() != artifact::DType::I32)
      return bad(forward, "arguments should all be I32 " +
                              io::shapeToString(tokenShape));
  microBatch_ = tokenShape[0];
  seq_ = tokenShape[1];
  vocab_ = executor.resultDimension(forward, 0, 2);
  reduceGradients_ = executor.findFunction("reduce_gradients");
  if (dataParallel_.size > 1 && !reduceGradients_)
    return Status::dataLoss(path + ": a data-parallel artifact without a "
                                   "reduce_gradients function");

  forwardBackward_ = executor.findFunction("forward_backward");
  if (!forwardBackward_)
    return Status::ok();
  const PreparedFunction &fb = *forwardBackward_;
  if (fb.arguments.size() != inputs + 1 || fb.results.size() != 1)
    return bad(fb, "should take (tokens, positions, labels[, virtual_tokens], "
                   "loss_scale) and return the loss");
  for (size_t i = 0; i < inputs; ++i)
    if (shapeOf(executor.buffer(fb.arguments[i])) != tokenShape)
      return bad(fb, "takes tokens of another shape than forward");
  STRATA_ASSIGN_OR_RETURN(zeroGrads_, executor.function("zero_grads"));
  return Status::ok();
}

Status ModelProgram::checkOptimizerStep() {
  STRATA_ASSIGN_OR_RETURN(optimizerStep_,
                          executor_->function("optimizer_step"));
  auto bad = [&](const std::string &what) {
    return Status::dataLoss(executor_->artifact().path() + ": function " +
                            optimizerStep_->name + " " + what);
  };
  // f16 programs take the loss scale as an eighth argument: the optimizer
  // divides the gradients by it.
  scalesLoss_ = optimizerStep_->arguments.size() == 8;
  if (optimizerStep_->arguments.size() != (scalesLoss_ ? 8u : 7u) ||
      optimizerStep_->results.size() != 1)
    return bad("should take (lr, beta1, beta2, eps, weight_decay, "
               "max_grad_norm, step[, loss_scale]) and return the gradient "
               "norm");
  for (uint32_t id : optimizerStep_->arguments)
    if (!shapeOf(executor_->buffer(id)).empty())
      return bad("arguments should be scalars");
  return Status::ok();
}

bool ModelProgram::canTrain() const {
  return pipeline_ ? pipeline_->canTrain() : forwardBackward_ != nullptr;
}

Status ModelProgram::checkTokens(const io::HostTensor &tokens,
                                 int64_t rowsMultiple, const char *what) const {
  if (tokens.dtype() != io::DType::I32 && tokens.dtype() != io::DType::I64)
    return Status::invalidArgument(std::string("tokens should be int32 or "
                                               "int64, got ") +
                                   io::toString(tokens.dtype()));
  const auto &shape = tokens.shape();
  if (shape.size() != 2 || shape[1] != seq_ + 1)
    return Status::invalidArgument(
        "tokens have shape " + io::shapeToString(shape) + "; the model " +
        executor_->artifact().path() + " needs [rows, " +
        std::to_string(seq_ + 1) + "] (seq_length " + std::to_string(seq_) +
        " + 1 for the shifted targets)");
  if (shape[0] == 0 || shape[0] % rowsMultiple != 0)
    return Status::invalidArgument(
        "tokens have " + std::to_string(shape[0]) + " rows; " + what +
        " needs a positive multiple of " + std::to_string(rowsMultiple));
  for (int64_t i = 0; i < tokens.numElements(); ++i) {
    const int64_t id = tokens.dtype() == io::DType::I32
                           ? tokens.data<int32_t>()[i]
                           : tokens.data<int64_t>()[i];
    if (id < 0 || id >= vocab_)
      return Status::invalidArgument(
          "token " + std::to_string(id) + " at row " +
          std::to_string(i / shape[1]) + ", column " +
          std::to_string(i % shape[1]) + " is outside the vocabulary [0, " +
          std::to_string(vocab_) + ")");
  }
  return Status::ok();
}

Status ModelProgram::checkBatch(const TokenBatch &batch, int64_t rowsMultiple,
                                const char *what) const {
  if (pipeline_)
    return Status::unimplemented(
        executor_->artifact().path() +
        " is a pipeline stage: batches of explicit labels and virtual tokens "
        "are not run under pipeline parallelism yet");
  if (virtualTokens_ && !batch.hasVirtualTokens())
    return Status::invalidArgument(executor_->artifact().path() +
                                   " takes virtual tokens (a prompt-learning "
                                   "model) and the batch has none");
  if (!virtualTokens_ && batch.hasVirtualTokens())
    return Status::invalidArgument(executor_->artifact().path() +
                                   " has no virtual tokens; the batch has");
  return checkTokenBatch(batch, seq_, vocab_, rowsMultiple, what);
}

StatusOr<Evaluation> ModelProgram::evaluate(const io::HostTensor &tokens,
                                            bool keepLogits) {
  STRATA_RETURN_IF_ERROR(checkTokens(tokens, microBatch_, "evaluation"));
  if (pipeline_)
    return pipeline_->evaluate(tokens, keepLogits);
  return evaluateRows(nextTokenBatch(tokens), keepLogits);
}

StatusOr<Evaluation> ModelProgram::evaluate(const TokenBatch &batch,
                                            bool keepLogits) {
  STRATA_RETURN_IF_ERROR(checkBatch(batch, microBatch_, "evaluation"));
  return evaluateRows(batch, keepLogits);
}

StatusOr<Evaluation> ModelProgram::evaluateRows(const TokenBatch &batch,
                                                bool keepLogits) {
  const int64_t rows = batch.rows();
  const artifact::Buffer &logits = executor_->buffer(forward_->results[0]);
  Evaluation out;
  if (keepLogits)
    out.logits = io::HostTensor(toIoDType(logits.dtype()), {rows, seq_, vocab_});
  double lossSum = 0.0;
  for (int64_t row = 0; row < rows; row += microBatch_) {
    STRATA_RETURN_IF_ERROR(writeMicroBatch(*executor_, *forward_, batch, row,
                                           microBatch_, seq_, virtualTokens_));
    STRATA_RETURN_IF_ERROR(executor_->run(*forward_));
    STRATA_ASSIGN_OR_RETURN(const double loss,
                            readScalar(*executor_, forward_->results[1]));
    lossSum += loss;
    if (keepLogits) {
      STRATA_ASSIGN_OR_RETURN(io::HostTensor whole,
                              executor_->readResult(*forward_, 0));
      std::memcpy(out.logits.bytes() + (row / microBatch_) * whole.byteSize(),
                  whole.bytes(), whole.byteSize());
    }
  }
  out.loss = lossSum / double(rows / microBatch_);
  return out;
}

Status ModelProgram::checkCanTrain() const {
  if (canTrain())
    return Status::ok();
  return Status::failedPrecondition(
      executor_->artifact().path() +
      (pipeline_ ? " has no forward_step / backward_step functions"
                 : " has no forward_backward function") +
      " (compile with --compile-to=training)");
}

const char *ModelProgram::gradientRows() const {
  return dataParallel_.size > 1 ? "a gradient (micro-batch x data_parallel_size)"
                                : "a gradient";
}

StatusOr<double> ModelProgram::computeGradients(const io::HostTensor &tokens,
                                                double lossScale) {
  STRATA_RETURN_IF_ERROR(checkCanTrain());
  STRATA_RETURN_IF_ERROR(
      checkTokens(tokens, microBatch_ * dataParallel_.size, gradientRows()));
  if (pipeline_)
    return pipeline_->computeGradients(tokens, lossScale);
  return gradientsOf(nextTokenBatch(tokens), lossScale);
}

StatusOr<double> ModelProgram::computeGradients(const TokenBatch &batch,
                                                double lossScale) {
  STRATA_RETURN_IF_ERROR(checkCanTrain());
  STRATA_RETURN_IF_ERROR(
      checkBatch(batch, microBatch_ * dataParallel_.size, gradientRows()));
  return gradientsOf(batch, lossScale);
}

StatusOr<double> ModelProgram::gradientsOf(const TokenBatch &batch,
                                           double lossScale) {
  // Every micro-batch of the global batch weighs 1 / chunks; this dp rank
  // runs its own block of them, and the sum over dp ranks is the mean.
  const int64_t chunks = batch.rows() / microBatch_;
  const int64_t localChunks = chunks / dataParallel_.size;
  const int64_t firstChunk = dataParallel_.rank * localChunks;
  STRATA_RETURN_IF_ERROR(executor_->run(*zeroGrads_));
  // Dropout masks are drawn per global micro-batch (the counter of the
  // step's first call plus the micro-batch's index in the global batch), so
  // a dp rank drops exactly what a single rank does for the same rows.
  const bool draws =
      forwardBackward_->usesRandomness && executor_->options().dropout;
  const uint64_t firstCall = executor_->rngCounter();
  double lossSum = 0.0;
  for (int64_t chunk = firstChunk; chunk < firstChunk + localChunks; ++chunk) {
    STRATA_RETURN_IF_ERROR(writeMicroBatch(*executor_, *forwardBackward_,
                                           batch, chunk * microBatch_,
                                           microBatch_, seq_, virtualTokens_));
    STRATA_RETURN_IF_ERROR(writeScalar(*executor_,
                                       forwardBackward_->arguments.back(),
                                       lossScale / double(chunks)));
    if (draws)
      executor_->setRngCounter(firstCall + uint64_t(chunk));
    STRATA_RETURN_IF_ERROR(executor_->run(*forwardBackward_));
    STRATA_ASSIGN_OR_RETURN(
        const double loss,
        readScalar(*executor_, forwardBackward_->results[0]));
    lossSum += loss;
  }
  if (draws)
    executor_->setRngCounter(firstCall + uint64_t(chunks));
  if (dataParallel_.size > 1) {
    STRATA_RETURN_IF_ERROR(executor_->run(*reduceGradients_));
    STRATA_RETURN_IF_ERROR(
        dataParallel_.group
            ->allReduce(&lossSum, 1, ElementType::F64, ReduceOp::Sum)
            .withContext("the data-parallel loss"));
  }
  return lossSum / double(chunks);
}

Status ModelProgram::checkLossScale(double lossScale) const {
  if (lossScale == 1.0 || scalesLoss_)
    return Status::ok();
  return Status::invalidArgument(
      executor_->artifact().path() + " does not unscale its gradients "
      "(an f16 program does); it cannot train with loss scale " +
      std::to_string(lossScale));
}

StatusOr<StepResult> ModelProgram::trainStep(const io::HostTensor &tokens,
                                             const AdamWHyperparameters &hyper,
                                             int64_t step, double lossScale) {
  STRATA_RETURN_IF_ERROR(checkCanTrain());
  STRATA_RETURN_IF_ERROR(checkLossScale(lossScale));
  StepResult result;
  STRATA_ASSIGN_OR_RETURN(result.loss, computeGradients(tokens, lossScale));
  STRATA_ASSIGN_OR_RETURN(result.gradNorm,
                          runOptimizerStep(hyper, step, lossScale));
  return result;
}

StatusOr<StepResult> ModelProgram::trainStep(const TokenBatch &batch,
                                             const AdamWHyperparameters &hyper,
                                             int64_t step, double lossScale) {
  STRATA_RETURN_IF_ERROR(checkLossScale(lossScale));
  StepResult result;
  STRATA_ASSIGN_OR_RETURN(result.loss, computeGradients(batch, lossScale));
  STRATA_ASSIGN_OR_RETURN(result.gradNorm,
                          runOptimizerStep(hyper, step, lossScale));
  return result;
}

StatusOr<double>
ModelProgram::runOptimizerStep(const AdamWHyperparameters &hyper,
                               int64_t step, double lossScale) {
  const std::vector<uint32_t> &args = optimizerStep_->arguments;
  const double values[7] = {hyper.learningRate, hyper.beta1,
                            hyper.beta2,        hyper.epsilon,
                            hyper.weightDecay,  hyper.clipGradNorm,
                            static_cast<double>(step)};
  for (size_t i = 0; i < 7; ++i)
    STRATA_RETURN_IF_ERROR(writeScalar(*executor_, args[i], values[i]));
  if (scalesLoss_)
    STRATA_RETURN_IF_ERROR(writeScalar(*executor_, args[7], lossScale));
  STRATA_RETURN_IF_ERROR(executor_->run(*optimizerStep_));
  return readScalar(*executor_, optimizerStep_->results[0]);
}

} // namespace strata::runtime

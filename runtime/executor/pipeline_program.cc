//===- pipeline_program.cc - one pipeline stage's entry points ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/pipeline_program.h"

#include "common/pipeline_schedule.h"
#include "runtime/executor/shared_gradients.h"

#include <cstring>

namespace strata::runtime {

namespace {

std::vector<int64_t> shapeOf(const artifact::Buffer &buffer) {
  return std::vector<int64_t>(buffer.shape()->begin(), buffer.shape()->end());
}

/// backward_step.c takes forward_backward's arguments (tokens, positions,
/// labels, loss_scale), then forward_step.c's saved values.
constexpr size_t kLossScaleArgument = 3;
constexpr size_t kFirstSavedArgument = 4;

std::string chunkName(const char *function, int chunk) {
  return std::string(function) + "." + std::to_string(chunk);
}

} // namespace

StatusOr<std::unique_ptr<PipelineProgram>>
PipelineProgram::create(Executor &executor, const DataParallel &dataParallel) {
  std::unique_ptr<PipelineProgram> program(new PipelineProgram(executor));
  const std::string &path = executor.artifact().path();
  const artifact::Artifact &root = executor.root();
  program->group_ = pipelineGroupOf(executor.mesh());
  program->dataParallel_ = dataParallel;
  const PipelineGroup &group = program->group_;
  const std::vector<LoadedArtifact> &stages =
      executor.artifact().pipelineStages();
  if (root.pipeline_stage() < 0 || root.pipeline_stage() != group.stage ||
      int64_t(stages.size()) != group.stages)
    return Status::failedPrecondition(
        path + ": pipeline stage " + std::to_string(root.pipeline_stage()) +
        " of " + std::to_string(stages.size()) + " run as stage " +
        std::to_string(group.stage) + " of a pp axis of " +
        std::to_string(group.stages) +
        " (load the pipeline artifact, which picks each rank's stage)");
  program->chunks_.resize(std::max<uint32_t>(root.pipeline_chunks(), 1));
  for (int c = 0; c < int(program->chunks_.size()); ++c)
    STRATA_RETURN_IF_ERROR(program->checkChunk(c));

  // The logits come from the last stage's last chunk; every stage learns
  // their shape from that stage's program.
  const LoadedArtifact &last = stages.back();
  const std::string lossChunk =
      chunkName("forward", int(program->chunks_.size()) - 1);
  const artifact::Function *lastForward = last.findFunction(lossChunk);
  if (!lastForward || !lastForward->results() ||
      lastForward->results()->size() != 2)
    return Status::dataLoss(last.path() + ": function " + lossChunk +
                            " should return (logits, loss)");
  const artifact::Buffer &logits =
      *last.root().buffers()->Get(lastForward->results()->Get(0));
  if (!logits.shape() || logits.shape()->size() != 3)
    return Status::dataLoss(last.path() + ": function " + lossChunk +
                            " returns logits of rank other than 3");
  program->vocab_ = logits.shape()->Get(2);
  program->logitsType_ = toIoDType(logits.dtype());
  const auto *splitDims = lastForward->result_split_dims();
  const auto *splitAxes = lastForward->result_split_axes();
  if (splitDims && splitAxes && splitDims->size() > 0 &&
      splitAxes->size() > 0 && splitDims->Get(0) == 2 &&
      splitAxes->Get(0) >= 0 &&
      size_t(splitAxes->Get(0)) < executor.mesh().shape.size())
    program->vocab_ *= executor.mesh().shape[splitAxes->Get(0)];

  if (program->canTrain()) {
    STRATA_ASSIGN_OR_RETURN(program->zeroGrads_,
                            executor.function("zero_grads"));
    program->reduceGradients_ = executor.findFunction("reduce_gradients");
    if (dataParallel.size > 1 && !program->reduceGradients_)
      return Status::dataLoss(path + ": a data-parallel artifact without a "
                                     "reduce_gradients function");
  }

  // A stage whose layers have no dropout still sets the counters, so that
  // every stage's counter stays the single rank's.
  double draws[2] = {0.0, 0.0};
  for (const Chunk &chunk : program->chunks_) {
    draws[0] = std::max(draws[0], chunk.forward->usesRandomness ? 1.0 : 0.0);
    for (const auto *steps : {&chunk.forwardSteps, &chunk.backwardSteps})
      for (const PreparedFunction *step : *steps)
        draws[1] = std::max(draws[1], step->usesRandomness ? 1.0 : 0.0);
  }
  if (group.isPipelined())
    STRATA_RETURN_IF_ERROR(
        group.communicator->allReduce(draws, 2, ElementType::F64, ReduceOp::Max)
            .withContext(path + ": the stages' dropout"));
  program->forwardDraws_ = draws[0] > 0;
  program->stepDraws_ = draws[1] > 0;
  return program;
}

Status PipelineProgram::checkChunk(int c) {
  Executor &executor = *executor_;
  const std::string &path = executor.artifact().path();
  Chunk &chunk = chunks_[c];
  auto bad = [&](const PreparedFunction &f, const std::string &what) {
    return Status::dataLoss(path + ": function " + f.name + " " + what);
  };
  STRATA_ASSIGN_OR_RETURN(chunk.forward,
                          executor.function(chunkName("forward", c)));
  const PreparedFunction &forward = *chunk.forward;
  if (forward.arguments.size() != 3)
    return bad(forward, "should take (tokens, positions, labels)");
  const std::vector<int64_t> tokenShape =
      shapeOf(executor.buffer(forward.arguments[0]));
  if (c == 0) {
    if (tokenShape.size() != 2)
      return bad(forward, "should take tokens [batch, seq], got " +
                              io::shapeToString(tokenShape));
    microBatch_ = tokenShape[0];
    seq_ = tokenShape[1];
  }
  const std::vector<int64_t> expected = {microBatch_, seq_};
  auto checkInputs = [&](const PreparedFunction &f) -> Status {
    for (size_t i = 0; i < 3; ++i)
      if (shapeOf(executor.buffer(f.arguments[i])) != expected ||
          executor.buffer(f.arguments[i]).dtype() != artifact::DType::I32)
        return bad(f, "arguments should all be I32 " +
                          io::shapeToString(expected));
    return Status::ok();
  };
  STRATA_RETURN_IF_ERROR(checkInputs(forward));
  const size_t forwardResults = isLossChunk(c) ? 2 : 0;
  if (forward.results.size() != forwardResults)
    return bad(forward, isLossChunk(c)
                            ? "should return (logits, loss)"
                            : "should return nothing (not the last chunk)");
  if (isLossChunk(c)) {
    const std::vector<int64_t> logits =
        shapeOf(executor.buffer(forward.results[0]));
    if (logits.size() != 3 || logits[0] != microBatch_ || logits[1] != seq_ ||
        !shapeOf(executor.buffer(forward.results[1])).empty())
      return bad(forward, "should return logits [batch, seq, vocab] and a "
                          "scalar loss, got logits " +
                              io::shapeToString(logits));
  }

  // A training stage's step functions: one variant per stash slot, which
  // the loader checked are slot 0's with other saved-value buffers.
  const auto *slots = executor.root().pipeline_stash_slots();
  const uint32_t count =
      slots && uint32_t(c) < slots->size() ? slots->Get(c) : 0;
  for (uint32_t s = 0; s < count; ++s) {
    const std::string slot = "." + std::to_string(s);
    STRATA_ASSIGN_OR_RETURN(
        const PreparedFunction *step,
        executor.function(chunkName("forward_step", c) + slot));
    STRATA_ASSIGN_OR_RETURN(
        const PreparedFunction *back,
        executor.function(chunkName("backward_step", c) + slot));
    chunk.forwardSteps.push_back(step);
    chunk.backwardSteps.push_back(back);
  }
  if (count == 0 && executor.findFunction(chunkName("forward_step", c)))
    return Status::failedPrecondition(
        path + ": the pipeline stage keeps its saved values outside the "
               "arena (artifact format 0.5); recompile the model");
  if (count == 0)
    return Status::ok();
  const PreparedFunction &step = *chunk.forwardSteps.front();
  const PreparedFunction &back = *chunk.backwardSteps.front();
  if (step.arguments.size() != 3)
    return bad(step, "should take (tokens, positions, labels)");
  STRATA_RETURN_IF_ERROR(checkInputs(step));
  const size_t firstSaved = isLossChunk(c) ? 1 : 0;
  if (step.results.size() < firstSaved ||
      (isLossChunk(c) && !shapeOf(executor.buffer(step.results[0])).empty()))
    return bad(step, "should return the micro-batch's loss first");
  const size_t saved = step.results.size() - firstSaved;
  if (back.arguments.size() != kFirstSavedArgument + saved ||
      !back.results.empty())
    return bad(back, "should take (tokens, positions, labels, loss_scale, "
                     "the " +
                         std::to_string(saved) + " values " + step.name +
                         " saves) and return nothing, takes " +
                         std::to_string(back.arguments.size()) + " arguments");
  STRATA_RETURN_IF_ERROR(checkInputs(back));
  if (!shapeOf(executor.buffer(back.arguments[kLossScaleArgument])).empty())
    return bad(back, "should take a scalar loss_scale after the labels");
  return Status::ok();
}

void PipelineProgram::useCounterOf(int64_t global) {
  if (drawing_)
    executor_->setRngCounter(firstCounter_ + uint64_t(global));
}

StatusOr<Evaluation> PipelineProgram::evaluate(const io::HostTensor &tokens,
                                               bool keepLogits) {
  const int64_t rows = tokens.shape()[0];
  const int64_t microBatches = rows / microBatch_;
  Evaluation out;
  if (keepLogits)
    out.logits = io::HostTensor(logitsType_, {rows, seq_, vocab_});
  drawing_ = forwardDraws_ && executor_->options().dropout;
  firstCounter_ = executor_->rngCounter();
  const PreparedFunction &lossForward = *chunks_.back().forward;
  double lossSum = 0.0;
  for (int64_t m = 0; m < microBatches; ++m) {
    // The chunks in order: chunk c + 1 of stage 0 waits for chunk c of the
    // last stage, whose Send does not wait for it.
    for (const Chunk &chunk : chunks_) {
      STRATA_RETURN_IF_ERROR(writeMicroBatch(*executor_, *chunk.forward, tokens,
                                             m * microBatch_, microBatch_,
                                             seq_));
      useCounterOf(m);
      STRATA_RETURN_IF_ERROR(executor_->run(*chunk.forward));
    }
    if (!group_.isLastStage())
      continue;
    STRATA_ASSIGN_OR_RETURN(const double loss,
                            readScalar(*executor_, lossForward.results[1]));
    lossSum += loss;
    if (keepLogits) {
      STRATA_ASSIGN_OR_RETURN(io::HostTensor whole,
                              executor_->readResult(lossForward, 0));
      std::memcpy(out.logits.bytes() + m * whole.byteSize(), whole.bytes(),
                  whole.byteSize());
    }
  }
  // No message outlives the evaluation.
  STRATA_RETURN_IF_ERROR(executor_->completeSends());
  useCounterOf(microBatches);
  STRATA_RETURN_IF_ERROR(
      shareEvaluation(lossSum, keepLogits ? &out.logits : nullptr));
  out.loss = lossSum / double(microBatches);
  return out;
}

Status PipelineProgram::shareEvaluation(double &lossSum,
                                        io::HostTensor *logits) {
  if (!group_.isPipelined())
    return Status::ok();
  const int64_t last = group_.stages - 1;
  const auto tag = PipelineTag::Evaluation;
  if (!group_.isLastStage()) {
    STRATA_RETURN_IF_ERROR(
        recvFromStage(group_, &lossSum, sizeof(lossSum), last, tag));
    if (logits)
      STRATA_RETURN_IF_ERROR(
          recvFromStage(group_, logits->bytes(), logits->byteSize(), last, tag)
              .withContext("receiving the logits"));
    return Status::ok();
  }
  for (int64_t stage = 0; stage < last; ++stage) {
    STRATA_RETURN_IF_ERROR(
        sendToStage(group_, &lossSum, sizeof(lossSum), stage, tag));
    if (logits)
      STRATA_RETURN_IF_ERROR(
          sendToStage(group_, logits->bytes(), logits->byteSize(), stage, tag)
              .withContext("sending the logits"));
  }
  return Status::ok();
}

Status PipelineProgram::runForwardStep(const StepCall &call,
                                       const io::HostTensor &tokens,
                                       double &lossSum) {
  const PreparedFunction &step = *chunks_[call.chunk].forwardSteps[call.slot];
  STRATA_RETURN_IF_ERROR(writeMicroBatch(
      *executor_, step, tokens, call.global * microBatch_, microBatch_, seq_));
  useCounterOf(call.global);
  STRATA_RETURN_IF_ERROR(executor_->run(step));
  if (isLossChunk(call.chunk)) {
    STRATA_ASSIGN_OR_RETURN(const double loss,
                            readScalar(*executor_, step.results[0]));
    lossSum += loss;
  }
  return Status::ok();
}

Status PipelineProgram::runBackwardStep(const StepCall &call,
                                        const io::HostTensor &tokens,
                                        double lossScale) {
  // The saved values wait in the slot's buffers, which this variant reads.
  const PreparedFunction &step = *chunks_[call.chunk].backwardSteps[call.slot];
  // The labels (the loss's gradient) and, under recomputation, the tokens.
  STRATA_RETURN_IF_ERROR(writeMicroBatch(
      *executor_, step, tokens, call.global * microBatch_, microBatch_, seq_));
  STRATA_RETURN_IF_ERROR(
      writeScalar(*executor_, step.arguments[kLossScaleArgument], lossScale));
  // The forward step's counter: recomputation redraws its masks.
  useCounterOf(call.global);
  return executor_->run(step);
}

StatusOr<double>
PipelineProgram::computeGradients(const io::HostTensor &tokens,
                                  double lossScale) {
  const std::string &path = executor_->artifact().path();
  // Every micro-batch of the global batch weighs 1 / microBatches; this dp
  // rank runs its own block of them.
  const int64_t microBatches = tokens.shape()[0] / microBatch_;
  const int64_t local = microBatches / dataParallel_.size;
  const int64_t first = dataParallel_.rank * local;
  Checked<std::vector<PipelineAction>> scheduled = pipelineSchedule(
      int(group_.stages), int(group_.stage), int(chunks_.size()), local);
  if (!scheduled.isOk())
    return Status::invalidArgument(scheduled.error())
        .withContext(path + ": " + std::to_string(local) +
                     " micro-batches per data-parallel rank");
  const std::vector<PipelineAction> &schedule = *scheduled;
  // The compiler planned the slots for the artifact's micro-batches; a step
  // of more may keep more in flight than it has.
  const std::vector<int64_t> inFlight =
      inFlightMicroBatches(schedule, int(chunks_.size()));
  for (size_t c = 0; c < chunks_.size(); ++c)
    if (inFlight[c] > int64_t(chunks_[c].forwardSteps.size()))
      return Status::invalidArgument(
          path + ": a step of " + std::to_string(local) +
          " micro-batches per data-parallel rank keeps " +
          std::to_string(inFlight[c]) + " micro-batches of chunk " +
          std::to_string(c) + " in flight, but the stage's stash has " +
          std::to_string(chunks_[c].forwardSteps.size()) +
          " slots (compiled for " +
          std::to_string(executor_->root().micro_batches()) +
          " micro-batches per data-parallel rank)");
  Checked<std::vector<int64_t>> slots =
      stashSlots(schedule, int(chunks_.size()));
  if (!slots.isOk())
    return Status::internal(path + ": " + slots.error());

  STRATA_RETURN_IF_ERROR(executor_->run(*zeroGrads_));
  drawing_ = stepDraws_ && executor_->options().dropout;
  firstCounter_ = executor_->rngCounter();
  double lossSum = 0.0;
  for (size_t i = 0; i < schedule.size(); ++i) {
    const PipelineAction &action = schedule[i];
    const StepCall call{action.chunk, first + action.microBatch, (*slots)[i]};
    if (action.kind == PipelineAction::Kind::Forward)
      STRATA_RETURN_IF_ERROR(runForwardStep(call, tokens, lossSum));
    else
      STRATA_RETURN_IF_ERROR(
          runBackwardStep(call, tokens, lossScale / double(microBatches)));
  }
  // No message outlives the step.
  STRATA_RETURN_IF_ERROR(executor_->completeSends());
  useCounterOf(microBatches);
  if (dataParallel_.size > 1)
    STRATA_RETURN_IF_ERROR(executor_->run(*reduceGradients_));
  // After the dp sum, so that both copies add the same two values.
  STRATA_RETURN_IF_ERROR(sumSharedGradients(*executor_));
  // Only the last stage has losses; every rank returns the global mean.
  if (group_.isPipelined())
    STRATA_RETURN_IF_ERROR(
        group_.communicator
            ->allReduce(&lossSum, 1, ElementType::F64, ReduceOp::Sum)
            .withContext("the pipeline's loss"));
  if (dataParallel_.size > 1)
    STRATA_RETURN_IF_ERROR(
        dataParallel_.group
            ->allReduce(&lossSum, 1, ElementType::F64, ReduceOp::Sum)
            .withContext("the data-parallel loss"));
  return lossSum / double(microBatches);
}

} // namespace strata::runtime

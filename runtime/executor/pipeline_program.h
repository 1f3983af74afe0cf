//===- pipeline_program.h - one pipeline stage's entry points ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The functions of one stage of a pipeline-parallel artifact
// (docs/parallelism.md), per model chunk c in [0, chunks); chunk c of stage
// s is global chunk c * stages + s, and the last global chunk computes the
// loss:
//   forward.c(tokens, positions, labels) -> (logits, loss) on the last
//       global chunk, () on the others
//   forward_step.c.s(tokens, positions, labels) -> ([loss,] saved...)
//   backward_step.c.s(tokens, positions, labels, loss_scale, saved...)
//       (adds the micro-batch's gradients into the gradient slots)
//   zero_grads(), reduce_gradients() (dp), optimizer_step(...)
// Activations and their gradients travel inside the functions (Recv at the
// start, Send at the end), so each rank only calls its functions in the
// schedule's order (pipeline_schedule.h). Between a micro-batch's forward
// and backward step its saved values wait in stash slot s of the arena:
// the step functions come in one variant per slot, and a micro-batch runs
// both of its steps in the slot stashSlots gives it, so nothing is copied.
//
// Every rank of the job builds one over its stage's executor; evaluate()
// and computeGradients() are collective over the whole mesh. Every rank
// ends with the same results: the last stage's loss and logits are sent to
// the other stages, losses are summed over pp and dp.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_PIPELINE_PROGRAM_H
#define STRATA_RUNTIME_EXECUTOR_PIPELINE_PROGRAM_H

#include "runtime/executor/batch_feed.h"
#include "runtime/executor/executor.h"
#include "runtime/executor/model_program.h"
#include "runtime/executor/pipeline_group.h"
#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace strata::runtime {

class PipelineProgram {
public:
  /// Checks the stage functions of |executor|'s artifact (a pipeline stage
  /// loaded through its root, so the last stage's logits are known on every
  /// stage). Collective over the pp axis: the stages agree on whether steps
  /// draw random numbers.
  static StatusOr<std::unique_ptr<PipelineProgram>>
  create(Executor &executor, const DataParallel &dataParallel);

  int64_t microBatchSize() const { return microBatch_; }
  int64_t seqLength() const { return seq_; }
  int64_t vocabSize() const { return vocab_; }
  /// Whether the stage has forward_step / backward_step functions.
  bool canTrain() const { return !chunks_.front().forwardSteps.empty(); }

  /// Evaluates every micro-batch of |tokens| [rows, seq + 1] (checked by
  /// the caller) through every chunk; every rank gets the loss (and the
  /// logits when |keepLogits|).
  StatusOr<Evaluation> evaluate(const io::HostTensor &tokens, bool keepLogits);

  /// zero_grads, this dp rank's micro-batches in the schedule's order, the
  /// dp reduction and the shared parameters' sum; returns the mean loss
  /// over the global batch (every rank).
  StatusOr<double> computeGradients(const io::HostTensor &tokens,
                                    double lossScale = 1.0);

private:
  struct Chunk {
    const PreparedFunction *forward = nullptr;
    /// Per stash slot, its variant of forward_step and backward_step.
    std::vector<const PreparedFunction *> forwardSteps, backwardSteps;
  };

  explicit PipelineProgram(Executor &executor) : executor_(&executor) {}
  Status checkChunk(int c);
  bool isLossChunk(int c) const {
    return group_.isLastStage() && c == int(chunks_.size()) - 1;
  }
  /// One micro-batch's pass through chunk |chunk| within a step: the rows
  /// and dropout counter of global micro-batch |global|, its stash slot.
  struct StepCall {
    int chunk;
    int64_t global, slot;
  };
  Status runForwardStep(const StepCall &call, const io::HostTensor &tokens,
                        double &lossSum);
  Status runBackwardStep(const StepCall &call, const io::HostTensor &tokens,
                         double lossScale);
  /// Before a call for global micro-batch |global|: its dropout counter,
  /// the one a single rank uses (the step's first counter + |global|).
  void useCounterOf(int64_t global);
  /// Sends the last stage's loss (and logits) to every other stage.
  Status shareEvaluation(double &lossSum, io::HostTensor *logits);

  Executor *executor_;
  PipelineGroup group_;
  DataParallel dataParallel_;
  std::vector<Chunk> chunks_;
  const PreparedFunction *zeroGrads_ = nullptr;
  const PreparedFunction *reduceGradients_ = nullptr;
  int64_t microBatch_ = 0, seq_ = 0, vocab_ = 0;
  io::DType logitsType_ = io::DType::F32;
  /// Whether some stage's forward / training functions draw random numbers
  /// (then every stage sets the dropout counter of each micro-batch).
  bool forwardDraws_ = false, stepDraws_ = false;
  /// Within evaluate / computeGradients: whether the calls draw, and the
  /// counter at the start.
  bool drawing_ = false;
  uint64_t firstCounter_ = 0;
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_PIPELINE_PROGRAM_H

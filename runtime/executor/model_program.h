//===- model_program.h - a compiled language model's entry points -*- C++
//-*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The functions of a training artifact, as the compiler derives them
// (docs/architecture.md, "Training derivation"):
//   forward(tokens, positions, labels) -> (logits, loss)
//   forward_backward(tokens, positions, labels, loss_scale) -> loss
//       (adds each trainable parameter's gradient into its slot)
//   zero_grads()
//   optimizer_step(lr, beta1, beta2, eps, weight_decay, max_grad_norm, step
//                  [, loss_scale]) -> grad_norm
//       (f16 programs take the loss scale and divide the gradients by it;
//       the norm is inf or NaN, and the step skipped, when they overflowed)
// ModelProgram checks these signatures once and turns token batches
// [rows, seq + 1] into calls: inputs are T[:, :-1], targets T[:, 1:],
// positions 0..seq-1, a micro-batch of rows at a time; a training step
// accumulates the gradients of the artifact's micro-batches with loss
// scale 1 / micro-batches, so the loss is the mean over the global batch.
//
// A pipeline stage's artifact has per-chunk functions instead
// (pipeline_program.h); ModelProgram then hands evaluation and gradients to
// a PipelineProgram and keeps the same interface, so the tools and the
// training loop run every layout alike.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_MODEL_PROGRAM_H
#define STRATA_RUNTIME_EXECUTOR_MODEL_PROGRAM_H

#include "runtime/executor/batch_feed.h"
#include "runtime/executor/executor.h"
#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <memory>

namespace strata::runtime {

class PipelineProgram;

struct AdamWHyperparameters {
  double learningRate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double weightDecay = 0.0;
  /// Global gradient-norm clipping; 0 disables it.
  double clipGradNorm = 0.0;
};

struct Evaluation {
  /// [rows, seq, vocab] in the program's float type (when requested).
  io::HostTensor logits;
  /// Mean next-token cross-entropy over every position of every row.
  double loss = 0.0;
};

struct StepResult {
  double loss = 0.0;     // mean over the global batch, before the update
  double gradNorm = 0.0; // global gradient norm before clipping
};

class ModelProgram {
public:
  /// Checks |executor|'s artifact has the functions and signatures above
  /// (forward alone suffices for evaluate()).
  static StatusOr<ModelProgram> create(Executor &executor);

  int64_t microBatchSize() const { return microBatch_; }
  int64_t seqLength() const { return seq_; }
  /// The logits' last dimension (the padded vocabulary).
  int64_t vocabSize() const { return vocab_; }
  /// Micro-batches each data-parallel rank accumulates per step.
  int64_t microBatches() const { return microBatches_; }
  /// Data-parallel ranks (the mesh's dp axis; 1 without one).
  int64_t dataParallelSize() const { return dataParallel_.size; }
  int64_t globalBatchSize() const {
    return microBatch_ * microBatches_ * dataParallel_.size;
  }
  bool canTrain() const;
  /// The pipeline driver of a pipeline stage's artifact (null otherwise).
  const PipelineProgram *pipeline() const { return pipeline_.get(); }

  /// Whether forward takes virtual tokens (a prompt-learning model; its
  /// batches come as TokenBatch with virtual tokens).
  bool takesVirtualTokens() const { return virtualTokens_; }

  /// Evaluates tokens [rows, seq + 1] (int32 or int64), rows a multiple of
  /// the micro-batch size.
  StatusOr<Evaluation> evaluate(const io::HostTensor &tokens,
                                bool keepLogits = true);
  /// The same for a batch of explicit labels (-1 ignored; the loss is the
  /// mean of the micro-batches' means over their counted labels) and
  /// virtual tokens; single-stage artifacts.
  StatusOr<Evaluation> evaluate(const TokenBatch &batch,
                                bool keepLogits = true);
  StatusOr<double> computeGradients(const TokenBatch &batch,
                                    double lossScale = 1.0);
  StatusOr<StepResult> trainStep(const TokenBatch &batch,
                                 const AdamWHyperparameters &hyper,
                                 int64_t step, double lossScale = 1.0);
  /// checkTokenBatch against this model.
  Status checkBatch(const TokenBatch &batch, int64_t rowsMultiple,
                    const char *what) const;

  /// Zeroes the gradient slots and accumulates the gradient of the mean loss
  /// over tokens [rows, seq + 1] (rows a multiple of the micro-batch size
  /// times the data-parallel size; each dp rank takes its block of rows and
  /// the gradients are summed across the dp ranks); returns that loss.
  /// |lossScale| multiplies the gradients (not the loss returned).
  StatusOr<double> computeGradients(const io::HostTensor &tokens,
                                    double lossScale = 1.0);

  /// One AdamW step (number |step|, from 1) on tokens [rows, seq + 1]: the
  /// gradients of the rows' micro-batches accumulated (rows a multiple of the
  /// micro-batch size; the artifact's global batch is globalBatchSize()).
  /// |lossScale| (f16 programs, scalesLoss()): the gradients are computed
  /// scaled by it and unscaled by the optimizer, which skips the update when
  /// they overflowed (a gradNorm that is not finite).
  StatusOr<StepResult> trainStep(const io::HostTensor &tokens,
                                 const AdamWHyperparameters &hyper,
                                 int64_t step, double lossScale = 1.0);
  /// Whether optimizer_step takes a loss scale (f16 mixed precision).
  bool scalesLoss() const { return scalesLoss_; }

  /// OK when |tokens| is an int32/int64 [rows, seq + 1] batch with rows a
  /// positive multiple of |rowsMultiple| and every id inside the vocabulary;
  /// otherwise an error naming the shape or the first bad id (|what| says
  /// what needs the rows: "evaluation", ...).
  Status checkTokens(const io::HostTensor &tokens, int64_t rowsMultiple,
                     const char *what) const;

private:
  explicit ModelProgram(Executor &executor) : executor_(&executor) {}
  /// The forward and forward_backward checks of a single-stage artifact.
  Status checkSingleStage();
  /// optimizer_step's signature.
  Status checkOptimizerStep();
  /// An error unless the artifact has the functions of a training step.
  Status checkCanTrain() const;
  /// An error for a loss scale other than 1 on a program that does not
  /// unscale its gradients.
  Status checkLossScale(double lossScale) const;
  /// What needs a gradient's rows, for checkTokens / checkBatch messages.
  const char *gradientRows() const;
  /// evaluate and computeGradients of a single-stage artifact on a batch
  /// already checked.
  StatusOr<Evaluation> evaluateRows(const TokenBatch &batch, bool keepLogits);
  StatusOr<double> gradientsOf(const TokenBatch &batch, double lossScale);
  /// The AdamW step after the gradients are in their slots.
  StatusOr<double> runOptimizerStep(const AdamWHyperparameters &hyper,
                                    int64_t step, double lossScale);

  Executor *executor_;
  std::shared_ptr<PipelineProgram> pipeline_;
  const PreparedFunction *forward_ = nullptr;
  const PreparedFunction *forwardBackward_ = nullptr;
  const PreparedFunction *zeroGrads_ = nullptr;
  const PreparedFunction *optimizerStep_ = nullptr;
  /// Sums the gradient slots across the dp ranks (absent without dp).
  const PreparedFunction *reduceGradients_ = nullptr;
  bool scalesLoss_ = false;
  /// forward's fourth argument holds virtual tokens.
  bool virtualTokens_ = false;
  int64_t microBatch_ = 0, seq_ = 0, vocab_ = 0, microBatches_ = 1;
  DataParallel dataParallel_;
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_MODEL_PROGRAM_H

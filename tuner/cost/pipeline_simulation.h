//===- pipeline_simulation.h - the time of a pipeline schedule --*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A discrete-event simulation of one training step's pipeline: every stage
// runs its order of common/pipeline_schedule.h (1F1B, or interleaved 1F1B
// with several chunks per stage) one action at a time, and an action starts
// when its stage is free and its input has arrived: the forward of global
// chunk g waits for the forward of g - 1 of the same micro-batch plus the
// transfer between them, the backward of g for the backward of g + 1 (the
// last chunk's backward for its own forward). Sends never block the sender
// (Strata's Send), so a transfer only delays the receiver. The bubble is
// what the busiest stage waits: makespan minus its busy time.
//
// Usage:
//   PipelineTimes times = uniformPipelineTimes(stages, chunks, 1.0, 2.0);
//   Checked<PipelineSimulation> sim = simulatePipeline(stages, chunks, m,
//                                                      times);
//   double bubbleFraction = sim->bubbleSeconds / sim->makespanSeconds;
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_TUNER_COST_PIPELINE_SIMULATION_H
#define STRATA_TUNER_COST_PIPELINE_SIMULATION_H

#include "common/checked.h"

#include <cstdint>
#include <vector>

namespace strata::tuner {

/// Seconds of one micro-batch, indexed [stage][chunk]: the forward and
/// backward passes, and the transfer of their output to the next (forward)
/// or previous (backward) global chunk (ignored at the ends).
struct PipelineTimes {
  std::vector<std::vector<double>> forward, backward;
  std::vector<std::vector<double>> forwardSend, backwardSend;
};

/// Every stage and chunk with the same times and no transfer time.
PipelineTimes uniformPipelineTimes(int stages, int chunks,
                                   double forwardSeconds,
                                   double backwardSeconds);

struct PipelineSimulation {
  /// From the first forward to the last backward of any stage.
  double makespanSeconds = 0;
  /// Per stage: when its last action ends, and its busy (computing) time.
  std::vector<double> finishSeconds, busySeconds;
  /// makespan - busy time of the busiest stage.
  double bubbleSeconds = 0;
  /// The stage with the most busy time.
  int busiestStage = 0;
};

/// Simulates |microBatches| micro-batches through |stages| stages of
/// |chunks| chunks each; an error when the schedule cannot be built (see
/// pipelineSchedule) or |times| does not have the stages x chunks shape.
Checked<PipelineSimulation> simulatePipeline(int stages, int chunks,
                                             int64_t microBatches,
                                             const PipelineTimes &times);

} // namespace strata::tuner

#endif // STRATA_TUNER_COST_PIPELINE_SIMULATION_H

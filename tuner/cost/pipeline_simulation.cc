//===- pipeline_simulation.cc - the time of a pipeline schedule -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Each stage walks its schedule; a pass whose input is not known yet waits
// and the loop turns to the other stages. The schedules are deadlock-free
// (pipeline_schedule_test.cc), so every sweep that is not the last advances
// at least one stage.
//
//===----------------------------------------------------------------------===//
#include "tuner/cost/pipeline_simulation.h"

#include "common/pipeline_schedule.h"

#include <algorithm>
#include <string>

namespace strata::tuner {

namespace {

using Kind = PipelineAction::Kind;

bool hasShape(const std::vector<std::vector<double>> &v, int stages,
              int chunks) {
  if (v.size() != size_t(stages))
    return false;
  for (const std::vector<double> &row : v)
    if (row.size() != size_t(chunks))
      return false;
  return true;
}

} // namespace

PipelineTimes uniformPipelineTimes(int stages, int chunks,
                                   double forwardSeconds,
                                   double backwardSeconds) {
  const auto grid = [&](double value) {
    return std::vector<std::vector<double>>(
        std::max(stages, 0), std::vector<double>(std::max(chunks, 0), value));
  };
  return {grid(forwardSeconds), grid(backwardSeconds), grid(0.0), grid(0.0)};
}

Checked<PipelineSimulation> simulatePipeline(int stages, int chunks,
                                             int64_t microBatches,
                                             const PipelineTimes &times) {
  if (!hasShape(times.forward, stages, chunks) ||
      !hasShape(times.backward, stages, chunks) ||
      !hasShape(times.forwardSend, stages, chunks) ||
      !hasShape(times.backwardSend, stages, chunks))
    return checkFailed("pipeline simulation: the times are not " +
                       std::to_string(stages) + " stages x " +
                       std::to_string(chunks) + " chunks");
  std::vector<std::vector<PipelineAction>> orders;
  for (int s = 0; s < stages; ++s) {
    Checked<std::vector<PipelineAction>> order =
        pipelineSchedule(stages, s, chunks, microBatches);
    if (!order.isOk())
      return checkFailed(order.error());
    orders.push_back(std::move(*order));
  }

  // When each (global chunk, micro-batch) pass's output is available at the
  // stage that needs it (end + transfer); negative: not run yet.
  const int64_t globalChunks = int64_t(stages) * chunks;
  const auto index = [&](int64_t g, int64_t mb) {
    return size_t(g * microBatches + mb);
  };
  std::vector<double> forwardReady(size_t(globalChunks * microBatches), -1),
      backwardReady(forwardReady);
  // The end of each forward, for the last chunk's own backward.
  std::vector<double> forwardEnd(forwardReady);

  PipelineSimulation sim;
  sim.finishSeconds.assign(stages, 0.0);
  sim.busySeconds.assign(stages, 0.0);
  std::vector<size_t> next(stages, 0);
  for (bool progress = true; progress;) {
    progress = false;
    for (int s = 0; s < stages; ++s) {
      for (; next[s] < orders[s].size(); ++next[s]) {
        const PipelineAction &a = orders[s][next[s]];
        const int64_t g = int64_t(a.chunk) * stages + s;
        double ready = 0;
        if (a.kind == Kind::Forward) {
          if (g > 0 && (ready = forwardReady[index(g - 1, a.microBatch)]) < 0)
            break;
        } else if (g + 1 < globalChunks) {
          if ((ready = backwardReady[index(g + 1, a.microBatch)]) < 0)
            break;
        } else if ((ready = forwardEnd[index(g, a.microBatch)]) < 0) {
          break;
        }
        const bool forward = a.kind == Kind::Forward;
        const double seconds =
            forward ? times.forward[s][a.chunk] : times.backward[s][a.chunk];
        const double start = std::max(ready, sim.finishSeconds[s]);
        const double end = start + seconds;
        sim.finishSeconds[s] = end;
        sim.busySeconds[s] += seconds;
        if (forward) {
          forwardEnd[index(g, a.microBatch)] = end;
          forwardReady[index(g, a.microBatch)] =
              end + times.forwardSend[s][a.chunk];
        } else {
          backwardReady[index(g, a.microBatch)] =
              end + times.backwardSend[s][a.chunk];
        }
        progress = true;
      }
    }
  }
  for (int s = 0; s < stages; ++s)
    if (next[s] != orders[s].size())
      return checkFailed("pipeline simulation: stage " + std::to_string(s) +
                         " waits forever (the schedule deadlocks)");

  sim.makespanSeconds =
      *std::max_element(sim.finishSeconds.begin(), sim.finishSeconds.end());
  sim.busiestStage =
      int(std::max_element(sim.busySeconds.begin(), sim.busySeconds.end()) -
          sim.busySeconds.begin());
  sim.bubbleSeconds =
      sim.makespanSeconds - sim.busySeconds[size_t(sim.busiestStage)];
  return sim;
}

} // namespace strata::tuner

//===- progress.h - progress bar, log lines and metrics ---------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// On a terminal, training shows one updating line:
//   step  120/2000 [#####.........] loss 4.1234 lr 2.9e-04 | 3.1k tok/s | ETA 5:12
// (f16 adds "| scale 65536 (3 skipped)", and "skipped" after a skipped
// step's scale).
// Elsewhere (a log file, CI) it prints a plain line every --log-every
// steps. Throughput and ETA count from the first completed step of this
// run, so a resumed run's ETA is right too. Metrics go to a JSON-lines file,
// one object per step and per evaluation, flushed as written.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TRAINING_PROGRESS_H
#define STRATA_RUNTIME_TRAINING_PROGRESS_H

#include "runtime/support/status.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace strata::runtime::training {

/// "5:12", "1:02:03".
std::string formatDuration(double seconds);

class ProgressReporter {
public:
  ProgressReporter(int64_t totalSteps, int64_t firstStep, int64_t tokensPerStep,
                   int64_t logEvery, bool terminal, std::FILE *out);

  /// After optimizer step |step| (1-based); |extra| ends the line (f16:
  /// the loss scale and the skipped steps).
  void step(int64_t step, double loss, double learningRate, double gradNorm,
            const std::string &extra = "");
  /// A line of its own (evaluation, sample, checkpoint), not overwritten.
  void message(const std::string &text);
  void finish();

  double tokensPerSecond() const;

private:
  void clearLine();

  int64_t totalSteps_, firstStep_, tokensPerStep_, logEvery_;
  bool terminal_;
  std::FILE *out_;
  bool lineOpen_ = false;
  int64_t stepsDone_ = 0;
  std::chrono::steady_clock::time_point start_, firstDone_;
};

/// Appends JSON objects, one per line, to a file.
class MetricsWriter {
public:
  static StatusOr<MetricsWriter> open(const std::string &path);
  MetricsWriter(MetricsWriter &&other) noexcept;
  MetricsWriter &operator=(MetricsWriter &&) = delete;
  ~MetricsWriter();

  /// |json| is one JSON object without the newline.
  void write(const std::string &json);

private:
  explicit MetricsWriter(std::FILE *file) : file_(file) {}
  std::FILE *file_ = nullptr;
};

} // namespace strata::runtime::training

#endif // STRATA_RUNTIME_TRAINING_PROGRESS_H

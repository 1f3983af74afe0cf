//===- serving_metrics.h - the server's counters, in Prometheus text -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What GET /metrics shows (Prometheus text exposition format 0.0.4). The
// engine and the HTTP handlers update it from their threads; render() takes
// a consistent snapshot. docs/serving.md lists every metric.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SERVING_SERVING_METRICS_H
#define STRATA_RUNTIME_SERVING_SERVING_METRICS_H

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace strata::runtime::serving {

/// A cumulative histogram over fixed upper bounds (seconds).
class Histogram {
public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  /// `name_bucket{le="..."} n` lines, then _sum and _count.
  void render(const std::string &name, std::string &out) const;
  uint64_t count() const { return count_; }

private:
  std::vector<double> bounds_;
  std::vector<uint64_t> buckets_; // per bound, not cumulative
  double sum_ = 0.0;
  uint64_t count_ = 0;
};

/// How a request ended, for strata_requests_total{outcome=...}.
enum class RequestOutcome { Completed, Cancelled, Rejected, Failed };

class ServingMetrics {
public:
  ServingMetrics();

  void requestEnded(RequestOutcome outcome);
  void promptTokens(int64_t n);
  void generatedToken(double secondsSincePrevious, bool first);
  void preempted(int64_t n);
  /// The engine's state after a step.
  void state(int64_t queued, int64_t running, int64_t decodeRows,
             int64_t blocksUsed, int64_t blocksFree);
  void step(double seconds);

  std::string render() const;
  /// A value by metric name (with its labels as rendered), for tests and
  /// logs; -1 when absent.
  double value(const std::string &series) const;

private:
  mutable std::mutex mutex_;
  uint64_t outcomes_[4] = {0, 0, 0, 0};
  uint64_t promptTokens_ = 0, generatedTokens_ = 0, preemptions_ = 0;
  int64_t queued_ = 0, running_ = 0, decodeRows_ = 1;
  int64_t blocksUsed_ = 0, blocksFree_ = 0;
  Histogram firstToken_, interToken_, stepSeconds_;
};

} // namespace strata::runtime::serving

#endif // STRATA_RUNTIME_SERVING_SERVING_METRICS_H

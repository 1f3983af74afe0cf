//===- serving_metrics.cc - the server's counters, in Prometheus text -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/serving_metrics.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace strata::runtime::serving {

namespace {

/// Latency buckets from 1 ms to 60 s.
std::vector<double> latencyBounds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
          0.5,   1.0,    2.5,   5.0,  10.0,  30.0, 60.0};
}

std::string number(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

void line(std::string &out, const std::string &series, double v) {
  out += series;
  out += ' ';
  out += number(v);
  out += '\n';
}

void header(std::string &out, const char *name, const char *type,
            const char *help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

} // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(bounds_.size(), 0) {}

void Histogram::observe(double value) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  if (it != bounds_.end())
    ++buckets_[it - bounds_.begin()];
  sum_ += value;
  ++count_;
}

void Histogram::render(const std::string &name, std::string &out) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += buckets_[i];
    char bound[32];
    std::snprintf(bound, sizeof bound, "%g", bounds_[i]);
    line(out, name + "_bucket{le=\"" + bound + "\"}",
         double(cumulative));
  }
  line(out, name + "_bucket{le=\"+Inf\"}", double(count_));
  line(out, name + "_sum", sum_);
  line(out, name + "_count", double(count_));
}

ServingMetrics::ServingMetrics()
    : firstToken_(latencyBounds()), interToken_(latencyBounds()),
      stepSeconds_(latencyBounds()) {}

void ServingMetrics::requestEnded(RequestOutcome outcome) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++outcomes_[static_cast<int>(outcome)];
}

void ServingMetrics::promptTokens(int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  promptTokens_ += n;
}

void ServingMetrics::generatedToken(double secondsSincePrevious, bool first) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++generatedTokens_;
  (first ? firstToken_ : interToken_).observe(secondsSincePrevious);
}

void ServingMetrics::preempted(int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  preemptions_ += n;
}

void ServingMetrics::state(int64_t queued, int64_t running,
                           int64_t decodeRows, int64_t blocksUsed,
                           int64_t blocksFree) {
  std::lock_guard<std::mutex> lock(mutex_);
  queued_ = queued;
  running_ = running;
  decodeRows_ = std::max<int64_t>(decodeRows, 1);
  blocksUsed_ = blocksUsed;
  blocksFree_ = blocksFree;
}

void ServingMetrics::step(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  stepSeconds_.observe(seconds);
}

std::string ServingMetrics::render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  header(out, "strata_requests_total", "counter",
         "Completion requests by how they ended.");
  const char *outcomes[] = {"completed", "cancelled", "rejected", "failed"};
  for (int i = 0; i < 4; ++i)
    line(out, std::string("strata_requests_total{outcome=\"") + outcomes[i] +
                  "\"}",
         double(outcomes_[i]));
  header(out, "strata_prompt_tokens_total", "counter",
         "Prompt tokens of admitted requests.");
  line(out, "strata_prompt_tokens_total", double(promptTokens_));
  header(out, "strata_generation_tokens_total", "counter",
         "Tokens generated.");
  line(out, "strata_generation_tokens_total", double(generatedTokens_));
  header(out, "strata_preemptions_total", "counter",
         "Sequences sent back to the queue for want of KV blocks.");
  line(out, "strata_preemptions_total", double(preemptions_));
  header(out, "strata_queue_length", "gauge",
         "Sequences waiting to be admitted.");
  line(out, "strata_queue_length", double(queued_));
  header(out, "strata_running_sequences", "gauge",
         "Sequences in the running batch.");
  line(out, "strata_running_sequences", double(running_));
  header(out, "strata_batch_occupancy", "gauge",
         "Running sequences over the decode batch's rows (0 to 1).");
  line(out, "strata_batch_occupancy", double(running_) / double(decodeRows_));
  header(out, "strata_kv_blocks_used", "gauge",
         "KV-cache blocks owned by sequences.");
  line(out, "strata_kv_blocks_used", double(blocksUsed_));
  header(out, "strata_kv_blocks_free", "gauge", "KV-cache blocks free.");
  line(out, "strata_kv_blocks_free", double(blocksFree_));
  header(out, "strata_time_to_first_token_seconds", "histogram",
         "From a request's arrival to its first token.");
  firstToken_.render("strata_time_to_first_token_seconds", out);
  header(out, "strata_inter_token_latency_seconds", "histogram",
         "Between consecutive tokens of a sequence.");
  interToken_.render("strata_inter_token_latency_seconds", out);
  header(out, "strata_step_seconds", "histogram",
         "One engine step (its prefill and decode calls).");
  stepSeconds_.render("strata_step_seconds", out);
  return out;
}

double ServingMetrics::value(const std::string &series) const {
  const std::string text = render();
  std::istringstream lines(text);
  std::string l;
  while (std::getline(lines, l))
    if (l.size() > series.size() && l.compare(0, series.size(), series) == 0 &&
        l[series.size()] == ' ')
      return std::stod(l.substr(series.size() + 1));
  return -1.0;
}

} // namespace strata::runtime::serving

//===- ranking.cc - rank evaluated candidates and report them -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/search/ranking.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace strata::tuner {

std::vector<RankedCandidate>
rankCandidates(const std::vector<Candidate> &candidates,
               const std::vector<EvaluatedMemory> &memory,
               const RankingInput &in) {
  std::vector<RankedCandidate> out;
  for (size_t i = 0; i < candidates.size(); ++i) {
    RankedCandidate r;
    r.candidate = candidates[i];
    const EvaluatedMemory &m = memory[i];
    if (!m.analysis) {
      r.error = m.error.empty() ? "not compiled" : m.error;
      out.push_back(std::move(r));
      continue;
    }
    r.derived = m.derived;
    for (const auto &stage : m.analysis->stages)
      if (stage.arenaBytes > r.peakBytes) {
        r.peakBytes = stage.arenaBytes;
        r.fullestStage = stage.stage;
      }
    r.overflowBytes =
        std::max<int64_t>(0, r.peakBytes - in.cluster->deviceMemoryBytes);
    r.feasible = r.overflowBytes == 0;
    r.prediction =
        predictStep(*m.analysis, toLayout(r.candidate, in.globalBatch),
                    *in.cluster, in.nodes, in.profile);
    r.hardwareTflopsPerGpu = hardwareTflopsPerGpu(*m.analysis, r.prediction);
    if (r.prediction.stepSeconds > 0)
      r.tokensPerS =
          double(in.globalBatch * in.seqLength) / r.prediction.stepSeconds;
    out.push_back(std::move(r));
  }
  auto group = [](const RankedCandidate &r) {
    return !r.error.empty() ? 2 : r.feasible ? 0 : 1;
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const RankedCandidate &a, const RankedCandidate &b) {
                     if (group(a) != group(b))
                       return group(a) < group(b);
                     if (group(a) == 0)
                       return a.prediction.stepSeconds <
                              b.prediction.stepSeconds;
                     if (group(a) == 1)
                       return a.overflowBytes < b.overflowBytes;
                     return false;
                   });
  return out;
}

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string format(const char *fmt, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, a);
  return buf;
}

/// The largest term after compute of |p|, with its seconds.
std::pair<std::string, double> largestOverhead(const StepPrediction &p) {
  std::pair<std::string, double> terms[] = {
      {"tp communication", p.tensorParallelCommSeconds},
      {"dp communication", p.dataParallelExposedSeconds},
      {"pipeline communication", p.pipelineCommSeconds},
      {"bubble", p.bubbleSeconds},
      {"optimizer", p.optimizerSeconds}};
  return *std::max_element(
      std::begin(terms), std::end(terms),
      [](const auto &a, const auto &b) { return a.second < b.second; });
}

std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\')
      out += '\\', out += ch;
    else if (ch == '\n')
      out += "\\n";
    else if (static_cast<unsigned char>(ch) < 0x20)
      out += ' ';
    else
      out += ch;
  }
  return out + "\"";
}

} // namespace

std::string formatTable(const std::vector<RankedCandidate> &ranked,
                        int64_t deviceMemoryBytes, size_t top) {
  std::ostringstream os;
  char line[512];
  std::snprintf(line, sizeof line,
                "%4s  %-40s %10s %10s %10s %12s %8s %6s  %s\n", "rank",
                "layout", "peak GiB", "headroom", "step s", "tokens/s",
                "TFLOP/s", "MFU", "limiter");
  os << line;
  for (size_t i = 0; i < std::min(top, ranked.size()); ++i) {
    const RankedCandidate &r = ranked[i];
    if (!r.error.empty()) {
      std::snprintf(line, sizeof line, "%4zu  %-40s  does not compile\n",
                    i + 1, r.candidate.label().c_str());
      os << line;
      continue;
    }
    const double headroom = double(deviceMemoryBytes - r.peakBytes) / kGiB;
    std::snprintf(line, sizeof line,
                  "%4zu  %-40s %10.2f %10.2f %10.4g %12.4g %8.2f %5.1f%%  %s\n",
                  i + 1, r.candidate.label().c_str(), double(r.peakBytes) / kGiB,
                  headroom, r.prediction.stepSeconds, r.tokensPerS,
                  r.prediction.tflopsPerGpu, 100 * r.prediction.mfu,
                  r.feasible ? r.prediction.limiter.c_str()
                             : "memory (does not fit)");
    os << line;
  }
  return os.str();
}

std::string formatRationale(const std::vector<RankedCandidate> &ranked,
                            size_t top) {
  std::ostringstream os;
  if (ranked.empty() || !ranked.front().feasible)
    return "";
  const RankedCandidate &best = ranked.front();
  const StepPrediction &b = best.prediction;
  auto [bestOverhead, bestOverheadS] = largestOverhead(b);
  os << "winner: " << best.candidate.label() << ": "
     << format("%.4g", b.stepSeconds) << " s per step, "
     << format("%.1f", 100 * b.computeSeconds / b.stepSeconds)
     << "% compute; its largest overhead is " << bestOverhead << " ("
     << format("%.3g", bestOverheadS) << " s)\n";
  for (size_t i = 1; i < std::min(top, ranked.size()); ++i) {
    const RankedCandidate &r = ranked[i];
    os << "  #" << i + 1 << " " << r.candidate.label() << ": ";
    if (!r.error.empty()) {
      os << "does not compile\n";
      continue;
    }
    if (!r.feasible) {
      os << "memory: stage " << r.fullestStage << " overflows by "
         << format("%.2f", double(r.overflowBytes) / kGiB) << " GiB\n";
      continue;
    }
    const StepPrediction &p = r.prediction;
    // What costs it the most time against the winner.
    std::pair<std::string, double> deltas[] = {
        {"compute", p.computeSeconds - b.computeSeconds},
        {"tp communication",
         p.tensorParallelCommSeconds - b.tensorParallelCommSeconds},
        {"dp communication",
         p.dataParallelExposedSeconds - b.dataParallelExposedSeconds},
        {"pipeline communication",
         p.pipelineCommSeconds - b.pipelineCommSeconds},
        {"bubble", p.bubbleSeconds - b.bubbleSeconds},
        {"optimizer", p.optimizerSeconds - b.optimizerSeconds}};
    auto worst = *std::max_element(
        std::begin(deltas), std::end(deltas),
        [](const auto &x, const auto &y) { return x.second < y.second; });
    os << "+" << format("%.3g", p.stepSeconds - b.stepSeconds) << " s, "
       << worst.first << " (+" << format("%.3g", worst.second) << " s)\n";
  }
  return os.str();
}

std::string toJson(const std::vector<RankedCandidate> &ranked,
                   int64_t globalBatch) {
  std::ostringstream os;
  os.precision(10);
  os << "[\n";
  for (size_t i = 0; i < ranked.size(); ++i) {
    const RankedCandidate &r = ranked[i];
    const Candidate &c = r.candidate;
    const StepPrediction &p = r.prediction;
    os << "  {\"rank\": " << i + 1 << ", \"tp\": " << c.tp
       << ", \"pp\": " << c.pp << ", \"vp\": " << c.vp << ", \"dp\": " << c.dp
       << ", \"micro_batch_size\": " << c.microBatchSize
       << ", \"micro_batches\": " << c.microBatches
       << ", \"sequence_parallel\": " << (c.sequenceParallel ? "true" : "false")
       << ", \"recompute\": \"" << recomputeName(c.recompute) << "\""
       << ", \"distributed_optimizer\": "
       << (c.distributedOptimizer ? "true" : "false") << ", \"overrides\": [";
    const std::vector<std::string> overrides =
        mlir::strata::layoutOverrides(toLayout(c, globalBatch));
    for (size_t k = 0; k < overrides.size(); ++k)
      os << (k ? ", " : "") << jsonString(overrides[k]);
    os << "]";
    if (!r.error.empty()) {
      os << ", \"feasible\": false, \"error\": " << jsonString(r.error) << "}";
    } else {
      os << ", \"feasible\": " << (r.feasible ? "true" : "false")
         << ", \"peak_memory_bytes\": " << r.peakBytes
         << ", \"fullest_stage\": " << r.fullestStage
         << ", \"overflow_bytes\": " << r.overflowBytes
         << ", \"memory_derived\": " << (r.derived ? "true" : "false")
         << ", \"step_time_s\": " << p.stepSeconds
         << ", \"tokens_per_s\": " << r.tokensPerS
         << ", \"tflops_per_gpu\": " << p.tflopsPerGpu << ", \"mfu\": " << p.mfu
         << ", \"hardware_tflops_per_gpu\": " << r.hardwareTflopsPerGpu
         << ", \"compute_s\": " << p.computeSeconds
         << ", \"tp_comm_s\": " << p.tensorParallelCommSeconds
         << ", \"dp_exposed_s\": " << p.dataParallelExposedSeconds
         << ", \"pipeline_comm_s\": " << p.pipelineCommSeconds
         << ", \"bubble_s\": " << p.bubbleSeconds
         << ", \"optimizer_s\": " << p.optimizerSeconds
         << ", \"limiter\": " << jsonString(p.limiter) << "}";
    }
    os << (i + 1 < ranked.size() ? ",\n" : "\n");
  }
  os << "]\n";
  return os.str();
}

std::string overridesText(const Candidate &c, int64_t globalBatch) {
  std::string out;
  for (const std::string &o :
       mlir::strata::layoutOverrides(toLayout(c, globalBatch)))
    out += o + "\n";
  return out;
}

} // namespace strata::tuner

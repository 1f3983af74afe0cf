//===- tune_gemms_command.cc - strata-run tune-gemms ----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/tune_gemms_command.h"

#include "runtime/tooling/rank_setup.h"

#include <cstdio>
#include <map>

namespace strata::runtime {

namespace {

std::string format(const char *pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof(text), pattern, value);
  return text;
}

std::string padLeft(const std::string &text, size_t width) {
  return text.size() >= width ? text
                              : std::string(width - text.size(), ' ') + text;
}

std::string padRight(const std::string &text, size_t width) {
  return text.size() >= width ? text
                              : text + std::string(width - text.size(), ' ');
}

std::string speedup(double heuristicMs, double tunedMs) {
  return heuristicMs > 0 && tunedMs > 0 ? format("%.2fx", heuristicMs / tunedMs)
                                        : std::string("-");
}

bool isEmpty(const GemmDescriptor &gemm) {
  return gemm.shape.m <= 0 || gemm.shape.n <= 0 || gemm.shape.k <= 0;
}

/// GEMM times summed over calls: a function's, or the artifact's.
struct Total {
  int64_t calls = 0;
  double heuristicMs = 0.0, tunedMs = 0.0;
  /// Calls of GEMMs whose heuristic choice failed (left out of both sums).
  int64_t unknown = 0;

  void add(const GemmTuningEntry &entry, int64_t count) {
    if (entry.heuristicMs <= 0) {
      unknown += count;
      return;
    }
    calls += count;
    heuristicMs += double(count) * entry.heuristicMs;
    tunedMs += double(count) * entry.tunedMs;
  }
  std::string text() const {
    std::string line = std::to_string(calls) + " GEMM calls: heuristic " +
                       format("%.3f", heuristicMs) + " ms, tuned " +
                       format("%.3f", tunedMs) + " ms, speedup " +
                       speedup(heuristicMs, tunedMs);
    if (unknown > 0)
      line += " (" + std::to_string(unknown) +
              " calls whose heuristic choice failed to run left out)";
    return line;
  }
};

} // namespace

std::string formatGemmList(const std::string &path,
                           const std::vector<ArtifactGemm> &gemms) {
  std::string out = std::to_string(gemms.size()) + " distinct GEMMs in " +
                    path +
                    " (operand alignments in a 256-byte aligned arena)\n";
  out += padLeft("calls", 6) + "  gemm\n";
  for (const ArtifactGemm &g : gemms) {
    std::string per;
    for (const auto &[function, count] : g.calls)
      per += (per.empty() ? "" : ", ") + function + " " + std::to_string(count);
    out += padLeft(std::to_string(g.totalCalls()), 6) + "  " + g.gemm.text() +
           "\n        (" + per + "; first: " + g.firstUse + ")\n";
  }
  return out;
}

std::string formatTuningTable(const std::string &path,
                              const std::vector<ArtifactGemm> &gemms,
                              const std::vector<GemmTuningReport> &reports) {
  std::string out;
  if (!reports.empty())
    out += "GEMM autotuning of " + path + " on " + reports[0].entry.gpu +
           " (cuBLASLt " + std::to_string(reports[0].entry.libraryVersion) +
           "), cache " + reports[0].cachePath + "\n";
  out += padLeft("calls", 6) + padLeft("heuristic ms", 14) +
         padLeft("tuned ms", 11) + padLeft("speedup", 9) + "  " +
         padRight("choice", 8) + padRight("source", 8) + "gemm\n";
  std::map<std::string, Total> perFunction;
  std::vector<std::string> functions; // in order of first use
  Total total;
  for (size_t i = 0; i < gemms.size() && i < reports.size(); ++i) {
    const GemmTuningEntry &e = reports[i].entry;
    const bool failed = e.heuristicMs <= 0;
    out +=
        padLeft(std::to_string(gemms[i].totalCalls()), 6) +
        padLeft(failed ? "failed" : format("%.4f", e.heuristicMs), 14) +
        padLeft(format("%.4f", e.tunedMs), 11) +
        padLeft(speedup(e.heuristicMs, e.tunedMs), 9) + "  " +
        padRight(std::to_string(e.chosen) + "/" + std::to_string(e.candidates),
                 8) +
        padRight(reports[i].cached ? "cached" : "timed", 8) + e.gemm + "\n";
    for (const auto &[function, count] : gemms[i].calls) {
      if (!perFunction.count(function))
        functions.push_back(function);
      perFunction[function].add(e, count);
      total.add(e, count);
    }
  }
  out += "choice: the chosen algorithm's place among cuBLASLt's candidates "
         "(0: the heuristic's first choice)\n";
  for (const std::string &function : functions)
    out += "  " + function + ": " + perFunction[function].text() + "\n";
  out += "total, every GEMM instruction once: " + total.text() + "\n";
  return out;
}

Status runTuneGemmsCommand(const TuneGemmsOptions &o) {
  STRATA_ASSIGN_OR_RETURN(const LoadedArtifact artifact,
                          loadArtifact(o.artifact));
  STRATA_ASSIGN_OR_RETURN(const std::vector<ArtifactGemm> all,
                          listArtifactGemms(artifact));
  if (o.list) {
    std::fputs(formatGemmList(o.artifact, all).c_str(), stdout);
    return Status::ok();
  }
  STRATA_ASSIGN_OR_RETURN(Backend * backend, rankSetup().backend(0));
  std::vector<ArtifactGemm> gemms;
  std::vector<GemmTuningReport> reports;
  for (const ArtifactGemm &gemm : all) {
    if (isEmpty(gemm.gemm)) // never reaches a GEMM library
      continue;
    StatusOr<GemmTuningReport> report = backend->tuneGemm(gemm.gemm, o.reps);
    if (!report.isOk()) // a backend that tunes nothing says so alone
      return report.status().code() == StatusCode::kUnimplemented
                 ? report.status()
                 : report.status().withContext(o.artifact + ": " +
                                               gemm.firstUse);
    gemms.push_back(gemm);
    reports.push_back(std::move(*report));
  }
  std::fputs(formatTuningTable(o.artifact, gemms, reports).c_str(), stdout);
  return Status::ok();
}

} // namespace strata::runtime

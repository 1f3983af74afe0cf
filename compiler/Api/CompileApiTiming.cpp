//===- CompileApiTiming.cpp - how long one layout's analysis takes --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A measurement, not a test: analyzes one layout of a description through
// the compile library N times in one session and prints the phases' times
// (MLIR's timing report) and the peak memory, so the tuner's budget per
// candidate can be tracked (docs/tuning.md).
//
//   strata-compile-api-timing examples/gpt3-175b.yaml 3 [overrides...]
//
//===----------------------------------------------------------------------===//
#include "compiler/Api/CompileApi.h"

#include "mlir/Support/Timing.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mlir::strata;

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.yaml REPEATS [key.path=value...]\n",
                 argv[0]);
    return 1;
  }
  const int repeats = std::atoi(argv[2]);
  if (repeats < 1) {
    std::fprintf(stderr, "error: REPEATS must be a positive integer, got '%s'\n",
                 argv[2]);
    return 1;
  }
  CompileSession session;
  CompileRequest request;
  request.descriptionPath = argv[1];
  // As strata-tune analyzes its candidates (memory_evaluator.cc).
  request.verifyPasses = false;
  for (int i = 3; i < argc; ++i)
    request.overrides.push_back(argv[i]);
  for (int r = 0; r < repeats; ++r) {
    mlir::DefaultTimingManager timing;
    timing.setEnabled(r + 1 == repeats);
    request.timing = &timing;
    const auto start = std::chrono::steady_clock::now();
    ::strata::Checked<CompileAnalysis> analysis = session.analyze(request);
    const double seconds = std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - start)
                               .count();
    if (!analysis.isOk()) {
      std::fprintf(stderr, "%s", analysis.error().c_str());
      return 1;
    }
    std::printf("run %d: %.3f s, %zu stages, peak arena %.3f GiB\n", r + 1,
                seconds, analysis->stages.size(),
                double(analysis->peakArenaBytes()) / (1u << 30));
  }
  return 0;
}

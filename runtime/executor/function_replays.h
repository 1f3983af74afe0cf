//===- function_replays.h - functions replayed as recorded work -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Decoding runs the same small function once per token; on a GPU its ~200
// kernel launches cost more than the kernels themselves at batch 1. Where
// the backend can record launches (CUDA graphs), FunctionReplays records a
// function on its second call with the same context (the first call is a
// warm-up: cuBLASLt plans and GEMM autotuning happen there, outside any
// recording) and replays the recording from then on. A different context
// (another seed, dropout on) records again. A recording that fails is
// reported once and the function runs eagerly from then on.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_FUNCTION_REPLAYS_H
#define STRATA_RUNTIME_EXECUTOR_FUNCTION_REPLAYS_H

#include "runtime/backends/backend.h"

#include <functional>
#include <map>
#include <memory>

namespace strata::runtime {

struct PreparedFunction;

class FunctionReplays {
public:
  /// Runs |function| as a replay when it can: returns false when the
  /// caller must run it eagerly (through |queue|) this time.
  StatusOr<bool> run(const PreparedFunction &function,
                     const KernelRunContext &context, Backend &backend,
                     Stream &stream, const std::function<Status()> &queue);

  /// Times |function| was replayed (recordings included).
  int64_t replays(const PreparedFunction &function) const;

private:
  struct Entry {
    KernelRunContext context;
    int64_t calls = 0; // with this context
    int64_t replays = 0;
    bool eagerOnly = false;
    std::unique_ptr<RecordedWork> work;
  };
  std::map<const PreparedFunction *, Entry> entries_;
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_FUNCTION_REPLAYS_H

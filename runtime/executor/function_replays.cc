//===- function_replays.cc - functions replayed as recorded work ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/function_replays.h"

#include "runtime/executor/prepared_program.h"

#include <cstdio>

namespace strata::runtime {

namespace {

bool sameContext(const KernelRunContext &a, const KernelRunContext &b) {
  return a.arena.raw() == b.arena.raw() &&
         a.workspace.raw() == b.workspace.raw() &&
         a.workspaceBytes == b.workspaceBytes && a.dropout == b.dropout &&
         a.seed == b.seed && a.rngBase == b.rngBase;
}

} // namespace

StatusOr<bool> FunctionReplays::run(const PreparedFunction &function,
                                    const KernelRunContext &context,
                                    Backend &backend, Stream &stream,
                                    const std::function<Status()> &queue) {
  Entry &entry = entries_[&function];
  if (entry.eagerOnly)
    return false;
  if (entry.calls == 0 || !sameContext(entry.context, context)) {
    entry.context = context;
    entry.calls = 0;
    entry.work.reset();
  }
  if (++entry.calls == 1)
    return false; // the warm-up call runs eagerly
  if (!entry.work) {
    StatusOr<std::unique_ptr<RecordedWork>> recorded =
        backend.record(stream, queue);
    if (!recorded.isOk() || !*recorded) {
      entry.eagerOnly = true;
      if (!recorded.isOk())
        std::fprintf(stderr,
                     "strata: function %s runs without a recorded graph: "
                     "%s\n",
                     function.name.c_str(),
                     recorded.status().toString().c_str());
      return false;
    }
    entry.work = std::move(*recorded);
  }
  STRATA_RETURN_IF_ERROR(entry.work->replay(stream));
  ++entry.replays;
  return true;
}

int64_t FunctionReplays::replays(const PreparedFunction &function) const {
  auto it = entries_.find(&function);
  return it == entries_.end() ? 0 : it->second.replays;
}

} // namespace strata::runtime

//===- step_inputs.cc - a step plan as the model's call arguments ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/step_inputs.h"

#include <algorithm>
#include <cassert>

namespace strata::runtime::serving {

void buildCallInputs(const std::vector<ScheduledRow> &rows,
                     const Scheduler &scheduler, const CallShape &shape,
                     CallInputs &out) {
  const int64_t B = shape.batch, P = shape.length, W = shape.tableWidth;
  assert(static_cast<int64_t>(rows.size()) <= B);
  out.tokens.assign(B * P, 0);
  out.positions.resize(B * P);
  out.blockTable.assign(B * W, shape.scratchBlock);
  out.last.assign(B, 0);
  out.virtualTokens.assign(B * P, -1);
  for (int64_t b = 0; b < B; ++b) {
    const ScheduledRow *row =
        b < static_cast<int64_t>(rows.size()) ? &rows[b] : nullptr;
    const int64_t start = row ? row->start : 0;
    for (int64_t i = 0; i < P; ++i)
      out.positions[b * P + i] =
          static_cast<int32_t>(std::min(start + i, shape.contextLength - 1));
    if (!row)
      continue;
    assert(row->count >= 1 && row->count <= P);
    const std::vector<int32_t> &tokens = scheduler.tokens(row->sequence);
    std::copy_n(tokens.begin() + row->start, row->count,
                out.tokens.begin() + b * P);
    const std::vector<int32_t> &blocks = scheduler.blocks(row->sequence);
    std::copy_n(blocks.begin(), std::min<int64_t>(W, blocks.size()),
                out.blockTable.begin() + b * W);
    out.last[b] = static_cast<int32_t>(row->count - 1);
  }
}

void buildTokenRowInputs(const StepPlan &plan, const Scheduler &scheduler,
                         const CallShape &shape, CallInputs &out,
                         std::vector<int64_t> &sampleRows) {
  const int64_t B = shape.batch, W = shape.tableWidth;
  assert(shape.length == 1);
  out.tokens.assign(B, 0);
  out.positions.assign(B, 0);
  out.blockTable.assign(B * W, shape.scratchBlock);
  out.last.clear();
  out.virtualTokens.clear();
  sampleRows.clear();
  int64_t next = 0;
  for (const auto *rows : {&plan.decode, &plan.prefill})
    for (const ScheduledRow &row : *rows) {
      const std::vector<int32_t> &tokens = scheduler.tokens(row.sequence);
      const std::vector<int32_t> &blocks = scheduler.blocks(row.sequence);
      const int64_t width = std::min<int64_t>(W, blocks.size());
      for (int64_t i = 0; i < row.count; ++i, ++next) {
        assert(next < B);
        out.tokens[next] = tokens[row.start + i];
        out.positions[next] = static_cast<int32_t>(row.start + i);
        std::copy_n(blocks.begin(), width, out.blockTable.begin() + next * W);
      }
      sampleRows.push_back(next - 1);
    }
}

} // namespace strata::runtime::serving

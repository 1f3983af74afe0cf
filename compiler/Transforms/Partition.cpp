//===- Partition.cpp - strata-partition: split over the device mesh -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Partitioning/Partitioner.h"
#include "compiler/Transforms/Passes.h"

namespace mlir::strata {
#define GEN_PASS_DEF_PARTITIONPASS
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::strata

using namespace mlir;
using namespace mlir::strata;

namespace {

class PartitionPass
    : public mlir::strata::impl::PartitionPassBase<PartitionPass> {
public:
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(partitionModule(module, meshShapeOf(module))))
      signalPassFailure();
  }
};

} // namespace

//===- DistributedOptimizer.cpp - dp gradient reduction and ZeRO-1 --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Data parallelism sums the gradients over dp once per step. Without the
// distributed optimizer every dp rank then holds the whole summed gradient
// and runs the same AdamW update on the same moments. With it (NeMo's
// `optim.name: distributed_fused_adam`, Megatron-LM's
// `--use-distributed-optimizer`, ZeRO stage 1), each dp rank keeps the
// moments of one block of every parameter:
//
//   reduce_gradients:  tfm.reduce_scatter_grads      (rank c: block c summed)
//   optimizer_step:    tfm.grad_square_sum ... shard  (each rank its blocks)
//                      + all-reduce over dp            (the global norm)
//                      tfm.adamw ... shard "dp"        (block c updated)
//                      [tfm.param_from_main ... shard "dp"]
//                      tfm.gather_params               (blocks all-gathered)
//
// Under mixed precision O2 the f32 main parameter is split like the moments
// (it is optimizer state): rank c updates main block c, rounds it into
// block c of the bf16 parameter, and the bf16 blocks are all-gathered.
// Megatron-LM's count: 2 (bf16 parameter) + 4 (f32 gradient) + 12 / dp
// (main parameter and moments) bytes per parameter.
//
// A block is a contiguous range of the flattened local parameter (dim-0
// blocks of a row-major tensor are such ranges; flat ones also split
// tensors whose first dimension is smaller than dp, e.g. the query heads
// of a rank at large dp). Parameters whose local element count does not
// divide by dp keep the replicated path.
//
//===----------------------------------------------------------------------===//
#include "compiler/Partitioning/PartitionerImpl.h"

using namespace mlir;
using namespace mlir::strata;
using namespace mlir::strata::partitioning;

namespace {

constexpr llvm::StringLiteral kDataParallelAxis = "dp";

} // namespace

void ModulePartitioner::shardOptimizerState() {
  if (!distributedOptimizer || mesh.dp == 1 ||
      !module.lookupSymbol("forward_backward"))
    return;
  for (auto parameter : module.getOps<tfm::ParameterOp>()) {
    if (!parameter.getTrainable())
      continue;
    RankedTensorType local = parameter.getLocalType();
    const int64_t elements = local.getNumElements();
    if (elements % mesh.dp != 0)
      continue;
    parameter->setAttr(tfm::ParameterOp::getOptimizerShardAxisAttrName(),
                       builder.getStringAttr(kDataParallelAxis));
    parameter->setAttr(
        tfm::ParameterOp::getOptimizerLocalTypeAttrName(),
        TypeAttr::get(RankedTensorType::get({elements / mesh.dp},
                                            parameter.getSlotElementType())));
    optimizerShards.insert(parameter.getSymName().str());
  }
}

void ModulePartitioner::addGradientReduction() {
  if (mesh.dp == 1 || !module.lookupSymbol("forward_backward"))
    return;
  SmallVector<Attribute> whole, sharded;
  for (auto parameter : module.getOps<tfm::ParameterOp>())
    if (parameter.getTrainable())
      (optimizerShards.count(parameter.getSymName()) ? sharded : whole)
          .push_back(FlatSymbolRefAttr::get(parameter.getSymNameAttr()));
  builder.setInsertionPointToEnd(module.getBody());
  auto function =
      func::FuncOp::create(builder, module.getLoc(), "reduce_gradients",
                           builder.getFunctionType({}, {}));
  Block *entry = function.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  ArrayAttr axes = builder.getStrArrayAttr({kDataParallelAxis});
  if (!whole.empty())
    tfm::ReduceGradsOp::create(builder, module.getLoc(),
                               builder.getArrayAttr(whole), meshRef(), axes);
  if (!sharded.empty())
    tfm::ReduceScatterGradsOp::create(builder, module.getLoc(),
                                      builder.getArrayAttr(sharded), meshRef(),
                                      axes);
  func::ReturnOp::create(builder, module.getLoc());
}

void ModulePartitioner::finishShardedOptimizerStep() {
  auto step = module.lookupSymbol<func::FuncOp>("optimizer_step");
  if (optimizerShards.empty() || !step)
    return;
  StringAttr axis = builder.getStringAttr(kDataParallelAxis);
  SmallVector<Attribute> updated;
  for (auto adamw : step.getOps<tfm::AdamWOp>())
    if (optimizerShards.count(adamw.getName())) {
      adamw.setShardAxisAttr(axis);
      updated.push_back(adamw.getNameAttr());
    }
  for (auto round : step.getOps<tfm::ParamFromMainOp>())
    if (optimizerShards.count(round.getName()))
      round.setShardAxisAttr(axis);
  if (updated.empty())
    return;
  builder.setInsertionPoint(step.getBody().front().getTerminator());
  tfm::GatherParamsOp::create(builder, step.getLoc(),
                              builder.getArrayAttr(updated), meshRef(),
                              builder.getStrArrayAttr({kDataParallelAxis}));
}

//===- Resharding.cpp - collectives to a needed sharding --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Partitioning/PartitionerImpl.h"

using namespace mlir;
using namespace mlir::strata;
using namespace mlir::strata::partitioning;

/// |value| with sharding |target|, through collectives inserted before
/// |user|: partial sums reduced (reduce-scatter where the consumer splits
/// a dimension over the same axis, else all-reduce), split dimensions the
/// consumer needs whole gathered, whole dimensions it needs split sliced.
FailureOr<Value> Resharding::reshard(Value value, const TensorSharding &target,
                                     Operation *user) {
  TensorSharding current = actualOf(value);
  if (current == target)
    return value;
  auto key = std::make_tuple(value.getAsOpaquePointer(),
                             (void *)user->getBlock(), target.str());
  if (auto it = converted.find(key); it != converted.end())
    return it->second;

  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(user);
  const RankedTensorType global = globalTypeOf(value);
  Value cur = value;
  AxisList reduce;
  for (const std::string &axis : current.partial) {
    if (std::find(target.partial.begin(), target.partial.end(), axis) !=
        target.partial.end())
      continue;
    // A partial sum whose consumer wants a dimension split over the same
    // axis: one reduce-scatter (sequence parallelism's exit from a
    // row-parallel matmul) instead of an all-reduce.
    std::optional<size_t> scatterDim;
    for (size_t d = 0; d < target.dims.size(); ++d)
      if (target.dims[d] == AxisList{axis} && current.dims[d].empty())
        scatterDim = d;
    if (!scatterDim) {
      reduce.push_back(axis);
      continue;
    }
    TensorSharding scattered = current;
    scattered.partial.erase(
        std::find(scattered.partial.begin(), scattered.partial.end(), axis));
    scattered.dims[*scatterDim] = {axis};
    cur = dist::ReduceScatterOp::create(
        builder, user->getLoc(), localType(global, scattered), cur, meshRef(),
        strArray({axis}),
        builder.getI64IntegerAttr(static_cast<int64_t>(*scatterDim)),
        dist::ReductionKindAttr::get(builder.getContext(),
                                     dist::ReductionKind::sum));
    current = scattered;
    globalTypes[cur] = global;
    actual[cur] = current;
  }
  if (!reduce.empty()) {
    cur = dist::AllReduceOp::create(
        builder, user->getLoc(), cur.getType(), cur, meshRef(),
        strArray(reduce),
        dist::ReductionKindAttr::get(builder.getContext(),
                                     dist::ReductionKind::sum));
    AxisList kept;
    for (const std::string &axis : current.partial)
      if (std::find(reduce.begin(), reduce.end(), axis) == reduce.end())
        kept.push_back(axis);
    current.partial = kept;
    globalTypes[cur] = global;
    actual[cur] = current;
  }
  for (size_t d = 0; d < current.dims.size(); ++d) {
    if (current.dims[d].empty() || current.dims[d] == target.dims[d])
      continue;
    TensorSharding gathered = current;
    gathered.dims[d].clear();
    cur = dist::AllGatherOp::create(
        builder, user->getLoc(), localType(global, gathered), cur, meshRef(),
        strArray(current.dims[d]), builder.getI64IntegerAttr(d));
    current = gathered;
    globalTypes[cur] = global;
    actual[cur] = current;
  }
  // Whole dimensions the consumer wants split: each rank takes its block.
  for (size_t d = 0; d < current.dims.size(); ++d) {
    if (!current.dims[d].empty() || target.dims[d].empty())
      continue;
    TensorSharding sliced = current;
    sliced.dims[d] = target.dims[d];
    cur = dist::SliceOp::create(
        builder, user->getLoc(), localType(global, sliced), cur, meshRef(),
        strArray(target.dims[d]), builder.getI64IntegerAttr(d));
    current = sliced;
    globalTypes[cur] = global;
    actual[cur] = current;
  }
  if (current != target)
    return user->emitError()
           << "cannot bring operand of sharding " << actualOf(value).str()
           << " to the sharding " << target.str()
           << " this op needs (splitting a whole value is not supported)";
  converted[key] = cur;
  return cur;
}

LogicalResult Resharding::reshardOperand(Operation *op, unsigned index,
                                         const TensorSharding &target) {
  FailureOr<Value> value = reshard(op->getOperand(index), target, op);
  if (failed(value))
    return failure();
  op->setOperand(index, *value);
  return success();
}

/// Every tensor operand whole and complete; tensor results replicated.
LogicalResult Resharding::partitionReplicated(Operation *op) {
  for (unsigned i = 0; i < op->getNumOperands(); ++i)
    if (isTensor(op->getOperand(i)) &&
        failed(reshardOperand(
            op, i,
            TensorSharding::replicated(
                cast<RankedTensorType>(op->getOperand(i).getType())
                    .getRank()))))
      return failure();
  for (Value result : op->getResults())
    if (isTensor(result))
      setSharding(result, cast<RankedTensorType>(result.getType()),
                  TensorSharding::replicated(
                      cast<RankedTensorType>(result.getType()).getRank()));
  return success();
}

//===- PartitionState.cpp - values' splits and local types ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Partitioning/PartitionerImpl.h"

using namespace mlir;
using namespace mlir::strata;
using namespace mlir::strata::partitioning;

PartitionState::PartitionState(ModuleOp module, const MeshShape &mesh)
    : module(module), builder(module.getContext()), axes{{"dp", mesh.dp},
                                                         {"pp", mesh.pp},
                                                         {"tp", mesh.tp}},
      mesh(mesh) {
  if (auto config = module->getAttrOfType<DictionaryAttr>("tfm.config")) {
    if (auto sp = config.getAs<BoolAttr>("sequence_parallel"))
      sequenceParallel = sp.getValue() && mesh.tp > 1;
    if (auto zero = config.getAs<BoolAttr>("use_distributed_optimizer"))
      distributedOptimizer = zero.getValue() && mesh.dp > 1;
  }
}

dist::ShardingAttr PartitionState::toAttr(const TensorSharding &sharding) {
  SmallVector<Attribute> dims;
  for (const AxisList &list : sharding.dims)
    dims.push_back(strArray(list));
  return dist::ShardingAttr::get(
      builder.getContext(),
      FlatSymbolRefAttr::get(builder.getContext(), kMeshName),
      builder.getArrayAttr(dims), strArray(sharding.partial));
}

ArrayAttr PartitionState::strArray(const AxisList &list) {
  SmallVector<StringRef> refs(list.begin(), list.end());
  return builder.getStrArrayAttr(refs);
}

RankedTensorType PartitionState::localType(RankedTensorType global,
                                           const TensorSharding &sharding) {
  SmallVector<int64_t> shape(global.getShape());
  for (size_t d = 0; d < sharding.dims.size() && d < shape.size(); ++d)
    shape[d] /= ::strata::sharding::groupSize(axes, sharding.dims[d]);
  return RankedTensorType::get(shape, global.getElementType());
}

FlatSymbolRefAttr PartitionState::meshRef() {
  return FlatSymbolRefAttr::get(builder.getContext(), kMeshName);
}

const TensorSharding &PartitionState::parameterSharding(StringRef name) {
  return parameterShardings.find(name)->second;
}

TensorSharding &PartitionState::cacheSplit(StringRef name) {
  auto it = cacheSplits.find(name);
  if (it == cacheSplits.end())
    it = cacheSplits.emplace(name.str(), TensorSharding::replicated(4)).first;
  return it->second;
}

TensorSharding &PartitionState::splitOf(Value value) {
  auto it = splits.find(value);
  if (it == splits.end())
    it = splits
             .try_emplace(
                 value, TensorSharding::replicated(
                            cast<RankedTensorType>(value.getType()).getRank()))
             .first;
  return it->second;
}

TensorSharding PartitionState::actualOf(Value value) {
  auto it = actual.find(value);
  if (it != actual.end())
    return it->second;
  return TensorSharding::replicated(
      cast<RankedTensorType>(value.getType()).getRank());
}

RankedTensorType PartitionState::globalTypeOf(Value value) {
  auto it = globalTypes.find(value);
  return it != globalTypes.end() ? it->second
                                 : cast<RankedTensorType>(value.getType());
}

void PartitionState::setSharding(Value value, RankedTensorType global,
                                 const TensorSharding &sharding) {
  globalTypes[value] = global;
  actual[value] = sharding;
  for (size_t d = 0; d < sharding.dims.size(); ++d) {
    const int64_t parts = ::strata::sharding::groupSize(axes, sharding.dims[d]);
    if (global.getDimSize(d) % parts != 0 && !unevenSplit) {
      unevenSplit = true;
      emitError(value.getLoc())
          << "cannot split dimension " << d << " of " << global << " into "
          << parts << " equal parts (" << sharding.str() << ")";
    }
  }
  value.setType(localType(global, sharding));
}

//===- TfmInferenceOps.cpp - verifiers of the KV-cache ops ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "dialects/tfm/IR/TfmOps.h"
#include "dialects/tfm/IR/TfmShapeUtils.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::strata::tfm;
using namespace mlir::strata::tfm::detail;

namespace {

/// The tfm.kv_cache that |name| names, or an error on |op| naming |role|.
FailureOr<KVCacheOp> lookupCache(Operation *op, FlatSymbolRefAttr name,
                                 StringRef role, SymbolTableCollection &table) {
  if (auto cache = table.lookupNearestSymbolFrom<KVCacheOp>(op, name))
    return cache;
  InFlightDiagnostic diag = op->emitOpError()
                            << role << " " << name
                            << " does not name a tfm.kv_cache";
  if (Operation *found = table.lookupNearestSymbolFrom(op, name))
    diag << " (it names a " << found->getName() << ")";
  return diag;
}

/// Checks that |positions| is shaped [batch, length] like the leading
/// dimensions of |values| (of rank 4), named |what|.
LogicalResult verifyPositions(Operation *op, Value values, Value positions,
                              StringRef what) {
  ArrayRef<int64_t> shape = shapeOf(values);
  if (shape.size() != 4)
    return op->emitOpError() << "expected " << what
                             << " of rank 4 [batch, seq, heads, head_dim], "
                                "got "
                             << formatShape(shape);
  if (!shapesAgree(shape.take_front(2), shapeOf(positions)))
    return op->emitOpError()
           << "expected positions of shape " << formatShape(shape.take_front(2))
           << " (the " << what << "'s batch and length), got "
           << formatShape(positions.getType());
  return success();
}

/// Checks that |cache| has |values|' element type.
LogicalResult verifyCacheElementType(Operation *op, KVCacheOp cache,
                                     Value values, StringRef what) {
  Type cacheElement = cache.getTensorType().getElementType();
  Type element = getElementTypeOrSelf(values.getType());
  if (cacheElement != element)
    return op->emitOpError()
           << "expected @" << cache.getSymName() << " to have the " << what
           << "'s element type " << element << ", got " << cacheElement;
  return success();
}

/// Checks an optional |table| of |op|: [batch, W] i32 with the batch of
/// |values| (rank 4, checked before).
LogicalResult verifyBlockTable(Operation *op, Value table, Value values,
                               StringRef what) {
  if (!table)
    return success();
  auto type = cast<RankedTensorType>(table.getType());
  if (type.getRank() != 2 || !type.getElementType().isInteger(32))
    return op->emitOpError() << "expected a block table of type "
                                "tensor<BxWxi32> [batch, blocks per row], got "
                             << type;
  int64_t batch = shapeOf(values)[0];
  if (!dimsAgree(type.getDimSize(0), batch))
    return op->emitOpError()
           << "expected a block table of " << formatDim(batch)
           << " rows (the " << what << "'s batch), got "
           << formatShape(type.getShape());
  if (type.getDimSize(1) == 0)
    return op->emitOpError() << "expected a block table of at least one "
                                "block per row, got "
                             << formatShape(type.getShape());
  return success();
}

/// The positions a row may address: the cache's length (dimension 1), or
/// with a block table [B, W] over blocks of N positions, W * N. Dynamic
/// when unknown.
int64_t logicalLength(ArrayRef<int64_t> cache, Value table) {
  if (!table)
    return cache[1];
  int64_t width = cast<RankedTensorType>(table.getType()).getDimSize(1);
  if (ShapedType::isDynamic(width) || ShapedType::isDynamic(cache[1]))
    return ShapedType::kDynamic;
  return width * cache[1];
}

} // namespace

//===----------------------------------------------------------------------===//
// KVCacheOp
//===----------------------------------------------------------------------===//

LogicalResult KVCacheOp::verify() {
  RankedTensorType type = getTensorType();
  if (!type.hasStaticShape() || type.getRank() != 4)
    return emitOpError() << "expected a statically shaped rank-4 cache "
                            "[batch, length, groups, head_dim], got "
                         << type;
  for (auto [i, dim] : llvm::enumerate(type.getShape()))
    if (dim < 1)
      return emitOpError() << "expected every dimension of cache @"
                           << getSymName() << " to be at least 1, got " << dim
                           << " for dimension " << i;
  return success();
}

//===----------------------------------------------------------------------===//
// CacheWriteOp
//===----------------------------------------------------------------------===//

LogicalResult CacheWriteOp::verify() {
  if (failed(verifyPositions(*this, getValues(), getPositions(), "values")))
    return failure();
  return verifyBlockTable(*this, getBlockTable(), getValues(), "values");
}

LogicalResult
CacheWriteOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<KVCacheOp> cache =
      lookupCache(*this, getCacheAttr(), "cache", symbolTable);
  if (failed(cache))
    return failure();
  ArrayRef<int64_t> c = cache->getLocalType().getShape();
  ArrayRef<int64_t> v = shapeOf(getValues());
  const bool paged = static_cast<bool>(getBlockTable());
  // A paged cache's first dimension is its pool of blocks, not the batch.
  if ((!paged && !dimsAgree(v[0], c[0])) || !dimsAgree(v[2], c[2]) ||
      !dimsAgree(v[3], c[3]))
    return emitOpError() << "expected values of shape "
                         << (paged ? "?" : formatDim(c[0])) << "x?x"
                         << formatDim(c[2]) << "x" << formatDim(c[3])
                         << " (the " << (paged ? "" : "batch, ")
                         << "groups and head_dim of @" << getCache() << " "
                         << formatShape(c) << "), got " << formatShape(v);
  int64_t length = logicalLength(c, getBlockTable());
  if (!ShapedType::isDynamic(v[1]) && !ShapedType::isDynamic(length) &&
      v[1] > length)
    return emitOpError() << "expected at most " << length << " rows (the "
                         << (paged ? "positions its block table addresses, "
                                     "blocks per row x block size, of @"
                                   : "length of @")
                         << getCache() << "), got " << v[1];
  return verifyCacheElementType(*this, *cache, getValues(), "values");
}

//===----------------------------------------------------------------------===//
// CachedAttentionOp
//===----------------------------------------------------------------------===//

LogicalResult TakePositionsOp::verify() {
  ArrayRef<int64_t> input = shapeOf(getInput());
  ArrayRef<int64_t> index = shapeOf(getIndex());
  ArrayRef<int64_t> result = shapeOf(getResult());
  if (input.size() < 2)
    return emitOpError() << "expected an input of rank >= 2 [batch, "
                            "sequence, ...], got "
                         << formatShape(input);
  if (index.size() != 1 || !shapesAgree(index, input.take_front(1)))
    return emitOpError() << "expected an index of shape "
                         << formatDim(input[0]) << " [batch], got "
                         << formatShape(index);
  SmallVector<int64_t> expected(input);
  expected[1] = 1;
  if (!shapesAgree(result, expected))
    return emitOpError() << "expected a result of shape "
                         << formatShape(expected) << ", got "
                         << formatShape(result);
  return success();
}

LogicalResult CachedAttentionOp::verify() {
  if (failed(verifyPositions(*this, getQuery(), getPositions(), "query")))
    return failure();
  if (failed(verifyBlockTable(*this, getBlockTable(), getQuery(), "query")))
    return failure();
  if (!getCausal())
    return emitOpError() << "expected causal: a query attends the cached "
                            "keys up to its own position";
  double scale = getScale().convertToDouble();
  if (!(scale > 0.0) || !std::isfinite(scale))
    return emitOpError() << "expected a positive, finite scale, got " << scale;
  ArrayRef<int64_t> q = shapeOf(getQuery());
  ArrayRef<int64_t> result = shapeOf(getResult());
  if (result.size() != 4 || !shapesAgree(q.take_front(3), result.take_front(3)))
    return emitOpError() << "expected a result of shape " << formatDim(q[0])
                         << "x" << formatDim(q[1]) << "x" << formatDim(q[2])
                         << "x? [batch, query length, heads, value "
                            "head_dim], got "
                         << formatShape(result);
  return success();
}

LogicalResult
CachedAttentionOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<KVCacheOp> keyCache =
      lookupCache(*this, getKeyCacheAttr(), "key cache", symbolTable);
  if (failed(keyCache))
    return failure();
  FailureOr<KVCacheOp> valueCache =
      lookupCache(*this, getValueCacheAttr(), "value cache", symbolTable);
  if (failed(valueCache))
    return failure();
  ArrayRef<int64_t> q = shapeOf(getQuery());
  ArrayRef<int64_t> k = keyCache->getLocalType().getShape();
  ArrayRef<int64_t> v = valueCache->getLocalType().getShape();
  const bool paged = static_cast<bool>(getBlockTable());
  if (paged && !dimsAgree(q[3], k[3]))
    return emitOpError() << "expected key cache @" << getKeyCache() << " "
                         << formatShape(k) << " to have the query's head_dim "
                         << formatDim(q[3]);
  if (!paged && (!dimsAgree(q[0], k[0]) || !dimsAgree(q[3], k[3])))
    return emitOpError() << "expected key cache @" << getKeyCache() << " "
                         << formatShape(k) << " to have the query's batch "
                         << formatDim(q[0]) << " and head_dim "
                         << formatDim(q[3]);
  if (k[0] != v[0] || k[1] != v[1] || k[2] != v[2])
    return emitOpError() << "expected the key and value caches to agree in "
                         << (paged ? "blocks, block size" : "batch, length")
                         << " and groups, got key cache " << formatShape(k)
                         << " and value cache " << formatShape(v);
  int64_t heads = q[2], groups = k[2];
  if (!ShapedType::isDynamic(heads) && heads % groups != 0)
    return emitOpError() << "expected " << heads
                         << " query heads to be divisible by " << groups
                         << " key/value groups";
  int64_t length = logicalLength(k, getBlockTable());
  if (!ShapedType::isDynamic(q[1]) && !ShapedType::isDynamic(length) &&
      q[1] > length)
    return emitOpError() << "expected query length " << q[1]
                         << " to be at most the cache length " << length
                         << (paged ? " (blocks per row x block size)" : "");
  ArrayRef<int64_t> result = shapeOf(getResult());
  if (!dimsAgree(result[3], v[3]))
    return emitOpError() << "expected result head_dim " << v[3]
                         << " (the value cache's), got "
                         << formatDim(result[3]);
  if (failed(verifyCacheElementType(*this, *keyCache, getQuery(), "query")))
    return failure();
  return verifyCacheElementType(*this, *valueCache, getQuery(), "query");
}

//===- DistOps.cpp - dist dialect operations ------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "dialects/dist/IR/DistOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/StringSet.h"

#include <cstdlib>

using namespace mlir;
using namespace mlir::strata::dist;

#define GET_OP_CLASSES
#include "dialects/dist/IR/DistOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shared checks
//===----------------------------------------------------------------------===//

/// The dist.mesh |ref| names, or failure after reporting why there is none.
static FailureOr<MeshOp> lookupMesh(Operation *op,
                                    SymbolTableCollection &symbolTable,
                                    FlatSymbolRefAttr ref) {
  if (auto mesh = symbolTable.lookupNearestSymbolFrom<MeshOp>(op, ref))
    return mesh;
  Operation *found = symbolTable.lookupNearestSymbolFrom(op, ref);
  InFlightDiagnostic diag = op->emitOpError()
                            << ref << " does not name a dist.mesh";
  if (found)
    diag << " (it names a " << found->getName() << ")";
  return diag;
}

static SmallVector<StringRef> axisNames(ArrayAttr axes) {
  SmallVector<StringRef> names;
  for (Attribute axis : axes)
    names.push_back(cast<StringAttr>(axis).getValue());
  return names;
}

/// Mesh-independent checks of a collective's `axes`: non-empty, unique.
static LogicalResult verifyAxesAttr(Operation *op, ArrayAttr axes) {
  if (axes.empty())
    return op->emitOpError() << "expected at least one mesh axis";
  llvm::StringSet<> seen;
  for (StringRef axis : axisNames(axes))
    if (!seen.insert(axis).second)
      return op->emitOpError()
             << "mesh axis '" << axis << "' is listed more than once in axes";
  return success();
}

/// The product of the sizes of |axes| in |mesh|, or failure after reporting an
/// axis the mesh lacks.
static FailureOr<int64_t> verifyGroup(Operation *op, MeshOp mesh,
                                      ArrayAttr axes) {
  return groupSize([op] { return op->emitOpError(); }, mesh, axisNames(axes));
}

/// The size of the group |axes| of the mesh @|meshName| names, or failure
/// after reporting a missing mesh or axis.
static FailureOr<int64_t> lookupGroup(Operation *op,
                                      SymbolTableCollection &symbolTable,
                                      FlatSymbolRefAttr meshName,
                                      ArrayAttr axes) {
  FailureOr<MeshOp> mesh = lookupMesh(op, symbolTable, meshName);
  if (failed(mesh))
    return failure();
  return verifyGroup(op, *mesh, axes);
}

/// Same rank and element type, and |dims| are dimensions of the operand.
static LogicalResult
verifyRankAndDims(Operation *op, RankedTensorType input,
                  RankedTensorType result,
                  ArrayRef<std::pair<StringRef, int64_t>> dims) {
  if (input.getElementType() != result.getElementType())
    return op->emitOpError()
           << "expected the result element type " << result.getElementType()
           << " to match the operand's " << input.getElementType();
  if (input.getRank() != result.getRank())
    return op->emitOpError() << "expected the result rank " << result.getRank()
                             << " to match the operand's " << input.getRank();
  for (auto [name, dim] : dims)
    if (dim < 0 || dim >= input.getRank())
      return op->emitOpError()
             << name << " " << dim << " is not a dimension of the operand "
             << input << " (rank " << input.getRank() << ")";
  return success();
}

/// Checks result dimension |dim| against |expected| (skipped where either is
/// dynamic); |how| explains the expected size.
static LogicalResult checkResultDim(Operation *op, StringRef group,
                                    RankedTensorType result, int64_t dim,
                                    int64_t expected, const Twine &how) {
  int64_t actual = result.getDimSize(dim);
  if (ShapedType::isDynamic(actual) || ShapedType::isDynamic(expected) ||
      actual == expected)
    return success();
  return op->emitOpError() << "along " << group
                           << ": expected result dimension " << dim
                           << " of size " << expected << " (" << how
                           << "), got " << actual;
}

/// The operand's dimension |dim| divided by |size|, erroring on an uneven
/// split; dynamic stays dynamic.
static FailureOr<int64_t> divideDim(Operation *op, StringRef group,
                                    RankedTensorType input, int64_t dim,
                                    int64_t size) {
  int64_t extent = input.getDimSize(dim);
  if (ShapedType::isDynamic(extent))
    return extent;
  if (extent % size != 0)
    return op->emitOpError()
           << "along " << group << ": dimension " << dim << " of size "
           << extent << " is not divisible by " << size;
  return extent / size;
}

static int64_t multiplyDim(int64_t extent, int64_t size) {
  return ShapedType::isDynamic(extent) ? extent : extent * size;
}

/// Checks the result shape of a collective that maps dimension `d` of the
/// operand to |expected|[d].
static LogicalResult checkResultShape(Operation *op, StringRef group,
                                      RankedTensorType input,
                                      RankedTensorType result,
                                      ArrayRef<int64_t> expected,
                                      ArrayRef<std::string> how) {
  for (int64_t dim = 0; dim < input.getRank(); ++dim)
    if (failed(checkResultDim(op, group, result, dim, expected[dim], how[dim])))
      return failure();
  return success();
}

/// The `pp` size of |mesh|, or failure after reporting that it has none.
static FailureOr<int64_t> pipelineSize(Operation *op, MeshOp mesh) {
  std::optional<int64_t> size = mesh.getAxisSize(kPipelineAxis);
  if (!size)
    return op->emitOpError() << "mesh @" << mesh.getSymName() << " has no '"
                             << kPipelineAxis << "' axis";
  return *size;
}

//===----------------------------------------------------------------------===//
// MeshOp
//===----------------------------------------------------------------------===//

LogicalResult MeshOp::verify() {
  ArrayRef<int64_t> shape = getShape();
  if (getAxes().size() != shape.size())
    return emitOpError() << "expected one size per axis, got "
                         << getAxes().size() << " axes and " << shape.size()
                         << " sizes";
  if (shape.empty())
    return emitOpError() << "expected at least one axis";
  llvm::StringSet<> seen;
  for (auto [axis, size] : llvm::zip(axisNames(getAxes()), shape)) {
    if (axis.empty())
      return emitOpError() << "expected non-empty axis names";
    if (!seen.insert(axis).second)
      return emitOpError() << "axis '" << axis << "' is declared twice";
    if (size < 1)
      return emitOpError() << "axis '" << axis << "' has size " << size
                           << "; sizes must be at least 1";
  }
  return success();
}

std::optional<unsigned> MeshOp::getAxisIndex(StringRef axis) {
  for (auto [i, name] : llvm::enumerate(axisNames(getAxes())))
    if (name == axis)
      return i;
  return std::nullopt;
}

std::optional<int64_t> MeshOp::getAxisSize(StringRef axis) {
  if (std::optional<unsigned> index = getAxisIndex(axis))
    return getShape()[*index];
  return std::nullopt;
}

int64_t MeshOp::getNumRanks() {
  int64_t ranks = 1;
  for (int64_t size : getShape())
    ranks *= size;
  return ranks;
}

//===----------------------------------------------------------------------===//
// ShardOp
//===----------------------------------------------------------------------===//

LogicalResult ShardOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<MeshOp> mesh =
      lookupMesh(*this, symbolTable, getSharding().getMesh());
  if (failed(mesh))
    return failure();
  return verifyShardingFor([&] { return emitOpError(); }, getInput().getType(),
                           getSharding(), *mesh);
}

//===----------------------------------------------------------------------===//
// AllReduceOp
//===----------------------------------------------------------------------===//

LogicalResult AllReduceOp::verify() { return verifyAxesAttr(*this, getAxes()); }

LogicalResult
AllReduceOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return lookupGroup(*this, symbolTable, getMeshAttr(), getAxes());
}

//===----------------------------------------------------------------------===//
// AllGatherOp
//===----------------------------------------------------------------------===//

LogicalResult AllGatherOp::verify() {
  if (failed(verifyAxesAttr(*this, getAxes())))
    return failure();
  return verifyRankAndDims(*this, getInput().getType(), getResult().getType(),
                           {{"dim", getDimAttr().getInt()}});
}

LogicalResult
AllGatherOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<int64_t> size =
      lookupGroup(*this, symbolTable, getMeshAttr(), getAxes());
  if (failed(size))
    return failure();
  std::string group = describeAxisGroup(axisNames(getAxes()), *size);
  RankedTensorType input = getInput().getType();
  SmallVector<int64_t> expected(input.getShape());
  SmallVector<std::string> how(input.getRank(), "as the operand's");
  int64_t dim = getDimAttr().getInt();
  expected[dim] = multiplyDim(input.getDimSize(dim), *size);
  how[dim] =
      std::to_string(input.getDimSize(dim)) + " * " + std::to_string(*size);
  return checkResultShape(*this, group, input, getResult().getType(), expected,
                          how);
}

//===----------------------------------------------------------------------===//
// ReduceScatterOp
//===----------------------------------------------------------------------===//

LogicalResult ReduceScatterOp::verify() {
  if (failed(verifyAxesAttr(*this, getAxes())))
    return failure();
  return verifyRankAndDims(*this, getInput().getType(), getResult().getType(),
                           {{"dim", getDimAttr().getInt()}});
}

/// The result of an op that divides dimension |dim| of |input| among the
/// group of |axes| (reduce_scatter, slice): that dimension over the group
/// size, the others as the operand's.
static LogicalResult verifyDividedResult(Operation *op,
                                         SymbolTableCollection &symbolTable,
                                         FlatSymbolRefAttr meshName,
                                         ArrayAttr axes, RankedTensorType input,
                                         RankedTensorType result, int64_t dim) {
  FailureOr<int64_t> size = lookupGroup(op, symbolTable, meshName, axes);
  if (failed(size))
    return failure();
  std::string group = describeAxisGroup(axisNames(axes), *size);
  FailureOr<int64_t> quotient = divideDim(op, group, input, dim, *size);
  if (failed(quotient))
    return failure();
  SmallVector<int64_t> expected(input.getShape());
  SmallVector<std::string> how(input.getRank(), "as the operand's");
  expected[dim] = *quotient;
  how[dim] =
      std::to_string(input.getDimSize(dim)) + " / " + std::to_string(*size);
  return checkResultShape(op, group, input, result, expected, how);
}

LogicalResult
ReduceScatterOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyDividedResult(*this, symbolTable, getMeshAttr(), getAxes(),
                             getInput().getType(), getResult().getType(),
                             getDimAttr().getInt());
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::verify() {
  if (failed(verifyAxesAttr(*this, getAxes())))
    return failure();
  return verifyRankAndDims(*this, getInput().getType(), getResult().getType(),
                           {{"dim", getDimAttr().getInt()}});
}

LogicalResult SliceOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyDividedResult(*this, symbolTable, getMeshAttr(), getAxes(),
                             cast<RankedTensorType>(getInput().getType()),
                             cast<RankedTensorType>(getResult().getType()),
                             getDimAttr().getInt());
}

//===----------------------------------------------------------------------===//
// AllToAllOp
//===----------------------------------------------------------------------===//

LogicalResult AllToAllOp::verify() {
  if (failed(verifyAxesAttr(*this, getAxes())))
    return failure();
  return verifyRankAndDims(*this, getInput().getType(), getResult().getType(),
                           {{"split_dim", getSplitDimAttr().getInt()},
                            {"concat_dim", getConcatDimAttr().getInt()}});
}

LogicalResult AllToAllOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<int64_t> size =
      lookupGroup(*this, symbolTable, getMeshAttr(), getAxes());
  if (failed(size))
    return failure();
  std::string group = describeAxisGroup(axisNames(getAxes()), *size);
  RankedTensorType input = getInput().getType();
  int64_t splitDim = getSplitDimAttr().getInt(),
          concatDim = getConcatDimAttr().getInt();
  FailureOr<int64_t> quotient = divideDim(*this, group, input, splitDim, *size);
  if (failed(quotient))
    return failure();
  SmallVector<int64_t> expected(input.getShape());
  SmallVector<std::string> how(input.getRank(), "as the operand's");
  if (splitDim != concatDim) {
    expected[splitDim] = *quotient;
    how[splitDim] = std::to_string(input.getDimSize(splitDim)) + " / " +
                    std::to_string(*size) + ", the split dimension";
    expected[concatDim] = multiplyDim(input.getDimSize(concatDim), *size);
    how[concatDim] = std::to_string(input.getDimSize(concatDim)) + " * " +
                     std::to_string(*size) + ", the concatenated dimension";
  }
  return checkResultShape(*this, group, input, getResult().getType(), expected,
                          how);
}

//===----------------------------------------------------------------------===//
// BroadcastOp
//===----------------------------------------------------------------------===//

LogicalResult BroadcastOp::verify() {
  if (failed(verifyAxesAttr(*this, getAxes())))
    return failure();
  if (getRootAttr().getInt() < 0)
    return emitOpError() << "expected a non-negative root, got "
                         << getRootAttr().getInt();
  return success();
}

LogicalResult
BroadcastOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<int64_t> size =
      lookupGroup(*this, symbolTable, getMeshAttr(), getAxes());
  if (failed(size))
    return failure();
  if (getRootAttr().getInt() >= *size)
    return emitOpError() << "along "
                         << describeAxisGroup(axisNames(getAxes()), *size)
                         << ": root " << getRootAttr().getInt()
                         << " is not a rank of the group";
  return success();
}

//===----------------------------------------------------------------------===//
// SendOp / RecvOp
//===----------------------------------------------------------------------===//

static LogicalResult verifyPeer(Operation *op, int64_t offset, int64_t tag) {
  if (offset == 0)
    return op->emitOpError() << "expected a non-zero stage offset";
  if (tag < 0)
    return op->emitOpError() << "expected a non-negative tag, got " << tag;
  return success();
}

static LogicalResult verifyPeerInMesh(Operation *op,
                                      SymbolTableCollection &symbolTable,
                                      FlatSymbolRefAttr meshRef,
                                      int64_t offset) {
  FailureOr<MeshOp> mesh = lookupMesh(op, symbolTable, meshRef);
  if (failed(mesh))
    return failure();
  FailureOr<int64_t> stages = pipelineSize(op, *mesh);
  if (failed(stages))
    return failure();
  if (std::abs(offset) >= *stages)
    return op->emitOpError()
           << "stage offset " << offset << " reaches past the " << *stages
           << " stages of axis '" << kPipelineAxis << "'";
  return success();
}

LogicalResult SendOp::verify() {
  return verifyPeer(*this, getOffsetAttr().getInt(), getTagAttr().getInt());
}

LogicalResult SendOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyPeerInMesh(*this, symbolTable, getMeshAttr(),
                          getOffsetAttr().getInt());
}

LogicalResult RecvOp::verify() {
  return verifyPeer(*this, getOffsetAttr().getInt(), getTagAttr().getInt());
}

LogicalResult RecvOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyPeerInMesh(*this, symbolTable, getMeshAttr(),
                          getOffsetAttr().getInt());
}

//===----------------------------------------------------------------------===//
// StageOp
//===----------------------------------------------------------------------===//

LogicalResult StageOp::verify() {
  if (getIndexAttr().getInt() < 0)
    return emitOpError() << "expected a non-negative stage index, got "
                         << getIndexAttr().getInt();
  if (auto outer = (*this)->getParentOfType<StageOp>())
    return emitOpError() << "stage " << getIndexAttr().getInt()
                         << " is nested in stage "
                         << outer.getIndexAttr().getInt()
                         << "; stages do not nest";
  for (Operation &sibling : *(*this)->getBlock()) {
    if (&sibling == getOperation())
      break;
    if (auto other = dyn_cast<StageOp>(sibling))
      if (other.getIndexAttr().getInt() == getIndexAttr().getInt() &&
          other.getMesh() == getMesh())
        return emitOpError() << "stage " << getIndexAttr().getInt()
                             << " is defined twice in this block";
  }
  return success();
}

LogicalResult StageOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<MeshOp> mesh = lookupMesh(*this, symbolTable, getMeshAttr());
  if (failed(mesh))
    return failure();
  FailureOr<int64_t> stages = pipelineSize(*this, *mesh);
  if (failed(stages))
    return failure();
  if (getIndexAttr().getInt() >= *stages)
    return emitOpError() << "stage index " << getIndexAttr().getInt()
                         << " is out of range for the " << *stages
                         << " stages of axis '" << kPipelineAxis << "'";
  return success();
}

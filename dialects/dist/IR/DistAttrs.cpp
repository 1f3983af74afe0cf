//===- DistAttrs.cpp - dist dialect attributes ----------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "dialects/dist/IR/DistOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::strata::dist;

#include "dialects/dist/IR/DistEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/dist/IR/DistAttrs.cpp.inc"

void DistDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/dist/IR/DistAttrs.cpp.inc"
      >();
}

std::string mlir::strata::dist::describeAxisGroup(ArrayRef<StringRef> axes,
                                                  int64_t size) {
  std::string text = axes.size() == 1 ? "axis " : "axes ";
  for (auto [i, axis] : llvm::enumerate(axes))
    text += (i ? ", '" : "'") + axis.str() + "'";
  return text + " of size " + std::to_string(size);
}

//===----------------------------------------------------------------------===//
// ShardingAttr
//===----------------------------------------------------------------------===//

static ParseResult parseAxisList(AsmParser &parser, Builder &builder,
                                 ArrayAttr &result) {
  SmallVector<Attribute> axes;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        std::string axis;
        if (parser.parseString(&axis))
          return failure();
        axes.push_back(builder.getStringAttr(axis));
        return success();
      }))
    return failure();
  result = builder.getArrayAttr(axes);
  return success();
}

// #dist.sharding<@mesh, [[], ["tp"]], partial = ["tp"]>
Attribute ShardingAttr::parse(AsmParser &parser, Type) {
  Builder builder(parser.getContext());
  StringAttr meshName;
  SmallVector<Attribute> dims;
  if (parser.parseLess() || parser.parseSymbolName(meshName) ||
      parser.parseComma() ||
      parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        ArrayAttr axes;
        if (parseAxisList(parser, builder, axes))
          return failure();
        dims.push_back(axes);
        return success();
      }))
    return {};
  ArrayAttr partial = builder.getArrayAttr({});
  if (succeeded(parser.parseOptionalComma())) {
    if (parser.parseKeyword("partial") || parser.parseEqual() ||
        parseAxisList(parser, builder, partial))
      return {};
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<ShardingAttr>(parser.getContext(),
                                         FlatSymbolRefAttr::get(meshName),
                                         builder.getArrayAttr(dims), partial);
}

static void printAxisList(AsmPrinter &printer, ArrayAttr axes) {
  printer << "[";
  llvm::interleaveComma(axes, printer, [&](Attribute axis) {
    printer << "\"" << cast<StringAttr>(axis).getValue() << "\"";
  });
  printer << "]";
}

void ShardingAttr::print(AsmPrinter &printer) const {
  printer << "<" << getMesh() << ", [";
  llvm::interleaveComma(getDims(), printer, [&](Attribute dim) {
    printAxisList(printer, cast<ArrayAttr>(dim));
  });
  printer << "]";
  if (!getPartial().empty()) {
    printer << ", partial = ";
    printAxisList(printer, getPartial());
  }
  printer << ">";
}

LogicalResult ShardingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   FlatSymbolRefAttr mesh, ArrayAttr dims,
                                   ArrayAttr partial) {
  if (!mesh)
    return emitError() << "expected a mesh symbol";
  // Where each axis was first seen, for the message about a second use.
  llvm::StringMap<std::string> seen;
  auto checkAxes = [&](Attribute list,
                       const std::string &where) -> LogicalResult {
    auto axes = dyn_cast_or_null<ArrayAttr>(list);
    if (!axes)
      return emitError() << "expected a list of mesh axes for " << where;
    for (Attribute attr : axes) {
      auto axis = dyn_cast<StringAttr>(attr);
      if (!axis)
        return emitError() << "expected mesh axis names (strings) for " << where
                           << ", got " << attr;
      if (axis.getValue().empty())
        return emitError() << "expected a non-empty mesh axis name for "
                           << where;
      auto [it, inserted] = seen.try_emplace(axis.getValue(), where);
      if (!inserted)
        return emitError() << "mesh axis '" << axis.getValue()
                           << "' is used more than once (" << it->second
                           << " and " << where
                           << "); an axis splits at most one dimension and "
                              "a value cannot be both split and partial "
                              "along it";
    }
    return success();
  };
  if (!dims)
    return emitError() << "expected a list of per-dimension axes";
  for (auto [i, dim] : llvm::enumerate(dims))
    if (failed(checkAxes(dim, "dimension " + std::to_string(i))))
      return failure();
  if (!partial)
    return emitError() << "expected a list of partial-sum axes";
  return checkAxes(partial, "partial");
}

static SmallVector<StringRef> axisNames(ArrayAttr axes) {
  SmallVector<StringRef> names;
  for (Attribute axis : axes)
    names.push_back(cast<StringAttr>(axis).getValue());
  return names;
}

SmallVector<StringRef> ShardingAttr::getDimAxes(unsigned dim) const {
  return axisNames(cast<ArrayAttr>(getDims()[dim]));
}

SmallVector<StringRef> ShardingAttr::getPartialAxes() const {
  return axisNames(getPartial());
}

//===----------------------------------------------------------------------===//
// Checks against a mesh and a tensor type
//===----------------------------------------------------------------------===//

FailureOr<int64_t>
mlir::strata::dist::groupSize(function_ref<InFlightDiagnostic()> emitError,
                              MeshOp mesh, ArrayRef<StringRef> axes) {
  int64_t size = 1;
  for (StringRef axis : axes) {
    std::optional<int64_t> axisSize = mesh.getAxisSize(axis);
    if (!axisSize) {
      InFlightDiagnostic diag = emitError();
      diag << "mesh @" << mesh.getSymName() << " has no axis '" << axis
           << "' (its axes are ";
      llvm::interleaveComma(mesh.getAxes(), diag, [&](Attribute name) {
        diag << "'" << cast<StringAttr>(name).getValue() << "'";
      });
      diag << ")";
      return diag;
    }
    size *= *axisSize;
  }
  return size;
}

FailureOr<RankedTensorType>
mlir::strata::dist::getLocalType(function_ref<InFlightDiagnostic()> emitError,
                                 RankedTensorType type, ShardingAttr sharding,
                                 MeshOp mesh) {
  if (sharding.getMesh().getValue() != mesh.getSymName())
    return emitError() << "sharding names mesh " << sharding.getMesh()
                       << " but is checked against mesh @" << mesh.getSymName();
  if (sharding.getRank() != type.getRank())
    return emitError() << "sharding has " << sharding.getRank()
                       << " dimension entries but the tensor type " << type
                       << " has rank " << type.getRank();
  if (failed(groupSize(emitError, mesh, sharding.getPartialAxes())))
    return failure();
  SmallVector<int64_t> local(type.getShape());
  for (unsigned dim = 0; dim < sharding.getRank(); ++dim) {
    SmallVector<StringRef> axes = sharding.getDimAxes(dim);
    FailureOr<int64_t> size = groupSize(emitError, mesh, axes);
    if (failed(size))
      return failure();
    if (axes.empty() || ShapedType::isDynamic(local[dim]))
      continue;
    if (local[dim] % *size != 0)
      return emitError() << "split over " << describeAxisGroup(axes, *size)
                         << ": dimension " << dim << " of size " << local[dim]
                         << " is not divisible by " << *size;
    local[dim] /= *size;
  }
  return RankedTensorType::get(local, type.getElementType(),
                               type.getEncoding());
}

LogicalResult mlir::strata::dist::verifyShardingFor(
    function_ref<InFlightDiagnostic()> emitError, RankedTensorType type,
    ShardingAttr sharding, MeshOp mesh) {
  return getLocalType(emitError, type, sharding, mesh);
}

//===- TfmAttrs.cpp - tfm dialect attributes ------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::strata::tfm;

#include "dialects/tfm/IR/TfmEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/tfm/IR/TfmAttrs.cpp.inc"

void TfmDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/tfm/IR/TfmAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// InitAttr
//===----------------------------------------------------------------------===//

// #tfm.init<zeros> | #tfm.init<ones> | #tfm.init<normal, std = 0.02>
Attribute InitAttr::parse(AsmParser &parser, Type) {
  StringRef keyword;
  SMLoc kindLoc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword(&keyword))
    return {};
  std::optional<InitKind> kind = symbolizeInitKind(keyword);
  if (!kind) {
    parser.emitError(kindLoc) << "unknown initializer '" << keyword
                              << "', expected zeros, ones or normal";
    return {};
  }
  // `std` parses for every kind so that the verifier, not the parser,
  // explains that only normal takes one.
  double stddev = 0.0;
  if (succeeded(parser.parseOptionalComma())) {
    if (parser.parseKeyword("std") || parser.parseEqual() ||
        parser.parseFloat(stddev))
      return {};
  } else if (*kind == InitKind::normal) {
    parser.emitError(parser.getCurrentLocation())
        << "expected ', std = <value>' for a normal initializer";
    return {};
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<InitAttr>(parser.getContext(), *kind,
                                     llvm::APFloat(stddev));
}

void InitAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyInitKind(getKind());
  if (getKind() == InitKind::normal)
    printer << ", std = " << getStd();
  printer << ">";
}

LogicalResult InitAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               InitKind kind, llvm::APFloat stdValue) {
  double stddev = stdValue.convertToDouble();
  if (kind == InitKind::normal) {
    if (!(stddev > 0.0) || !std::isfinite(stddev))
      return emitError() << "expected a positive, finite std for a normal "
                            "initializer, got "
                         << stddev;
  } else if (stddev != 0.0) {
    return emitError() << "initializer " << stringifyInitKind(kind)
                       << " takes no std, got " << stddev;
  }
  return success();
}

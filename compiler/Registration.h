//===- Registration.h - every Strata dialect and pass -----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_REGISTRATION_H
#define STRATA_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::strata {

/// Adds the Strata dialects (tfm, dist) and the upstream dialects Strata's
/// programs use (func) to |registry|.
void registerStrataDialects(DialectRegistry &registry);

/// Registers Strata's passes with the global registry (strata-opt flags and
/// --pass-pipeline names).
void registerStrataPasses();

} // namespace mlir::strata

#endif // STRATA_COMPILER_REGISTRATION_H

//===- StrataServe.cpp - strata-serve main --------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Built with the runtime, without LLVM or MLIR.
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/serve_main.h"

int main(int argc, char **argv) {
  return strata::runtime::serving::runStrataServeMain(argc, argv);
}

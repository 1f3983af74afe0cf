//===- StrataRun.cpp - strata-run main ------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Built with the runtime, without LLVM or MLIR.
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/run_main.h"

int main(int argc, char **argv) {
  return strata::runtime::runStrataRunMain(argc, argv);
}

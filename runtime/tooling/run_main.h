//===- run_main.h - the strata-run command line -----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOOLING_RUN_MAIN_H
#define STRATA_RUNTIME_TOOLING_RUN_MAIN_H

namespace strata::runtime {

/// Parses the strata-run command line and runs the subcommand; returns the
/// process exit code.
int runStrataRunMain(int argc, char **argv);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_TOOLING_RUN_MAIN_H

//===- terminal_output.h - is this output a person's terminal? -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A progress bar redraws one line with "\r" and ANSI erase codes; in a log
// file or a pipe that is noise. isatty() alone is not enough to tell: Open
// MPI's mpirun gives every rank a pseudo-terminal as its standard output
// even when mpirun's own output goes to a pipe or a file, so a rank cannot
// know what its output finally lands on. Under an MPI launcher (mpirun,
// srun --mpi=pmix) Strata therefore prints plain lines.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOOLING_TERMINAL_OUTPUT_H
#define STRATA_RUNTIME_TOOLING_TERMINAL_OUTPUT_H

#include <cstdio>

namespace strata::runtime {

/// True when |file| is a terminal and this process was not started by an
/// MPI launcher: then a live progress display belongs there.
bool isLiveTerminal(std::FILE *file);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_TOOLING_TERMINAL_OUTPUT_H

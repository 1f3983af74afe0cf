//===- terminal_output.cc - is this output a person's terminal? -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/terminal_output.h"

#include "runtime/executor/mpi_session.h"

#include <unistd.h>

namespace strata::runtime {

bool isLiveTerminal(std::FILE *file) {
  return file && isatty(fileno(file)) != 0 && !MpiSession::launchedUnderMpi();
}

} // namespace strata::runtime

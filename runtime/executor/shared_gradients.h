//===- shared_gradients.h - parameters two stages hold ---------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Tied word embeddings are read by the first pipeline stage (the embedding)
// and the last (the output layer); each holds a copy
// (Parameter.shared_with_stage names the other) and accumulates its own
// part of the gradient. Before the optimizer step the two parts are summed
// so that both copies take the same update and stay equal.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_SHARED_GRADIENTS_H
#define STRATA_RUNTIME_EXECUTOR_SHARED_GRADIENTS_H

#include "runtime/executor/executor.h"
#include "runtime/support/status.h"

namespace strata::runtime {

/// Replaces the gradient slot of every parameter this rank's stage shares
/// with another by the sum of both copies' slots, lower stage's + higher
/// stage's, so both ranks hold the same bits. Exchanges with the rank of
/// the other stage that shares every other coordinate (the pp
/// communicator), one parameter at a time in name order; both stages must
/// call it. Nothing to do without shared parameters.
Status sumSharedGradients(Executor &executor);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_SHARED_GRADIENTS_H

//===- serve_main.h - strata-serve ------------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// strata-serve M.infer.strata --checkpoint C [--host H] [--port P] ...
// loads a paged inference artifact and its checkpoint and serves OpenAI's
// completions API (http_server.h). Under `mpirun -np N` every rank loads
// its shard; the first serves HTTP and drives the others (rank_calls.h).
// SIGTERM or SIGINT stops admitting, finishes the running requests and
// exits 0.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SERVING_SERVE_MAIN_H
#define STRATA_RUNTIME_SERVING_SERVE_MAIN_H

namespace strata::runtime::serving {

int runStrataServeMain(int argc, char **argv);

} // namespace strata::runtime::serving

#endif // STRATA_RUNTIME_SERVING_SERVE_MAIN_H

//===- calibrate_command.h - strata-run calibrate ---------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Times kernels and collectives on this device so that strata-tune's cost
// model can price a layout with measured numbers instead of datasheet
// guesses. strata-tune calibrate decides what to time (the GEMM, attention
// and cross-entropy shapes the model's candidate layouts run) and writes
// them to a shapes file; this command runs each shape as a one-kernel
// artifact (the conformance suite's cases, runtime/backends/conformance) on
// --device with the executor's per-kernel profile, and, when mpirun started
// several ranks, times all-reduces between them. Rank 0 writes the profile.
//
// The shapes file, one item per line ('#' starts a comment):
//   gemm matmul|matmul_grad_input|matmul_grad_weight M N K
//   attention BATCH QUERY_SEQ KEY_SEQ HEADS KV_HEADS HEAD_DIM CAUSAL(0|1)
//   cross_entropy ROWS VOCAB
//   elementwise ELEMENTS
//   all_reduce BYTES
//
// The profile (JSON, "format": "strata-calibration-1"): device, dtype,
// threads, ranks, and one array per kind with the shape and the measured
// seconds per call: gemm {kernel, m, n, k, seconds}, attention {batch,
// query_seq, key_seq, heads, kv_heads, head_dim, causal, forward_seconds,
// backward_seconds}, cross_entropy {rows, vocab, forward_seconds,
// backward_seconds}, elementwise {elements, bytes, seconds} (an add: two
// reads and a write), all_reduce {ranks, bytes, seconds} (f32 payload of
// |bytes| over every rank; empty on one rank).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOOLING_CALIBRATE_COMMAND_H
#define STRATA_RUNTIME_TOOLING_CALIBRATE_COMMAND_H

#include "runtime/artifact/artifact_generated.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::runtime {

struct GemmToTime {
  artifact::Kernel kernel = artifact::Kernel::Matmul;
  int64_t m = 0, n = 0, k = 0;
};

struct AttentionToTime {
  int64_t batch = 0, querySeq = 0, keySeq = 0, heads = 0, kvHeads = 0,
          headDim = 0;
  bool causal = true;
};

struct CrossEntropyToTime {
  int64_t rows = 0, vocab = 0;
};

struct CalibrationShapes {
  std::vector<GemmToTime> gemms;
  std::vector<AttentionToTime> attention;
  std::vector<CrossEntropyToTime> crossEntropy;
  std::vector<int64_t> elementwise;
  std::vector<int64_t> allReduceBytes;
};

/// Parses a shapes file's text; errors name |path|, the line and the value.
StatusOr<CalibrationShapes> parseCalibrationShapes(const std::string &text,
                                                   const std::string &path);

struct CalibrateOptions {
  std::string shapes;
  std::string out;
  /// The element type the kernels compute in: f32 or bf16.
  std::string dtype = "f32";
  int threads = 1;
  /// Each shape runs until this much time was measured (at least 5 calls,
  /// at most maxReps), after one warm-up call; its time is the median call.
  double minSeconds = 0.05;
  int maxReps = 200;
};

Status runCalibrateCommand(const CalibrateOptions &options);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_TOOLING_CALIBRATE_COMMAND_H

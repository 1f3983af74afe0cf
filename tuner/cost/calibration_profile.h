//===- calibration_profile.h - measured kernel and link costs ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A profile strata-tune calibrate wrote (strata-run calibrate's JSON,
// runtime/tooling/calibrate_command.h): seconds per call of GEMMs,
// attention and cross-entropy at the sizes a model's layouts run, the
// bandwidth of elementwise kernels and all-reduce times between the ranks
// of one node. The cost model prices a kernel call from it instead of the
// cluster description's datasheet curves:
//
//   - a GEMM, attention or cross-entropy measured at the call's exact sizes
//     costs what was measured;
//   - otherwise a GEMM runs at the FLOP rate of the measured GEMMs of its
//     kind, interpolated linearly in log(FLOPs); an attention at the FLOP
//     rate, and a cross-entropy at the per-logit rate, of the measured call
//     closest in size;
//   - a bandwidth-bound op runs at the elementwise rate measured closest to
//     its size;
//   - all-reduce times fit latency + bytes / bandwidth (least squares over
//     the bytes each rank sends in a ring), which replaces the cluster's
//     intra-node link.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_TUNER_COST_CALIBRATION_PROFILE_H
#define STRATA_TUNER_COST_CALIBRATION_PROFILE_H

#include "common/checked.h"
#include "compiler/Driver/KernelCalls.h"

#include <array>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace strata::tuner {

struct CalibrationProfile {
  std::string path;
  std::string device, dtype;
  int64_t threads = 0, ranks = 1;

  struct Gemm {
    mlir::strata::GemmCall call;
    double seconds = 0;
  };
  struct Attention {
    mlir::strata::AttentionCall call; // backward unused
    double forwardSeconds = 0, backwardSeconds = 0;
  };
  struct CrossEntropy {
    int64_t rows = 0, vocab = 0;
    double forwardSeconds = 0, backwardSeconds = 0;
  };
  struct Elementwise {
    double bytes = 0, seconds = 0;
  };
  struct AllReduce {
    int64_t ranks = 0;
    double bytes = 0, seconds = 0;
  };
  std::vector<Gemm> gemms;
  std::vector<Attention> attention;
  std::vector<CrossEntropy> crossEntropy;
  std::vector<Elementwise> elementwise;
  std::vector<AllReduce> allReduce;

  /// Seconds of one call; nullopt when the profile has nothing to price it
  /// with (then the cluster's curves do).
  std::optional<double> gemmSeconds(const mlir::strata::GemmCall &call) const;
  std::optional<double>
  attentionSeconds(const mlir::strata::AttentionCall &call) const;
  std::optional<double>
  crossEntropySeconds(const mlir::strata::CrossEntropyCall &call) const;
  /// Bytes per second of a bandwidth-bound op moving |bytes|: the rate of
  /// the elementwise kernel measured closest in size (cache or memory).
  std::optional<double> elementwiseBytesPerS(double bytes) const;

  /// Built from |gemms| by indexGemms (parseCalibrationProfile calls it):
  /// the seconds of each measured (kind, m, n, k), and per kind (index
  /// kAnyGemmKind: every kind) the (log FLOPs, FLOP/s) points sorted, equal
  /// FLOPs at their mean rate. The cost model asks for every GEMM of every
  /// candidate, so this is not rebuilt per call.
  static constexpr size_t kAnyGemmKind = 3;
  std::map<std::tuple<int, int64_t, int64_t, int64_t>, double> gemmIndex;
  std::array<std::vector<std::pair<double, double>>, 4> gemmCurves;
  void indexGemms();

  /// The link between ranks the all-reduces measured: latency per ring
  /// step and bandwidth, fitted; nullopt without two sizes on 2+ ranks.
  struct LinkFit {
    double bandwidthBytesPerS = 0, latencyS = 0;
  };
  std::optional<LinkFit> allReduceLink() const;
};

/// Parses the JSON text of a profile; errors name |path| and the field.
strata::Checked<CalibrationProfile>
parseCalibrationProfile(const std::string &text, const std::string &path);

/// Reads and parses the profile at |path|.
strata::Checked<CalibrationProfile>
loadCalibrationProfile(const std::string &path);

} // namespace strata::tuner

#endif // STRATA_TUNER_COST_CALIBRATION_PROFILE_H

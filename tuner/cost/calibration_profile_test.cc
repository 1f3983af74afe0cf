//===- calibration_profile_test.cc - reading and using a profile ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/cost/calibration_profile.h"
#include "tuner/cost/cost_model.h"

#include <gtest/gtest.h>

namespace strata::tuner {
namespace {

using mlir::strata::AttentionCall;
using mlir::strata::CrossEntropyCall;
using mlir::strata::GemmCall;

// The shape strata-run calibrate writes (runtime/tooling/calibrate_command.h).
const char *kProfile = R"({
  "format": "strata-calibration-1",
  "device": "cpu", "device_name": "cpu", "dtype": "f32", "threads": 1,
  "ranks": 2,
  "gemm": [
    {"kernel": "matmul", "m": 1000, "n": 100, "k": 10, "seconds": 2e-4},
    {"kernel": "matmul", "m": 1000, "n": 1000, "k": 100, "seconds": 1e-2},
    {"kernel": "matmul_grad_weight", "m": 1000, "n": 100, "k": 10,
     "seconds": 4e-4}
  ],
  "attention": [
    {"batch": 2, "query_seq": 16, "key_seq": 16, "heads": 4, "kv_heads": 4,
     "head_dim": 8, "causal": true, "forward_seconds": 1e-5,
     "backward_seconds": 3e-5}
  ],
  "cross_entropy": [
    {"rows": 100, "vocab": 1000, "forward_seconds": 1e-3,
     "backward_seconds": 2e-3}
  ],
  "elementwise": [
    {"elements": 1000, "bytes": 12000, "seconds": 1e-6},
    {"elements": 1000000, "bytes": 12000000, "seconds": 2e-3}
  ],
  "all_reduce": [
    {"ranks": 2, "bytes": 1000, "seconds": 2.5e-5},
    {"ranks": 2, "bytes": 1000000, "seconds": 1.024e-3}
  ]
})";

CalibrationProfile profile() {
  strata::Checked<CalibrationProfile> p =
      parseCalibrationProfile(kProfile, "profile.json");
  EXPECT_TRUE(p.isOk()) << p.error();
  return *p;
}

TEST(CalibrationProfile, ReadsEveryArray) {
  const CalibrationProfile p = profile();
  EXPECT_EQ(p.device, "cpu");
  EXPECT_EQ(p.ranks, 2);
  ASSERT_EQ(p.gemms.size(), 3u);
  EXPECT_EQ(p.gemms[2].call.kind, GemmCall::GradWeight);
  ASSERT_EQ(p.attention.size(), 1u);
  EXPECT_TRUE(p.attention[0].call.causal);
  ASSERT_EQ(p.crossEntropy.size(), 1u);
  ASSERT_EQ(p.elementwise.size(), 2u);
  ASSERT_EQ(p.allReduce.size(), 2u);
}

TEST(CalibrationProfile, GemmsMeasuredOrInterpolatedInLogFlops) {
  const CalibrationProfile p = profile();
  // Measured: exactly.
  EXPECT_DOUBLE_EQ(*p.gemmSeconds({GemmCall::Matmul, 1000, 100, 10}), 2e-4);
  EXPECT_DOUBLE_EQ(*p.gemmSeconds({GemmCall::GradWeight, 1000, 100, 10}),
                   4e-4);
  // Between 2e6 FLOPs at 1e10 FLOP/s and 2e8 at 2e10: 2e7 FLOPs is halfway
  // in log, so 1.5e10 FLOP/s.
  EXPECT_NEAR(*p.gemmSeconds({GemmCall::Matmul, 1000, 100, 100}),
              2e7 / 1.5e10, 1e-12);
  // Beyond the ends: the end's rate.
  EXPECT_NEAR(*p.gemmSeconds({GemmCall::Matmul, 10000, 1000, 100}),
              2e9 / 2e10, 1e-12);
  // A kind never measured borrows the other kinds' rates (at equal FLOPs,
  // their mean: 1e10 and 5e9 FLOP/s).
  EXPECT_NEAR(*p.gemmSeconds({GemmCall::GradInput, 1000, 100, 10}),
              2e6 / 7.5e9, 1e-12);
}

TEST(CalibrationProfile, AttentionCrossEntropyElementwiseAndLink) {
  const CalibrationProfile p = profile();
  AttentionCall a{2, 16, 16, 4, 4, 8, 8, true, false};
  EXPECT_DOUBLE_EQ(*p.attentionSeconds(a), 1e-5);
  a.backward = true;
  EXPECT_DOUBLE_EQ(*p.attentionSeconds(a), 3e-5);
  a.batch = 4; // twice the FLOPs of the measured one
  EXPECT_DOUBLE_EQ(*p.attentionSeconds(a), 6e-5);
  // Per logit: twice the rows, twice the time.
  EXPECT_DOUBLE_EQ(*p.crossEntropySeconds({200, 1000, false, 0}), 2e-3);
  EXPECT_DOUBLE_EQ(*p.crossEntropySeconds({100, 1000, true, 0}), 2e-3);
  // The rate measured closest in size: from cache, or from memory.
  EXPECT_DOUBLE_EQ(*p.elementwiseBytesPerS(8000), 12e9);
  EXPECT_DOUBLE_EQ(*p.elementwiseBytesPerS(1e9), 6e9);
  // Two ranks: sent = bytes, steps = 2: 25 us = 2 lat + 1000 / bw and
  // 1024 us = 2 lat + 1e6 / bw -> bw 1e9 B/s, latency 12 us.
  std::optional<CalibrationProfile::LinkFit> link = p.allReduceLink();
  ASSERT_TRUE(link.has_value());
  EXPECT_NEAR(link->bandwidthBytesPerS, 1e9, 1e3);
  EXPECT_NEAR(link->latencyS, 12e-6, 1e-9);
}

TEST(CalibrationProfile, AnEmptyProfilePricesNothing) {
  strata::Checked<CalibrationProfile> p = parseCalibrationProfile(
      R"({"format": "strata-calibration-1", "device": "cpu",
          "dtype": "f32", "ranks": 1})",
      "empty.json");
  ASSERT_TRUE(p.isOk()) << p.error();
  EXPECT_FALSE(p->gemmSeconds({GemmCall::Matmul, 8, 8, 8}).has_value());
  EXPECT_FALSE(p->crossEntropySeconds({8, 8, false, 0}).has_value());
  EXPECT_FALSE(p->elementwiseBytesPerS(1e6).has_value());
  EXPECT_FALSE(p->allReduceLink().has_value());
}

TEST(CalibrationProfile, ErrorsNameTheFileAndField) {
  auto error = [](const std::string &text) {
    strata::Checked<CalibrationProfile> p =
        parseCalibrationProfile(text, "p.json");
    return p.isOk() ? std::string() : p.error();
  };
  EXPECT_NE(error("{").find("p.json: not a calibration profile (JSON)"),
            std::string::npos);
  EXPECT_NE(error(R"({"format": "other"})")
                .find("'format' is 'other', expected 'strata-calibration-1'"),
            std::string::npos);
  const std::string head = R"({"format": "strata-calibration-1",
      "device": "cpu", "dtype": "f32", "ranks": 1, )";
  EXPECT_NE(error(head + R"("gemm": [{"kernel": "matmul", "m": 4, "n": 4,
      "k": 4, "seconds": -1}]})")
                .find("p.json: gemm[0]: 'seconds' must be a positive number"),
            std::string::npos);
  EXPECT_NE(error(head + R"("gemm": [{"kernel": "conv", "m": 4, "n": 4,
      "k": 4, "seconds": 1}]})")
                .find("gemm kernel 'conv'"),
            std::string::npos);
  EXPECT_NE(error(head + R"("attention": {}})")
                .find("'attention' must be an array"),
            std::string::npos);
  EXPECT_NE(error(R"({"format": "strata-calibration-1", "device": "cpu",
      "dtype": "f32"})")
                .find("'ranks' must be a positive integer"),
            std::string::npos);
}

// A step priced from the profile: its measured GEMMs, cross-entropy and
// elementwise rate; the rest of the cluster is not consulted for them.
TEST(CalibrationProfile, TheCostModelPricesMeasuredCalls) {
  const CalibrationProfile p = profile();
  strata::frontend::ClusterDescription cluster;
  cluster.gpusPerNode = 2;
  cluster.deviceKind = strata::frontend::DeviceKind::Cpu;
  cluster.peakF32FlopsPerS = 1e15; // would make every GEMM free
  cluster.memoryBandwidthBytesPerS = 1e15;
  cluster.intraNode = {1e15, 0};
  cluster.interNode = {1e15, 0};
  cluster.gemmEfficiency = {{1e9, 1.0}};
  cluster.attentionEfficiency = 1.0;
  cluster.elementwiseEfficiency = 1.0;
  mlir::strata::CompileAnalysis a;
  a.microBatches = 2;
  mlir::strata::FunctionFlopsRecord f;
  f.function = "forward_backward";
  f.callsPerStep = 2;
  f.gemms = {{GemmCall::Matmul, 1000, 100, 10},
             {GemmCall::GradWeight, 1000, 100, 10}};
  for (const GemmCall &g : f.gemms) {
    f.matmulCallFlops.push_back(g.flops());
    f.matmulFlops += g.flops();
  }
  // The cross-entropy's 800 kB (priced from its own measurement) and
  // 6 MB of elementwise ops at the 6e9 B/s measured at 12 MB: 1 ms.
  f.crossEntropyCalls = {{100, 1000, false, 8e5}};
  f.memoryBoundBytes = 8e5 + 6e6;
  f.memoryBoundBytesBySize.assign(23, 0.0);
  f.memoryBoundBytesBySize[19] = 8e5; // [2^19, 2^20)
  f.memoryBoundBytesBySize[22] = 6e6; // [2^22, 2^23)
  a.flops.push_back(f);
  a.stages.resize(1);
  StepPrediction withProfile = predictStep(a, {}, cluster, 1, &p);
  // 2 micro-batches x (0.2 + 0.4 + 1 + 1 ms).
  EXPECT_NEAR(withProfile.computeSeconds, 2 * 2.6e-3, 1e-12);
  StepPrediction without = predictStep(a, {}, cluster, 1);
  EXPECT_LT(without.computeSeconds, 1e-6);
}

} // namespace
} // namespace strata::tuner

//===- ClusterDescriptionTest.cpp - cluster descriptions and presets ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "frontends/cluster/ClusterDescription.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace strata::frontend {
namespace {

constexpr const char *kValid = R"(name: two-nodes
nodes: 2
gpus_per_node: 4
device:
  kind: gpu
  memory_gib: 40
  peak_bf16_tflops: 312
  peak_f32_tflops: 19.5
  memory_bandwidth_gb_s: 1555
links:
  intra_node: {bandwidth_gb_s: 300, latency_us: 3}
  inter_node: {bandwidth_gb_s: 25, latency_us: 8}
efficiency:
  gemm:
    - {flops: 1.0e9, fraction: 0.4}
    - {flops: 1.0e11, fraction: 0.8}
  attention: 0.5
  elementwise: 0.7
)";

/// Every diagnostic, formatted (each ends its line).
std::string errorsOf(const ClusterParseResult &result) {
  std::string text;
  for (const Diagnostic &d : result.diagnostics)
    text += formatDiagnostic(d, "");
  return text;
}

std::string replaced(std::string text, const std::string &from,
                     const std::string &to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  return text;
}

TEST(ClusterDescriptionTest, ReadsEveryFieldInSIUnits) {
  ClusterParseResult result = parseClusterDescription(kValid, "c.yaml");
  ASSERT_TRUE(result.cluster) << errorsOf(result);
  const ClusterDescription &c = *result.cluster;
  EXPECT_EQ(c.name, "two-nodes");
  EXPECT_EQ(c.devices(), 8);
  EXPECT_EQ(c.deviceKind, DeviceKind::Gpu);
  EXPECT_EQ(c.deviceMemoryBytes, int64_t(40) << 30);
  EXPECT_DOUBLE_EQ(c.peakBf16FlopsPerS, 312e12);
  EXPECT_DOUBLE_EQ(c.peakF32FlopsPerS, 19.5e12);
  EXPECT_DOUBLE_EQ(c.memoryBandwidthBytesPerS, 1555e9);
  EXPECT_DOUBLE_EQ(c.intraNode.bandwidthBytesPerS, 300e9);
  EXPECT_DOUBLE_EQ(c.interNode.latencyS, 8e-6);
  EXPECT_DOUBLE_EQ(c.attentionEfficiency, 0.5);
  ASSERT_EQ(c.gemmEfficiency.size(), 2u);
  EXPECT_TRUE(c.calibrationPath.empty());
}

TEST(ClusterDescriptionTest, GemmEfficiencyIsLinearInLogFlopsAndClamped) {
  ClusterParseResult result = parseClusterDescription(kValid, "c.yaml");
  ASSERT_TRUE(result.cluster) << errorsOf(result);
  const ClusterDescription &c = *result.cluster;
  EXPECT_DOUBLE_EQ(c.gemmEfficiencyAt(1e6), 0.4);
  EXPECT_DOUBLE_EQ(c.gemmEfficiencyAt(1e13), 0.8);
  EXPECT_NEAR(c.gemmEfficiencyAt(1e10), 0.6, 1e-12);
}

TEST(ClusterDescriptionTest, EveryPresetParses) {
  const std::vector<std::string> names = clusterPresetNames();
  EXPECT_EQ(names, (std::vector<std::string>{"dgx-a100-80gb", "dgx-h100",
                                             "h200-node", "local"}));
  for (const std::string &name : names) {
    ClusterParseResult result = loadCluster(name);
    ASSERT_TRUE(result.cluster) << name << "\n" << errorsOf(result);
    EXPECT_EQ(result.cluster->name, name);
  }
  ClusterParseResult a100 = loadCluster("dgx-a100-80gb");
  EXPECT_DOUBLE_EQ(a100.cluster->peakBf16FlopsPerS, 312e12);
  EXPECT_EQ(a100.cluster->devices(), 8);
  EXPECT_EQ(loadCluster("local").cluster->deviceKind, DeviceKind::Cpu);
}

TEST(ClusterDescriptionTest, UnknownPresetListsThePresets) {
  ClusterParseResult result = loadCluster("dgx-a100");
  ASSERT_FALSE(result.cluster);
  EXPECT_EQ(errorsOf(result),
            "<command line>: error: 'dgx-a100' is neither a cluster preset "
            "nor a readable file; the presets are dgx-a100-80gb, dgx-h100, "
            "h200-node, local; did you mean 'dgx-h100'?\n");
}

TEST(ClusterDescriptionTest, MissingKeysAreReportedAtTheirMapping) {
  std::string text = replaced(kValid, "  peak_bf16_tflops: 312\n", "");
  text = replaced(text, "gpus_per_node: 4\n", "");
  ClusterParseResult result = parseClusterDescription(text, "c.yaml");
  ASSERT_FALSE(result.cluster);
  EXPECT_EQ(errorsOf(result),
            "c.yaml:1:1: error: missing key gpus_per_node (devices (ranks) "
            "per node)\n"
            "c.yaml:4:3: error: missing key device.peak_bf16_tflops (dense "
            "bf16 TFLOP/s of one device)\n");
}

TEST(ClusterDescriptionTest, WrongTypesNameTheKeyLineAndValue) {
  std::string text = replaced(kValid, "memory_gib: 40", "memory_gib: forty");
  text = replaced(text, "nodes: 2", "nodes: 2.5");
  text = replaced(text, "attention: 0.5", "attention: 1.5");
  text = replaced(text, "latency_us: 8}", "latency_us: [8]}");
  ClusterParseResult result = parseClusterDescription(text, "c.yaml");
  ASSERT_FALSE(result.cluster);
  const std::string errors = errorsOf(result);
  EXPECT_NE(errors.find("c.yaml:2:8: error: nodes must be a positive "
                        "integer (machines in the job), got 2.5"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("c.yaml:6:15: error: device.memory_gib must be a "
                        "positive number (memory of one device, GiB), got "
                        "forty"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("error: links.inter_node.latency_us must be a "
                        "positive number"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("error: efficiency.attention must be a fraction in "
                        "(0, 1] (of peak FLOP/s), got 1.5"),
            std::string::npos)
      << errors;
}

TEST(ClusterDescriptionTest, UnknownKeysSuggestTheClosest) {
  std::string text = replaced(kValid, "  memory_gib: 40", "  memory_gb: 40");
  ClusterParseResult result = parseClusterDescription(text, "c.yaml");
  ASSERT_FALSE(result.cluster);
  const std::string errors = errorsOf(result);
  EXPECT_NE(errors.find("c.yaml:6:3: error: unknown key device.memory_gb in "
                        "a cluster description; did you mean 'memory_gib'?"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("missing key device.memory_gib"), std::string::npos);
}

TEST(ClusterDescriptionTest, GemmPointsMustAscend) {
  std::string text = replaced(kValid, "flops: 1.0e11", "flops: 1.0e8");
  ClusterParseResult result = parseClusterDescription(text, "c.yaml");
  ASSERT_FALSE(result.cluster);
  EXPECT_NE(errorsOf(result).find(
                "efficiency.gemm.1.flops 1e+08 must be larger than the "
                "previous point's 1e+09 (points ascend)"),
            std::string::npos)
      << errorsOf(result);
}

TEST(ClusterDescriptionTest, CalibrationIsResolvedBesideTheFileAndMustExist) {
  const std::string dir = ::testing::TempDir();
  const std::string profile = dir + "/profile.json";
  std::ofstream(profile) << "{}";
  ClusterParseResult found = parseClusterDescription(
      std::string(kValid) + "calibration: profile.json\n", dir + "/c.yaml");
  ASSERT_TRUE(found.cluster) << errorsOf(found);
  EXPECT_EQ(found.cluster->calibrationPath, dir + "/profile.json");
  std::remove(profile.c_str());
  ClusterParseResult missing = parseClusterDescription(
      std::string(kValid) + "calibration: gone.json\n", dir + "/c.yaml");
  ASSERT_FALSE(missing.cluster);
  EXPECT_NE(errorsOf(missing).find("gone.json' cannot be read"),
            std::string::npos);
}

TEST(ClusterDescriptionTest, ANonMappingDocumentIsAnError) {
  ClusterParseResult result = parseClusterDescription("- a\n- b\n", "c.yaml");
  ASSERT_FALSE(result.cluster);
  EXPECT_NE(errorsOf(result).find("c.yaml:1:1: error: a cluster description "
                                  "must be a mapping"),
            std::string::npos)
      << errorsOf(result);
}

} // namespace
} // namespace strata::frontend

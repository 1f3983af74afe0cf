//===- serving_metrics_test.cc - Prometheus text of the server ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/serving_metrics.h"

#include <gtest/gtest.h>

namespace strata::runtime::serving {
namespace {

TEST(ServingMetrics, CountsGaugesAndCumulativeHistograms) {
  ServingMetrics m;
  m.requestEnded(RequestOutcome::Completed);
  m.requestEnded(RequestOutcome::Completed);
  m.requestEnded(RequestOutcome::Rejected);
  m.promptTokens(12);
  m.generatedToken(0.3, /*first=*/true);
  m.generatedToken(0.004, false);
  m.generatedToken(0.02, false);
  m.state(3, 2, 8, 10, 22);
  EXPECT_EQ(m.value("strata_requests_total{outcome=\"completed\"}"), 2);
  EXPECT_EQ(m.value("strata_requests_total{outcome=\"rejected\"}"), 1);
  EXPECT_EQ(m.value("strata_requests_total{outcome=\"cancelled\"}"), 0);
  EXPECT_EQ(m.value("strata_prompt_tokens_total"), 12);
  EXPECT_EQ(m.value("strata_generation_tokens_total"), 3);
  EXPECT_EQ(m.value("strata_queue_length"), 3);
  EXPECT_EQ(m.value("strata_batch_occupancy"), 0.25);
  EXPECT_EQ(m.value("strata_kv_blocks_used"), 10);
  EXPECT_EQ(m.value("strata_kv_blocks_free"), 22);
  EXPECT_EQ(m.value("strata_time_to_first_token_seconds_count"), 1);
  EXPECT_EQ(m.value("strata_time_to_first_token_seconds_bucket{le=\"0.25\"}"),
            0);
  EXPECT_EQ(m.value("strata_time_to_first_token_seconds_bucket{le=\"0.5\"}"),
            1);
  EXPECT_EQ(m.value("strata_inter_token_latency_seconds_bucket{le=\"0.005\"}"),
            1);
  EXPECT_EQ(m.value("strata_inter_token_latency_seconds_bucket{le=\"0.025\"}"),
            2);
  EXPECT_EQ(m.value("strata_inter_token_latency_seconds_bucket{le=\"+Inf\"}"),
            2);
  EXPECT_NEAR(m.value("strata_inter_token_latency_seconds_sum"), 0.024, 1e-12);
  const std::string text = m.render();
  EXPECT_NE(text.find("# TYPE strata_requests_total counter\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE strata_kv_blocks_free gauge\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE strata_inter_token_latency_seconds histogram\n"),
            std::string::npos);
}

} // namespace
} // namespace strata::runtime::serving

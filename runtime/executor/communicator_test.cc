//===- communicator_test.cc -----------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/communicator.h"

#include <gtest/gtest.h>

#include <vector>

namespace strata::runtime {
namespace {

TEST(SingleProcessCommunicatorTest, CollectivesOverOneRankAreIdentities) {
  SingleProcessCommunicator comm;
  EXPECT_EQ(comm.rank(), 0);
  EXPECT_EQ(comm.size(), 1);
  std::vector<float> data = {1.5f, -2.0f, 3.25f};
  ASSERT_TRUE(comm.allReduce(data.data(), 3, ElementType::F32, ReduceOp::Sum)
                  .isOk());
  EXPECT_EQ(data, (std::vector<float>{1.5f, -2.0f, 3.25f}));
  std::vector<double> send = {1.0, 2.0}, recv(2);
  ASSERT_TRUE(
      comm.allGather(send.data(), recv.data(), 2, ElementType::F64).isOk());
  EXPECT_EQ(recv, send);
  std::vector<double> scattered(2);
  ASSERT_TRUE(comm.reduceScatter(send.data(), scattered.data(), 2,
                                 ElementType::F64, ReduceOp::Sum)
                  .isOk());
  EXPECT_EQ(scattered, send);
  EXPECT_TRUE(comm.barrier().isOk());
}

TEST(SingleProcessCommunicatorTest, SendAndReceiveHaveNoPeer) {
  SingleProcessCommunicator comm;
  float value = 0.0f;
  Status sent = comm.send(&value, sizeof(value), 1, 0);
  EXPECT_EQ(sent.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(sent.message().find("rank 1"), std::string::npos);
  EXPECT_FALSE(comm.recv(&value, sizeof(value), 1, 0).isOk());
}

} // namespace
} // namespace strata::runtime

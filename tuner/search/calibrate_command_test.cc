//===- calibrate_command_test.cc - the shapes strata-tune calibrate times -===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/search/calibrate_command.h"

#include <gtest/gtest.h>

namespace strata::tuner {
namespace {

using mlir::strata::CompileAnalysis;
using mlir::strata::FunctionFlopsRecord;
using mlir::strata::GemmCall;

TEST(CalibrateCommand, EachDistinctCallOfTheTrainingStepOnce) {
  FunctionFlopsRecord step;
  step.function = "forward_backward";
  step.gemms = {{GemmCall::Matmul, 256, 384, 128},
                {GemmCall::Matmul, 256, 384, 128},
                {GemmCall::GradWeight, 256, 384, 128}};
  step.attentionCalls = {{2, 128, 128, 4, 4, 32, 32, true, false},
                         {2, 128, 128, 4, 4, 32, 32, true, true}};
  step.crossEntropyCalls = {{256, 50304, false, 0}, {256, 50304, true, 0}};
  step.memoryBoundBytesBySize.assign(21, 0.0);
  step.memoryBoundBytesBySize[20] = 3e6; // ops of [1, 2) MiB
  FunctionFlopsRecord eval = step;
  eval.function = "forward";
  eval.inTrainingStep = false;
  eval.gemms = {{GemmCall::Matmul, 7, 7, 7}};
  CompileAnalysis a;
  a.flops = {step, eval};
  CompileAnalysis b = a; // a second layout with the same calls
  const std::string text = calibrationShapesText({a, b}, 4, {4096});
  EXPECT_EQ(text,
            "# strata-tune calibrate: the kernels of the model's candidate "
            "layouts\n"
            "gemm matmul 256 384 128\n"
            "gemm matmul_grad_weight 256 384 128\n"
            "attention 2 128 128 4 4 32 1\n"
            "cross_entropy 256 50304\n"
            // 2^20.5 bytes as an f32 add of 3 x 4 bytes per element.
            "elementwise 123576\n"
            "all_reduce 4096\n");
}

} // namespace
} // namespace strata::tuner

//===- adamw_test.cc - tests of adamw.h ---------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/adamw.h"

#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

#include <sstream>

namespace strata::runtime::cpu {
namespace {

using namespace testing;

const AdamWConfig kConfig{/*learningRate=*/1e-2, /*beta1=*/0.9,
                          /*beta2=*/0.95, /*epsilon=*/1e-8,
                          /*weightDecay=*/0.1};

/// torch.optim.AdamW's update, by hand, in double.
void handAdamW(std::vector<double> &p, const std::vector<double> &g,
               std::vector<double> &m, std::vector<double> &v, int64_t step,
               bool decay) {
  const AdamWConfig &c = kConfig;
  for (size_t i = 0; i < p.size(); ++i) {
    if (decay)
      p[i] -= c.learningRate * c.weightDecay * p[i];
    m[i] = c.beta1 * m[i] + (1 - c.beta1) * g[i];
    v[i] = c.beta2 * v[i] + (1 - c.beta2) * g[i] * g[i];
    const double mhat = m[i] / (1 - std::pow(c.beta1, double(step)));
    const double vhat = v[i] / (1 - std::pow(c.beta2, double(step)));
    p[i] -= c.learningRate * mhat / (std::sqrt(vhat) + c.epsilon);
  }
}

/// Three steps with the gradients grads[0..2].
template <typename T>
std::vector<double> threeSteps(const std::vector<double> &p0,
                               const std::vector<std::vector<double>> &grads,
                               bool decay) {
  auto p = convert<T>(p0);
  std::vector<T> m(p.size(), T(0)), v(p.size(), T(0));
  for (int64_t step = 1; step <= 3; ++step) {
    const auto g = convert<T>(grads[step - 1]);
    adamwStep<T>(p.data(), g.data(), m.data(), v.data(), int64_t(p.size()),
                 kConfig, step, decay);
  }
  return convert<double>(p);
}

std::vector<std::vector<double>> gradients(int64_t n) {
  return {randomVector(n, 2), randomVector(n, 3, -0.1, 0.1),
          randomVector(n, 4, -5.0, 5.0)};
}

TEST(AdamWKernelTest, ThreeStepsMatchHandComputation) {
  const int64_t n = 37;
  const auto p0 = randomVector(n, 1);
  const auto grads = gradients(n);
  for (bool decay : {true, false}) {
    std::vector<double> p = p0, m(n, 0.0), v(n, 0.0);
    for (int64_t step = 1; step <= 3; ++step)
      handAdamW(p, grads[step - 1], m, v, step, decay);
    EXPECT_LT(relativeError(threeSteps<double>(p0, grads, decay), p), 1e-14);
    EXPECT_LT(relativeError(threeSteps<float>(p0, grads, decay), p), 1e-6);
  }
}

TEST(AdamWKernelTest, ThreeStepsMatchTorch) {
  const int64_t n = 37;
  const auto p0 = convert<double>(convert<float>(randomVector(n, 1)));
  auto grads = gradients(n);
  for (auto &g : grads)
    g = convert<double>(convert<float>(g));
  std::ostringstream script;
  script.precision(17);
  auto list = [&](const std::vector<double> &v) {
    script << "torch.tensor([";
    for (double x : v)
      script << x << ",";
    script << "], dtype=torch.float32)";
  };
  script << "import torch\np = torch.nn.Parameter(";
  list(p0);
  script << ")\nopt = torch.optim.AdamW([p], lr=1e-2, betas=(0.9, 0.95), "
            "eps=1e-8, weight_decay=0.1)\ngrads = [";
  for (const auto &g : grads) {
    list(g);
    script << ",";
  }
  script << "]\nfor g in grads:\n    p.grad = g.clone()\n    opt.step()\n"
            "print(' '.join(repr(float(x)) for x in p.detach()))\n";
  std::string out;
  if (!runPython(script.str(), &out))
    GTEST_SKIP() << "no python3 with torch: " << out.substr(0, 200);
  std::istringstream values(out);
  std::vector<double> torchP;
  for (double x; values >> x;)
    torchP.push_back(x);
  const auto ours = threeSteps<float>(p0, grads, true);
  ASSERT_EQ(torchP.size(), ours.size());
  EXPECT_LT(relativeError(ours, torchP), 1e-6);
}

TEST(AdamWKernelTest, GlobalNormSquaredIsDeterministic) {
  // Several tensors, one over many 2^16-element chunks.
  const std::vector<int64_t> sizes = {13, 300001, 1, 70000};
  std::vector<std::vector<float>> tensors;
  double ref = 0.0;
  for (size_t t = 0; t < sizes.size(); ++t) {
    tensors.push_back(convert<float>(randomVector(sizes[t], uint32_t(10 + t))));
    for (float x : tensors.back())
      ref += double(x) * double(x);
  }
  std::vector<const float *> ptrs;
  for (auto &t : tensors)
    ptrs.push_back(t.data());
  double one = 0, two = 0;
  withThreads(1, [&] {
    one = globalNormSquared<float>(ptrs.data(), sizes.data(), int64_t(sizes.size()));
  });
  withThreads(2, [&] {
    two = globalNormSquared<float>(ptrs.data(), sizes.data(), int64_t(sizes.size()));
  });
  EXPECT_EQ(one, two);
  EXPECT_NEAR(one, ref, 1e-12 * ref);
}

TEST(AdamWKernelTest, ClipGradNormCoefficient) {
  // torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to 1.
  EXPECT_DOUBLE_EQ(clipGradNormCoefficient(10.0, 1.0), 1.0 / (10.0 + 1e-6));
  EXPECT_EQ(clipGradNormCoefficient(0.5, 1.0), 1.0);
  EXPECT_EQ(clipGradNormCoefficient(0.0, 1.0), 1.0);
  std::vector<float> g = {3.0f, 4.0f};
  const float *ptr = g.data();
  const int64_t size = 2;
  const double norm = std::sqrt(globalNormSquared<float>(&ptr, &size, 1));
  EXPECT_DOUBLE_EQ(norm, 5.0);
  scaleInPlace<float>(g.data(), 2, float(clipGradNormCoefficient(norm, 1.0)));
  EXPECT_NEAR(g[0], 0.6f, 1e-6f);
  EXPECT_NEAR(g[1], 0.8f, 1e-6f);
}

} // namespace
} // namespace strata::runtime::cpu

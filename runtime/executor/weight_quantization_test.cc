//===- weight_quantization_test.cc - int8 weights quantized at load -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/weight_quantization.h"

#include <gtest/gtest.h>

#include <cmath>

namespace strata::runtime {
namespace {

io::HostTensor tensor(std::vector<int64_t> shape, std::vector<float> values) {
  io::HostTensor t(io::DType::F32, std::move(shape));
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.data<float>()[i] = values[size_t(i)];
  return t;
}

TEST(WeightQuantizationTest, ScalesAreRowMaximaOver127AndValuesRound) {
  // Rows [-2.54, 1, 0.0101] and [0.5, -0.26, 0.127]; a zero row gets scale 1.
  io::HostTensor w =
      tensor({3, 3}, {-2.54f, 1.0f, 0.0101f, 0.5f, -0.26f, 0.127f, 0, 0, 0});
  StatusOr<Int8Quantized> q = quantizeInt8(w, {3});
  ASSERT_TRUE(q.isOk()) << q.status().message();
  const float *s = q->scales.data<float>();
  EXPECT_FLOAT_EQ(s[0], 2.54f / 127);
  EXPECT_FLOAT_EQ(s[1], 0.5f / 127);
  EXPECT_EQ(s[2], 1.0f);
  const int8_t *v = q->values.data<int8_t>();
  // round(-2.54 / 0.02) = -127, round(1 / 0.02) = 50, round(0.0101 / 0.02) = 1
  EXPECT_EQ(v[0], -127);
  EXPECT_EQ(v[1], 50);
  EXPECT_EQ(v[2], 1);
  EXPECT_EQ(v[3], 127);
  EXPECT_EQ(v[4], -66); // -66.04
  EXPECT_EQ(v[5], 32);  // 32.258
  EXPECT_EQ(v[6], 0);
}

TEST(WeightQuantizationTest, DequantizedErrorIsAtMostHalfAStep) {
  // A [heads 2, head_dim 3, hidden 5] projection: one scale per (head, dim).
  std::vector<float> values;
  for (int i = 0; i < 30; ++i)
    values.push_back(std::sin(0.7f * float(i)) * float(1 + i % 4));
  io::HostTensor w = tensor({2, 3, 5}, values);
  StatusOr<Int8Quantized> q = quantizeInt8(w, {2, 3});
  ASSERT_TRUE(q.isOk());
  EXPECT_EQ(q->values.shape(), (std::vector<int64_t>{2, 3, 5}));
  EXPECT_EQ(q->scales.shape(), (std::vector<int64_t>{2, 3}));
  for (int64_t r = 0; r < 6; ++r) {
    const double scale = q->scales.data<float>()[r];
    for (int64_t k = 0; k < 5; ++k) {
      const double orig = values[size_t(r * 5 + k)];
      const double deq = scale * q->values.data<int8_t>()[r * 5 + k];
      EXPECT_LE(std::fabs(deq - orig), scale / 2 * (1 + 1e-6))
          << "row " << r << " column " << k;
    }
  }
}

TEST(WeightQuantizationTest, QuantizeWeightsReplacesTensorsAndAddsScales) {
  io::TensorMap t;
  t["w"] = tensor({2, 2}, {1, -2, 3, 4});
  t["bias"] = tensor({2}, {5, 6});
  ASSERT_TRUE(quantizeWeights(t, {{"w", "w_scale", 1}}, "c.safetensors").isOk());
  EXPECT_EQ(t["w"].dtype(), io::DType::I8);
  EXPECT_EQ(t["w_scale"].dtype(), io::DType::F32);
  EXPECT_EQ(t["bias"].dtype(), io::DType::F32);
  EXPECT_EQ(t.size(), 3u);
}

TEST(WeightQuantizationTest, MissingOrIntegerTensorsAreNamed) {
  io::TensorMap t;
  t["ids"] = io::HostTensor(io::DType::I32, {2, 2});
  Status status = quantizeWeights(
      t, {{"ids", "ids_scale", 1}, {"gone", "gone_scale", 1}}, "c.safetensors");
  ASSERT_FALSE(status.isOk());
  EXPECT_NE(status.message().find("c.safetensors"), std::string::npos);
  EXPECT_NE(status.message().find("missing gone"), std::string::npos);
  EXPECT_NE(status.message().find("ids is I32"), std::string::npos);
  EXPECT_EQ(t.size(), 1u); // unchanged
}

} // namespace
} // namespace strata::runtime

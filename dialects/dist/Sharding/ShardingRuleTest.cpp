//===- ShardingRuleTest.cpp - factor propagation and resolution -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "dialects/dist/Sharding/ShardingRule.h"

#include <gtest/gtest.h>

using namespace strata::sharding;

namespace strata::sharding {
// Readable failures.
void PrintTo(const TensorSharding &s, std::ostream *os) { *os << s.str(); }
} // namespace strata::sharding

namespace {

const AxisSizes kMesh = {{"dp", 2}, {"pp", 1}, {"tp", 4}};

TensorSharding split(size_t rank, size_t dim, const std::string &axis = "tp") {
  TensorSharding s = TensorSharding::replicated(rank);
  s.dims[dim] = {axis};
  return s;
}

TensorSharding partialOver(size_t rank, const std::string &axis = "tp") {
  TensorSharding s = TensorSharding::replicated(rank);
  s.partial = {axis};
  return s;
}

ShardingRule matmulRule() {
  // x[b,t,k] . w[n,k] -> y[b,t,n]
  auto rule = ShardingRule::fromSpec("btk,nk->btn", {3, 2}, {3});
  EXPECT_TRUE(rule.has_value());
  rule->linearity = Linearity::EachListed;
  rule->linearOperands = {true, true};
  return *rule;
}

const OpShapes kMatmulShapes = {{{2, 8, 16}, {32, 16}}, {{2, 8, 32}}};

TEST(ShardingRule, SpecMapsLettersToFactors) {
  auto rule = ShardingRule::fromSpec("bth,h,h->bth", {3, 1, 1}, {3}, "h");
  ASSERT_TRUE(rule.has_value());
  ASSERT_EQ(rule->factors.size(), 3u);
  EXPECT_EQ(rule->factors[2], FactorKind::Whole);
  EXPECT_EQ(rule->operands[1], std::vector<int>{2});
  EXPECT_EQ(rule->results[0], (std::vector<int>{0, 1, 2}));
}

TEST(ShardingRule, SpecRejectsRankMismatch) {
  EXPECT_FALSE(ShardingRule::fromSpec("btk,nk->btn", {3, 3}, {3}).has_value());
  EXPECT_FALSE(ShardingRule::fromSpec("btk,nk", {3, 2}, {3}).has_value());
  EXPECT_FALSE(ShardingRule::fromSpec("btk->btn", {3, 2}, {3}).has_value());
}

TEST(ShardingRule, RepeatedSpecsGiveTheParsedRule) {
  // fromSpec remembers parsed specs: a repeat, a caller's edit of its copy
  // and other ranks or whole letters must not change what it returns.
  auto first = ShardingRule::fromSpec("btk,nk->btn", {3, 2}, {3});
  ASSERT_TRUE(first.has_value());
  first->linearity = Linearity::EachListed;
  first->linearOperands = {true, true};
  auto again = ShardingRule::fromSpec("btk,nk->btn", {3, 2}, {3});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->linearity, Linearity::None);
  EXPECT_EQ(again->linearOperands, (std::vector<bool>{false, false}));
  EXPECT_EQ(again->operands, (std::vector<std::vector<int>>{{0, 1, 2}, {3, 2}}));
  EXPECT_FALSE(ShardingRule::fromSpec("btk,nk->btn", {3, 3}, {3}).has_value());
  auto whole = ShardingRule::fromSpec("btk,nk->btn", {3, 2}, {3}, "k");
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->factors[2], FactorKind::Whole);
  EXPECT_EQ(again->factors[2], FactorKind::Parallel);
}

TEST(ShardingRule, ColumnParallelMatmulSplitsOutput) {
  std::vector<TensorSharding> operands = {TensorSharding::replicated(3),
                                          split(2, 0)};
  std::vector<TensorSharding> results = {TensorSharding::replicated(3)};
  EXPECT_TRUE(propagate(matmulRule(), kMatmulShapes, kMesh, operands, results));
  EXPECT_EQ(results[0], split(3, 2));
  EXPECT_FALSE(
      propagate(matmulRule(), kMatmulShapes, kMesh, operands, results));

  Resolution r = resolve(matmulRule(), kMatmulShapes, kMesh, operands, results);
  EXPECT_EQ(r.operands[0], TensorSharding::replicated(3));
  EXPECT_EQ(r.results[0], split(3, 2));
}

TEST(ShardingRule, RowParallelMatmulYieldsPartialSum) {
  std::vector<TensorSharding> operands = {split(3, 2), split(2, 1)};
  std::vector<TensorSharding> results = {TensorSharding::replicated(3)};
  EXPECT_FALSE(
      propagate(matmulRule(), kMatmulShapes, kMesh, operands, results));
  Resolution r = resolve(matmulRule(), kMatmulShapes, kMesh, operands, results);
  EXPECT_EQ(r.results[0], partialOver(3)) << r.results[0].str();
}

TEST(ShardingRule, PropagationRunsBackwardFromResults) {
  // embedding_grad: dy[b,t,h], ids[b,t] -> dtable[v,h]; the vocabulary split
  // can only come from the result's consumer.
  auto rule = ShardingRule::fromSpec("bth,bt->vh", {3, 2}, {2});
  ASSERT_TRUE(rule.has_value());
  const OpShapes shapes = {{{2, 8, 16}, {2, 8}}, {{64, 16}}};
  std::vector<TensorSharding> operands = {TensorSharding::replicated(3),
                                          TensorSharding::replicated(2)};
  std::vector<TensorSharding> results = {split(2, 0)};
  EXPECT_FALSE(propagate(*rule, shapes, kMesh, operands, results));
  Resolution r = resolve(*rule, shapes, kMesh, operands, results);
  EXPECT_EQ(r.results[0], split(2, 0));
  EXPECT_EQ(r.operands[0], TensorSharding::replicated(3));
}

TEST(ShardingRule, WholeFactorIsNeverSplit) {
  auto rule = ShardingRule::fromSpec("bth,h,h->bth", {3, 1, 1}, {3}, "h");
  const OpShapes shapes = {{{2, 8, 16}, {16}, {16}}, {{2, 8, 16}}};
  std::vector<TensorSharding> operands = {split(3, 2), split(1, 0),
                                          TensorSharding::replicated(1)};
  std::vector<TensorSharding> results = {TensorSharding::replicated(3)};
  EXPECT_FALSE(propagate(*rule, shapes, kMesh, operands, results));
  Resolution r = resolve(*rule, shapes, kMesh, operands, results);
  // The caller must gather the split operands.
  EXPECT_EQ(r.operands[0], TensorSharding::replicated(3));
  EXPECT_EQ(r.operands[1], TensorSharding::replicated(1));
}

TEST(ShardingRule, UnevenSplitDoesNotPropagate) {
  const OpShapes shapes = {{{2, 8, 16}, {30, 16}}, {{2, 8, 30}}};
  std::vector<TensorSharding> operands = {TensorSharding::replicated(3),
                                          split(2, 0)};
  std::vector<TensorSharding> results = {TensorSharding::replicated(3)};
  EXPECT_FALSE(propagate(matmulRule(), shapes, kMesh, operands, results));
  EXPECT_EQ(results[0], TensorSharding::replicated(3));
}

TEST(ShardingRule, JointLinearityKeepsSumOfPartials) {
  ShardingRule add = ShardingRule::elementwise(2, 1, 3);
  add.linearity = Linearity::Joint;
  const OpShapes shapes = {{{2, 8, 16}, {2, 8, 16}}, {{2, 8, 16}}};
  std::vector<TensorSharding> results = {TensorSharding::replicated(3)};

  Resolution both =
      resolve(add, shapes, kMesh, {partialOver(3), partialOver(3)}, results);
  EXPECT_EQ(both.operands[0], partialOver(3));
  EXPECT_EQ(both.results[0], partialOver(3));

  Resolution mixed =
      resolve(add, shapes, kMesh,
              {TensorSharding::replicated(3), partialOver(3)}, results);
  EXPECT_EQ(mixed.operands[1], TensorSharding::replicated(3));
  EXPECT_EQ(mixed.results[0], TensorSharding::replicated(3));
}

TEST(ShardingRule, NonlinearOpReducesPartialOperands) {
  ShardingRule gelu = ShardingRule::elementwise(1, 1, 2);
  const OpShapes shapes = {{{4, 4}}, {{4, 4}}};
  Resolution r = resolve(gelu, shapes, kMesh, {partialOver(2)},
                         {TensorSharding::replicated(2)});
  EXPECT_EQ(r.operands[0], TensorSharding::replicated(2));
  EXPECT_EQ(r.results[0], TensorSharding::replicated(2));
}

TEST(ShardingRule, LinearOperandPassesPartialButNotTwice) {
  const ShardingRule rule = matmulRule();
  Resolution r =
      resolve(rule, kMatmulShapes, kMesh, {partialOver(3), partialOver(2)},
              {TensorSharding::replicated(3)});
  EXPECT_EQ(r.operands[0], partialOver(3));
  EXPECT_EQ(r.operands[1], TensorSharding::replicated(2));
  EXPECT_EQ(r.results[0], partialOver(3));
}

TEST(ShardingRule, AnAxisSplitsOneFactorOnly) {
  // x split on b over tp and w split on n over tp: n cannot take tp too.
  const OpShapes shapes = {{{4, 8, 16}, {32, 16}}, {{4, 8, 32}}};
  std::vector<TensorSharding> operands = {split(3, 0), split(2, 0)};
  std::vector<TensorSharding> results = {TensorSharding::replicated(3)};
  propagate(matmulRule(), shapes, kMesh, operands, results);
  EXPECT_EQ(results[0], split(3, 0));
  Resolution r = resolve(matmulRule(), shapes, kMesh, operands, results);
  EXPECT_EQ(r.operands[1], TensorSharding::replicated(2));
}

TEST(ShardingRule, PriorityTensorsWinAnAxis) {
  // Sequence parallelism: x[b,t,k] split on t over tp meets a
  // column-parallel w split on n over tp. The weight has priority: y is
  // split on n and x must be gathered along t.
  ShardingRule rule = matmulRule();
  rule.priority = {1};
  const OpShapes shapes = {{{2, 8, 16}, {32, 16}}, {{2, 8, 32}}};
  std::vector<TensorSharding> operands = {split(3, 1), split(2, 0)};
  std::vector<TensorSharding> results = {TensorSharding::replicated(3)};
  propagate(rule, shapes, kMesh, operands, results);
  EXPECT_EQ(results[0], split(3, 2));
  Resolution r = resolve(rule, shapes, kMesh, operands, results);
  EXPECT_EQ(r.operands[0], TensorSharding::replicated(3));
  EXPECT_EQ(r.operands[1], split(2, 0));

  // Without priority the activation's split would win.
  std::vector<TensorSharding> plain = {split(3, 1), split(2, 0)};
  results = {TensorSharding::replicated(3)};
  propagate(matmulRule(), shapes, kMesh, plain, results);
  EXPECT_EQ(results[0], split(3, 1));
}

TEST(ShardingRule, PendingSumsPassRatherThanHonourAPropagatedSplit) {
  // Sequence parallelism's backward: the sum of two partial input gradients
  // whose consumer wants the sequence split. The add keeps the sum pending
  // (one reduce-scatter later) instead of reduce-scattering each operand.
  ShardingRule add = ShardingRule::elementwise(2, 1, 3);
  add.linearity = Linearity::Joint;
  const OpShapes shapes = {{{2, 8, 16}, {2, 8, 16}}, {{2, 8, 16}}};
  Resolution r = resolve(add, shapes, kMesh, {partialOver(3), partialOver(3)},
                         {split(3, 1)});
  EXPECT_EQ(r.operands[0], partialOver(3));
  EXPECT_EQ(r.results[0], partialOver(3));

  // A whole operand: the partial one is brought to the result's split.
  Resolution mixed =
      resolve(add, shapes, kMesh,
              {TensorSharding::replicated(3), partialOver(3)}, {split(3, 1)});
  EXPECT_EQ(mixed.operands[1], split(3, 1));
  EXPECT_EQ(mixed.results[0], split(3, 1));
}

TEST(ShardingRule, Str) {
  TensorSharding s = split(2, 1);
  s.partial = {"dp"};
  EXPECT_EQ(s.str(), "[[], [tp]] partial [dp]");
}

} // namespace

//===- TfmShardingRules.cpp - how each tfm op splits over a mesh ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The ShardingRuleOpInterface of every tfm op that computes on tensors, as
// einsum-like specs (ShardingRule::fromSpec): a letter per factor, '_' for a
// dimension of no factor. Variable-rank operands (leading batch dimensions,
// several contracted dimensions) get their letters from the pools below.
// Ops that read or write parameter slots or the mesh position (param_ref,
// accumulate_grad, grad_norm, adamw) are handled by the partitioner itself.
//
//===----------------------------------------------------------------------===//
#include "dialects/tfm/IR/TfmOps.h"

using namespace mlir;
using namespace mlir::strata::tfm;
using ::strata::sharding::Linearity;
using ::strata::sharding::ShardingRule;

namespace {

/// |count| distinct letters from |pool| (pools never overlap).
std::string letters(const char *pool, int64_t count) {
  const std::string all(pool);
  if (count < 0 || count > static_cast<int64_t>(all.size()))
    return std::string(static_cast<size_t>(std::max<int64_t>(count, 0)), '?');
  return all.substr(0, static_cast<size_t>(count));
}
constexpr const char *kBatch = "abcdefg"; // leading (token) dimensions
constexpr const char *kOut = "nopqr";     // matmul output features
constexpr const char *kIn = "uvwxyz";     // matmul contracted features

size_t rankOf(Value value) {
  return cast<ShapedType>(value.getType()).getRank();
}

std::vector<size_t> ranksOf(ValueRange values) {
  std::vector<size_t> ranks;
  for (Value value : values)
    ranks.push_back(rankOf(value));
  return ranks;
}

std::optional<ShardingRule> ruleFor(Operation *op, const std::string &spec,
                                    const std::string &whole = "") {
  return ShardingRule::fromSpec(spec, ranksOf(op->getOperands()),
                                ranksOf(op->getResults()), whole);
}

/// Marks the operands at |linear| as ones the op is linear in.
std::optional<ShardingRule> linearIn(std::optional<ShardingRule> rule,
                                     std::initializer_list<size_t> linear) {
  if (!rule)
    return rule;
  rule->linearity = Linearity::EachListed;
  for (size_t i : linear)
    if (i < rule->linearOperands.size())
      rule->linearOperands[i] = true;
  return rule;
}

/// Parameters (and their gradients) first: see ShardingRule::priority.
std::optional<ShardingRule> withPriority(std::optional<ShardingRule> rule,
                                         std::vector<int> priority) {
  if (rule)
    rule->priority = std::move(priority);
  return rule;
}

std::optional<ShardingRule> elementwise(Operation *op) {
  const size_t rank = rankOf(op->getResult(0));
  for (Value v : op->getOperands())
    if (rankOf(v) != rank)
      return std::nullopt;
  return ShardingRule::elementwise(op->getNumOperands(), op->getNumResults(),
                                   rank);
}

/// "B" + |tail| for every tensor of rank 1 + ... ; the leading dimensions of
/// a row-wise op (norms, cross-entropy) are batch factors.
std::string batchOf(Value value, int64_t trailing) {
  return letters(kBatch, static_cast<int64_t>(rankOf(value)) - trailing);
}

std::optional<ShardingRule> rule(MatmulOp op) {
  const int64_t c = op.getContractingDims().value_or(1);
  const int64_t batch = rankOf(op.getInput()) - c;
  const int64_t out = rankOf(op.getWeight()) - c;
  const std::string B = letters(kBatch, batch), N = letters(kOut, out),
                    K = letters(kIn, c);
  return withPriority(
      linearIn(ruleFor(op, B + K + "," + N + K + "->" + B + N), {0, 1}), {1});
}

// The scales share the weight's output factors: a column-parallel split
// splits them too, a row-parallel one (of k) leaves them whole.
std::optional<ShardingRule> rule(QuantizedMatmulOp op) {
  const int64_t c = op.getNumContractingDims();
  const int64_t batch = rankOf(op.getInput()) - c;
  const int64_t out = rankOf(op.getWeight()) - c;
  const std::string B = letters(kBatch, batch), N = letters(kOut, out),
                    K = letters(kIn, c);
  return withPriority(
      linearIn(ruleFor(op, B + K + "," + N + K + "," + N + "->" + B + N),
               {0, 1}),
      {1, 2});
}

std::optional<ShardingRule> rule(MatmulGradInputOp op) {
  const int64_t o = op.getOutputDims();
  const int64_t batch = rankOf(op.getResultGrad()) - o;
  const int64_t c = rankOf(op.getWeight()) - o;
  const std::string B = letters(kBatch, batch), N = letters(kOut, o),
                    K = letters(kIn, c);
  return withPriority(
      linearIn(ruleFor(op, B + N + "," + N + K + "->" + B + K), {0, 1}), {1});
}

std::optional<ShardingRule> rule(MatmulGradWeightOp op) {
  const int64_t b = op.getBatchDims();
  const std::string B = letters(kBatch, b),
                    N = letters(kOut, rankOf(op.getResultGrad()) - b),
                    K = letters(kIn, rankOf(op.getInput()) - b);
  return withPriority(
      linearIn(ruleFor(op, B + N + "," + B + K + "->" + N + K), {0, 1}), {-1});
}

std::optional<ShardingRule> rule(BiasAddOp op) {
  const int64_t features = rankOf(op.getBias());
  const std::string B = batchOf(op.getInput(), features),
                    N = letters(kOut, features);
  return withPriority(ruleFor(op, B + N + "," + N + "->" + B + N), {1});
}

std::optional<ShardingRule> rule(BiasGradOp op) {
  const int64_t features = rankOf(op.getBiasGrad());
  const std::string B = batchOf(op.getResultGrad(), features),
                    N = letters(kOut, features);
  return withPriority(ruleFor(op, B + N + "->" + N), {-1});
}

// Embedding tables are [vocabulary v, hidden h]; a split vocabulary makes
// each rank's lookup a partial sum (rows outside its block are zero).
std::optional<ShardingRule> rule(EmbeddingOp op) {
  const std::string B = letters(kBatch, rankOf(op.getIds()));
  return withPriority(linearIn(ruleFor(op, "vh," + B + "->" + B + "h"), {0}),
                      {0});
}

// The int8 table [v, h] with one scale per row [v]: split like the table.
std::optional<ShardingRule> rule(QuantizedEmbeddingOp op) {
  const std::string B = letters(kBatch, rankOf(op.getIds()));
  return withPriority(
      linearIn(ruleFor(op, "vh," + B + ",v->" + B + "h"), {0}), {0, 2});
}

std::optional<ShardingRule> rule(EmbeddingGradOp op) {
  const std::string B = letters(kBatch, rankOf(op.getIds()));
  return withPriority(linearIn(ruleFor(op, B + "h," + B + "->vh"), {0}), {-1});
}

std::optional<ShardingRule> rule(LayerNormOp op) {
  const std::string B = batchOf(op.getInput(), 1);
  return ruleFor(
      op, op.getBias() ? B + "h,h,h->" + B + "h" : B + "h,h->" + B + "h", "h");
}

std::optional<ShardingRule> rule(RMSNormOp op) {
  const std::string B = batchOf(op.getInput(), 1);
  return ruleFor(op, B + "h,h->" + B + "h", "h");
}

std::optional<ShardingRule> rule(LayerNormGradOp op) {
  const std::string B = batchOf(op.getInput(), 1);
  return ruleFor(op, B + "h," + B + "h,h->" + B + "h,h,h", "h");
}

std::optional<ShardingRule> rule(RMSNormGradOp op) {
  const std::string B = batchOf(op.getInput(), 1);
  return ruleFor(op, B + "h," + B + "h,h->" + B + "h,h", "h");
}

// Tensors [batch b, sequence t, heads h, head dimension d]; the rotation
// mixes pairs within d.
std::optional<ShardingRule> rule(RotaryEmbeddingOp op) {
  return ruleFor(op, "bthd,bt->bthd", "d");
}

// q[b,s,h,d], k[b,t,h,d], v[b,t,h,e] (h counts query heads in q and key/value
// groups in k and v: splitting both evenly keeps every query head with its
// group), out[b,s,h,e], lse[b,h,s]. Only batch and heads split.
std::optional<ShardingRule> rule(AttentionOp op) {
  return ruleFor(op,
                 op.getNumResults() == 2 ? "bshd,bthd,bthe->bshe,bhs"
                                         : "bshd,bthd,bthe->bshe",
                 "stde");
}

std::optional<ShardingRule> rule(AttentionGradOp op) {
  return ruleFor(op, "bshd,bthd,bthe,bshe,bhs,bshe->bshd,bthd,bthe", "stde");
}

// logits[rows..., v]: a split vocabulary is partitioned by the dedicated
// vocabulary-parallel ops, never by gathering the logits.
std::optional<ShardingRule> rule(CrossEntropyOp op) {
  const std::string B = batchOf(op.getLogits(), 1);
  return ruleFor(op, B + "v," + B + "->" +
                         (op.getReduction() == Reduction::none ? B : ""));
}

std::optional<ShardingRule> rule(CrossEntropyGradOp op) {
  const std::string B = batchOf(op.getLogits(), 1);
  const std::string dloss = op.getReduction() == Reduction::none ? B : "";
  return ruleFor(op, B + "v," + B + "," + dloss + "->" + B + "v");
}

// Virtual tokens [positions..., h] over a task's table [n, h]: the rows are
// chosen by data, so n never splits; positions and h split alike.
std::optional<ShardingRule> rule(InsertVirtualTokensOp op) {
  const std::string B = letters(kBatch, rankOf(op.getVirtualTokens()));
  return ruleFor(op, B + "h,nh," + B + "->" + B + "h", "n");
}

std::optional<ShardingRule> rule(MaskVirtualTokensOp op) {
  const std::string B = letters(kBatch, rankOf(op.getVirtualTokens()));
  return linearIn(ruleFor(op, B + "h," + B + "->" + B + "h"), {0});
}

std::optional<ShardingRule> rule(VirtualTokenTableGradOp op) {
  const std::string B = letters(kBatch, rankOf(op.getVirtualTokens()));
  return withPriority(
      linearIn(ruleFor(op, B + "h," + B + "->nh", "n"), {0}), {-1});
}

// An LSTM mixes every element of its sequence: nothing splits (p-tuning's
// encoder runs whole on every rank).
std::optional<ShardingRule> rule(LstmOp op) {
  return ruleFor(op, "ti,dgi,dge,dg->to", "tidgeo");
}

std::optional<ShardingRule> rule(LstmGradOp op) {
  return ruleFor(op, "ti,dgi,dge,dg,to->ti,dgi,dge,dg", "tidgeo");
}

template <typename OpT>
struct RuleModel
    : public ShardingRuleOpInterface::ExternalModel<RuleModel<OpT>, OpT> {
  std::optional<ShardingRule> getShardingRule(Operation *op) const {
    return rule(cast<OpT>(op));
  }
};

/// Elementwise ops over operands and results of one shape.
template <typename OpT, Linearity linearity = Linearity::None>
struct ElementwiseModel : public ShardingRuleOpInterface::ExternalModel<
                              ElementwiseModel<OpT, linearity>, OpT> {
  std::optional<ShardingRule> getShardingRule(Operation *op) const {
    std::optional<ShardingRule> r = elementwise(op);
    if (r && linearity != Linearity::None) {
      r->linearity = linearity;
      r->linearOperands.assign(op->getNumOperands(), true);
    }
    return r;
  }
};

template <typename... Ops> void attachRules(MLIRContext &context) {
  (Ops::template attachInterface<RuleModel<Ops>>(context), ...);
}

template <typename... Ops> void attachElementwise(MLIRContext &context) {
  (Ops::template attachInterface<ElementwiseModel<Ops>>(context), ...);
}

} // namespace

void mlir::strata::tfm::registerShardingRules(MLIRContext &context) {
  attachRules<QuantizedMatmulOp, QuantizedEmbeddingOp>(context);
  attachRules<MatmulOp, MatmulGradInputOp, MatmulGradWeightOp, BiasAddOp,
              BiasGradOp, EmbeddingOp, EmbeddingGradOp, LayerNormOp, RMSNormOp,
              LayerNormGradOp, RMSNormGradOp, RotaryEmbeddingOp, AttentionOp,
              AttentionGradOp, CrossEntropyOp, CrossEntropyGradOp,
              InsertVirtualTokensOp, MaskVirtualTokensOp,
              VirtualTokenTableGradOp, LstmOp, LstmGradOp>(context);
  attachElementwise<GeluOp, SiluOp, SwiGLUOp, GeluGradOp, SiluGradOp,
                    SwiGLUGradOp, ReluOp, ReluGradOp>(context);
  // A scaled partial sum is the sum of the scaled parts.
  ScaleOp::attachInterface<ElementwiseModel<ScaleOp, Linearity::EachListed>>(
      context);
  AddOp::attachInterface<ElementwiseModel<AddOp, Linearity::Joint>>(context);
  // A cast of a partial sum is (up to rounding) the sum of the casts: the
  // sum may be completed on either side, as Megatron-LM reduces gradients
  // in f32 after the cast.
  CastOp::attachInterface<ElementwiseModel<CastOp, Linearity::EachListed>>(
      context);
  // Dropout multiplies by a mask: a partial sum stays one.
  DropoutOp::attachInterface<
      ElementwiseModel<DropoutOp, Linearity::EachListed>>(context);
}

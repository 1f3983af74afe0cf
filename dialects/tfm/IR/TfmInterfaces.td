//===- TfmInterfaces.td - tfm op interfaces ----------------*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_TFM_IR_TFMINTERFACES_TD
#define STRATA_DIALECTS_TFM_IR_TFMINTERFACES_TD

include "mlir/IR/OpBase.td"

def Tfm_VJPOpInterface : OpInterface<"VJPOpInterface"> {
  let cppNamespace = "::mlir::strata::tfm";
  let description = [{
    An op that states its vector-Jacobian product, the building block of
    reverse-mode differentiation (the `strata-tfm-derive-training` pass).
    Given the gradients of the op's results (a null Value where no gradient
    flows), the op builds, at the builder's insertion point, the ops that
    compute the gradients of its operands, reading the op's own operands and
    results as needed. Operands that are not differentiable (token ids,
    positions, labels) get a null gradient.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the gradients of the operands from |resultGrads| (one per
        result, null where none flows) and appends one Value per operand to
        |operandGrads| (null for a non-differentiable operand or a zero
        gradient).
      }],
      "::mlir::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ArrayRef<::mlir::Value>":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

def Tfm_ShardingRuleOpInterface : OpInterface<"ShardingRuleOpInterface"> {
  let cppNamespace = "::mlir::strata::tfm";
  let description = [{
    An op that states how its computation splits over a device mesh: each
    operand and result dimension is mapped to a factor (see
    dialects/dist/Sharding/ShardingRule.h). Sharding propagation and the
    partitioner (`strata-partition`) read it; the tfm ops implement it as
    external models in TfmShardingRules.cpp, registered with the dialect.
  }];
  let methods = [
    InterfaceMethod<[{
        The op's rule for its current operand and result ranks, or nullopt
        when the op cannot be split at all (the partitioner then requires
        every operand whole and reports the op if one is not).
      }],
      "std::optional<::strata::sharding::ShardingRule>", "getShardingRule",
      (ins)>
  ];
}

#endif // STRATA_DIALECTS_TFM_IR_TFMINTERFACES_TD

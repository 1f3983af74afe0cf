//===- TfmBase.td - tfm dialect definition -----------------*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_TFM_IR_TFMBASE_TD
#define STRATA_DIALECTS_TFM_IR_TFMBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Tfm_Dialect : Dialect {
  let name = "tfm";
  let cppNamespace = "::mlir::strata::tfm";
  let summary = "Transformer math on tensors, in global (unpartitioned) shapes";
  let description = [{
    The `tfm` dialect is the first level of Strata's compiler: the frontend
    turns a model description into `tfm` ops on tensors, one `tfm.layer`
    region per transformer layer, with named parameters as module-level
    `tfm.parameter` symbols. Shapes are global: they describe the whole model
    as a single device would run it. Later passes derive the backward pass
    through each op's vector-Jacobian product, then partition the program
    into tensor-, sequence-, pipeline- and data-parallel shards.

    Two rules make that partitioning exact:

    * Every op is defined over whole tensor dimensions, and attention heads
      are a dimension of their own (a query projection weight is
      `[heads, head_dim, hidden]`, never `[heads * head_dim, hidden]` with an
      interleave). A tensor-parallel split is then a split of one dimension.
    * Ops never hide a reduction across a dimension a partitioner may split,
      except where the op states it (`tfm.matmul` contracts its trailing
      dimensions; `tfm.cross_entropy` reduces over the vocabulary).

    Element types are `f32`, `bf16` and `f16` for model math; `f64` is
    accepted so that tests can build a double-precision variant of a program
    for finite-difference gradient checks. Token ids and positions are `i32`
    or `i64` tensors.
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

class Tfm_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tfm_Dialect, mnemonic, traits>;

class Tfm_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Tfm_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Tfm_FloatElement : AnyTypeOf<[F32, BF16, F16, F64]>;
def Tfm_FloatTensor : RankedTensorOf<[F32, BF16, F16, F64]>;
def Tfm_IndexTensor : RankedTensorOf<[I32, I64]>;
def Tfm_LossTensor : RankedTensorOf<[F32, F64]>;
/// Weight-only quantization (TfmQuantizedOps.td): int8 weights and their
/// f32 per-output-channel scales.
def Tfm_Int8Tensor : RankedTensorOf<[I8]>;
def Tfm_ScaleTensor : RankedTensorOf<[F32]>;
/// A parameter's type: a float tensor, or an int8 quantized weight.
def Tfm_ParameterTensor : RankedTensorOf<[F32, BF16, F16, F64, I8]>;
/// A rank-0 f32 or f64 tensor: a scalar such as a learning rate or a norm.
def Tfm_ScalarTensor : 0DTensorOf<[F32, F64]>;

/// Every floating-point operand and result has the same element type.
def Tfm_SameFloatElementType : NativeOpTrait<"SameFloatElementType"> {
  let cppNamespace = "::mlir::strata::tfm";
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Tfm_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "how tfm.gelu evaluates the Gaussian CDF", [
      I32EnumAttrCase<"erf", 0>,
      I32EnumAttrCase<"tanh", 1>
    ]> {
  let cppNamespace = "::mlir::strata::tfm";
}

def Tfm_Reduction : I32EnumAttr<"Reduction",
    "how tfm.cross_entropy reduces per-token losses", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"mean", 1>,
      I32EnumAttrCase<"sum", 2>
    ]> {
  let cppNamespace = "::mlir::strata::tfm";
}

def Tfm_InitKind : I32EnumAttr<"InitKind",
    "how a parameter's initial value is drawn", [
      I32EnumAttrCase<"zeros", 0>,
      I32EnumAttrCase<"ones", 1>,
      I32EnumAttrCase<"normal", 2>
    ]> {
  let cppNamespace = "::mlir::strata::tfm";
  let genSpecializedAttr = 0;
}

#endif // STRATA_DIALECTS_TFM_IR_TFMBASE_TD

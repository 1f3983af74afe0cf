//===- DistBase.td - dist dialect definition ---------------*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_DIST_IR_DISTBASE_TD
#define STRATA_DIALECTS_DIST_IR_DISTBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Dist_Dialect : Dialect {
  let name = "dist";
  let cppNamespace = "::mlir::strata::dist";
  let summary = "Device meshes, shardings, collectives and pipeline stages";
  let description = [{
    The `dist` dialect describes how a program is spread over the ranks of a
    job. It is produced and consumed by the **partitioned** phase of the
    pipeline (see `DESIGN.md`) and is gone once the program is lowered to the
    runtime artifact.

    * `dist.mesh` declares a device mesh: a module-level symbol with named
      axes, normally `dp` (data parallel), `pp` (pipeline parallel) and `tp`
      (tensor parallel), and their sizes.
    * `#dist.sharding` says, per tensor dimension, over which mesh axes the
      dimension is split, and over which axes the value is a pending partial
      sum (a row-parallel matmul yields one; the all-reduce that resolves it
      is inserted only where a consumer needs the full value).
    * Collectives (`dist.all_reduce`, `dist.all_gather`,
      `dist.reduce_scatter`, `dist.all_to_all`, `dist.broadcast`) act on the
      local, per-rank tensors of a group of ranks: the ranks that differ only
      in their coordinates along the op's `axes`. Their types are local
      shapes.
    * `dist.send` / `dist.recv` move a tensor between pipeline stages along
      the `pp` axis, and `dist.stage` holds the ops of one pipeline stage.

    Splits are exact: a dimension split over axes whose sizes multiply to `n`
    must be divisible by `n`. The verifiers reject uneven splits instead of
    truncating them.
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

class Dist_Op<string mnemonic, list<Trait> traits = []>
    : Op<Dist_Dialect, mnemonic, traits>;

class Dist_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Dist_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Dist_ReductionKind : I32EnumAttr<"ReductionKind",
    "how a collective combines the values of the ranks in its group", [
      I32EnumAttrCase<"sum", 0>,
      I32EnumAttrCase<"max", 1>
    ]> {
  let cppNamespace = "::mlir::strata::dist";
}

#endif // STRATA_DIALECTS_DIST_IR_DISTBASE_TD

//===- DistAttrs.td - dist dialect attributes --------------*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_DIST_IR_DISTATTRS_TD
#define STRATA_DIALECTS_DIST_IR_DISTATTRS_TD

include "dialects/dist/IR/DistBase.td"

def Dist_ShardingAttr : Dist_Attr<"Sharding", "sharding"> {
  let summary = "How a tensor is distributed over the axes of a mesh";
  let description = [{
    Names a `dist.mesh` and lists, for every dimension of the tensor, the mesh
    axes that dimension is split over (outermost first; an empty list means
    the dimension is replicated). `partial` lists the axes over which the
    value is a pending partial sum: each rank of such an axis holds one
    summand and the full value is their sum. Axes that appear nowhere are
    axes the tensor is replicated over.

    Example: the output of a row-parallel matmul, `[batch, seq, hidden]`,
    before its all-reduce, and a column-parallel weight split on its first
    dimension:

    ```mlir
    #dist.sharding<@mesh, [[], [], []], partial = ["tp"]>
    #dist.sharding<@mesh, [["tp"], []]>
    ```

    **Constraints:** an axis appears at most once in the whole attribute (a
    dimension cannot be split twice over one axis, nor a value be both split
    and partial along it). Against a mesh and a tensor type
    (`verifyShardingFor`, used by `dist.shard`): the mesh is the one named,
    every axis exists, the attribute has one entry per tensor dimension, and
    every split dimension of static size is divisible by the product of the
    sizes of its axes.
  }];
  let parameters = (ins
    "::mlir::FlatSymbolRefAttr":$mesh,
    "::mlir::ArrayAttr":$dims,
    "::mlir::ArrayAttr":$partial
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The axes dimension |dim| is split over, outermost first.
    ::llvm::SmallVector<::llvm::StringRef> getDimAxes(unsigned dim) const;
    /// The axes over which the value is a pending partial sum.
    ::llvm::SmallVector<::llvm::StringRef> getPartialAxes() const;
    unsigned getRank() const { return getDims().size(); }
  }];
}

#endif // STRATA_DIALECTS_DIST_IR_DISTATTRS_TD

//===- DistOps.td - dist dialect operations ----------------*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_DIST_IR_DISTOPS_TD
#define STRATA_DIALECTS_DIST_IR_DISTOPS_TD

include "dialects/dist/IR/DistBase.td"
include "dialects/dist/IR/DistAttrs.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Mesh
//===----------------------------------------------------------------------===//

def Dist_MeshOp : Dist_Op<"mesh", [Symbol, HasParent<"::mlir::ModuleOp">]> {
  let summary = "A device mesh with named axes";
  let description = [{
    Declares the logical arrangement of a job's ranks as an n-dimensional
    grid. Each axis has a name and a size; the number of ranks is the product
    of the sizes. Strata's meshes have the axes `dp` (data parallel), `pp`
    (pipeline parallel) and `tp` (tensor and sequence parallel), outermost
    first, so that the ranks of one tensor-parallel group are adjacent.
    Collectives, shardings, send/recv and stages name the mesh they refer to.

    **Created by:** the partitioning setup (from the parallelism settings of
    the model description), before sharding propagation. **Removed by:** the
    lowering to the runtime artifact, which records the mesh shape in the
    artifact header.

    Example:

    ```mlir
    dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
    ```

    **Constraints:**
    * one name per size, at least one axis;
    * every size is at least 1;
    * axis names are non-empty and unique;
    * the op sits directly in the module.
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    StrArrayAttr:$axes,
    DenseI64ArrayAttr:$shape
  );
  let assemblyFormat = [{
    $sym_name `axes` `=` $axes `shape` `=` $shape attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The position of |axis| in the mesh, if the mesh has it.
    std::optional<unsigned> getAxisIndex(::llvm::StringRef axis);
    /// The size of |axis|, if the mesh has it.
    std::optional<int64_t> getAxisSize(::llvm::StringRef axis);
    /// The number of ranks in the mesh.
    int64_t getNumRanks();
  }];
}

//===----------------------------------------------------------------------===//
// Sharding annotation
//===----------------------------------------------------------------------===//

def Dist_ShardOp : Dist_Op<"shard", [Pure, AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Annotates a tensor with its sharding";
  let description = [{
    Returns its operand unchanged and records how the value is distributed
    over a mesh. The types are global (unpartitioned) shapes: the annotation
    sits on the `tfm` program before it is partitioned.

    **Created by:** sharding propagation (from the user's parallelism
    settings and the partitioning interface of each op). **Removed by:** the
    partitioner, which rewrites every tensor to its local shape and replaces
    mismatched shardings between producer and consumer with collectives.

    Example:

    ```mlir
    %1 = dist.shard %0 to <@mesh, [[], ["tp"]]> : tensor<8x768xf32>
    %2 = dist.shard %1 to <@mesh, [[], []], partial = ["tp"]> : tensor<8x768xf32>
    ```

    **Constraints:** those of `#dist.sharding` against the mesh and the
    operand type: the mesh exists, every axis exists, one entry per
    dimension, and every split dimension of static size divides evenly.
  }];
  let arguments = (ins AnyRankedTensor:$input, Dist_ShardingAttr:$sharding);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `to` $sharding attr-dict `:` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

class Dist_CollectiveOp<string mnemonic, list<Trait> traits = []>
    : Dist_Op<mnemonic, !listconcat(traits, [
        DeclareOpInterfaceMethods<SymbolUserOpInterface>])> {
  let hasVerifier = 1;
}

def Dist_AllReduceOp : Dist_CollectiveOp<"all_reduce",
    [AllTypesMatch<["input", "result"]>]> {
  let summary = "Combines a tensor across a group of ranks";
  let description = [{
    Every rank of the group (the ranks that differ only along `axes`)
    receives the element-wise `sum` or `max` of the group's tensors. With
    `sum` this resolves a pending partial sum over those axes: the result's
    sharding has them removed from `partial`.

    **Created by:** the partitioner, where a consumer needs the full value of
    a partial sum (after a row-parallel matmul) and the gradient reduction of
    data parallelism. Under sequence parallelism the partitioner emits
    `dist.reduce_scatter` instead. **Removed by:** the lowering to the
    runtime artifact, which turns it into a communicator call.

    Example:

    ```mlir
    %1 = dist.all_reduce %0 on @mesh axes = ["tp"] reduction = sum : tensor<8x768xf32>
    ```

    **Constraints:** `axes` is non-empty, its axes exist in the mesh and are
    unique; operand and result have the same type.
  }];
  let arguments = (ins
    AnyRankedTensor:$input,
    FlatSymbolRefAttr:$mesh,
    StrArrayAttr:$axes,
    Dist_ReductionKind:$reduction
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `axes` `=` $axes `reduction` `=` $reduction attr-dict
    `:` type($result)
  }];
}

def Dist_AllGatherOp : Dist_CollectiveOp<"all_gather"> {
  let summary = "Concatenates the shards of a group along one dimension";
  let description = [{
    Every rank of the group receives the concatenation, along dimension
    `dim`, of the group's tensors in rank order of the group (the order of
    the coordinates along `axes`, outermost first). The result's `dim` is the
    operand's times the group size; the other dimensions are unchanged.

    **Created by:** the partitioner, where a consumer needs the whole of a
    dimension that is split (e.g. the sequence dimension entering a
    column-parallel matmul under sequence parallelism). **Removed by:** the
    lowering to the runtime artifact.

    Example:

    ```mlir
    %1 = dist.all_gather %0 on @mesh axes = ["tp"] dim = 1 : tensor<2x128x768xf32> -> tensor<2x512x768xf32>
    ```

    **Constraints:** `axes` is non-empty, its axes exist and are unique;
    operand and result have the same rank and element type; `dim` is a
    dimension; the result's `dim` is the operand's times the product of the
    sizes of `axes`, and its other dimensions equal the operand's.
  }];
  let arguments = (ins
    AnyRankedTensor:$input,
    FlatSymbolRefAttr:$mesh,
    StrArrayAttr:$axes,
    I64Attr:$dim
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `axes` `=` $axes `dim` `=` $dim attr-dict
    `:` type($input) `->` type($result)
  }];
}

def Dist_ReduceScatterOp : Dist_CollectiveOp<"reduce_scatter"> {
  let summary = "Combines a tensor across a group and splits the result";
  let description = [{
    The group's tensors are combined element-wise (`sum` or `max`) and the
    result is split evenly along dimension `dim`; each rank of the group
    receives its slice, in rank order of the group. It resolves a pending
    partial sum over `axes` and leaves `dim` split over them.

    **Created by:** the partitioner under sequence parallelism, in place of
    the all-reduce after a row-parallel matmul, and for data-parallel
    gradient reduction with sharded optimizer state. **Removed by:** the
    lowering to the runtime artifact.

    Example:

    ```mlir
    %1 = dist.reduce_scatter %0 on @mesh axes = ["tp"] dim = 1 reduction = sum : tensor<2x512x768xf32> -> tensor<2x128x768xf32>
    ```

    **Constraints:** `axes` is non-empty, its axes exist and are unique;
    operand and result have the same rank and element type; `dim` is a
    dimension; the operand's `dim` is divisible by the product of the sizes
    of `axes`, the result's `dim` is the quotient, and its other dimensions
    equal the operand's.
  }];
  let arguments = (ins
    AnyRankedTensor:$input,
    FlatSymbolRefAttr:$mesh,
    StrArrayAttr:$axes,
    I64Attr:$dim,
    Dist_ReductionKind:$reduction
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `axes` `=` $axes `dim` `=` $dim `reduction` `=`
    $reduction attr-dict `:` type($input) `->` type($result)
  }];
}

def Dist_SliceOp : Dist_CollectiveOp<"slice", [Pure]> {
  let summary = "This rank's block of a value every rank of a group holds";
  let description = [{
    Each rank of the group takes block `c` (its coordinate along `axes`) of
    dimension `dim` of a value the whole group holds: no communication. The
    result's `dim` is the operand's divided by the group size.

    **Created by:** the partitioner, where a consumer computes on a split
    dimension of a whole value (under sequence parallelism: the position ids
    of the sequence block a rank embeds). **Removed by:** the lowering to
    the runtime artifact (a LocalSlice instruction).

    Example:

    ```mlir
    %1 = dist.slice %0 on @mesh axes = ["tp"] dim = 1 : tensor<2x512xi32> -> tensor<2x128xi32>
    ```

    **Constraints:** `axes` is non-empty, its axes exist and are unique;
    operand and result have the same rank and element type; the operand's
    `dim` is divisible by the product of the sizes of `axes`, the result's
    `dim` is the quotient, and its other dimensions equal the operand's.
  }];
  let arguments = (ins
    AnyRankedTensor:$input,
    FlatSymbolRefAttr:$mesh,
    StrArrayAttr:$axes,
    I64Attr:$dim
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `axes` `=` $axes `dim` `=` $dim attr-dict
    `:` type($input) `->` type($result)
  }];
}

def Dist_AllToAllOp : Dist_CollectiveOp<"all_to_all"> {
  let summary = "Exchanges slices so that a different dimension is split";
  let description = [{
    Each rank splits its tensor evenly along `split_dim` into one slice per
    rank of the group, sends slice `i` to the group's rank `i`, and
    concatenates what it receives along `concat_dim`, in rank order. The
    result's `split_dim` is the operand's divided by the group size and its
    `concat_dim` is multiplied by it (when the two are the same dimension the
    shape is unchanged).

    **Created by:** the partitioner, where a tensor split along one dimension
    must be split along another (e.g. between sequence- and head-split
    attention layouts). **Removed by:** the lowering to the runtime artifact.

    Example:

    ```mlir
    %1 = dist.all_to_all %0 on @mesh axes = ["tp"] split_dim = 1 concat_dim = 2 : tensor<2x16x8x64xf32> -> tensor<2x4x32x64xf32>
    ```

    **Constraints:** `axes` is non-empty, its axes exist and are unique;
    operand and result have the same rank and element type; `split_dim` and
    `concat_dim` are dimensions; the operand's `split_dim` is divisible by
    the group size; the result has the shape described above.
  }];
  let arguments = (ins
    AnyRankedTensor:$input,
    FlatSymbolRefAttr:$mesh,
    StrArrayAttr:$axes,
    I64Attr:$split_dim,
    I64Attr:$concat_dim
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `axes` `=` $axes `split_dim` `=` $split_dim
    `concat_dim` `=` $concat_dim attr-dict `:` type($input) `->` type($result)
  }];
}

def Dist_BroadcastOp : Dist_CollectiveOp<"broadcast",
    [AllTypesMatch<["input", "result"]>]> {
  let summary = "Copies one rank's tensor to every rank of a group";
  let description = [{
    Every rank of the group receives the tensor of the group's rank `root`
    (its linear index within the group, coordinates along `axes` taken
    outermost first). The operand of the other ranks is ignored.

    **Created by:** the partitioner, for values computed on one rank only
    (e.g. the sampled token of a pipeline's last stage during generation,
    initial parameters under data parallelism). **Removed by:** the lowering
    to the runtime artifact.

    Example:

    ```mlir
    %1 = dist.broadcast %0 on @mesh axes = ["dp"] root = 0 : tensor<4x768xf32>
    ```

    **Constraints:** `axes` is non-empty, its axes exist and are unique;
    `root` is in `[0, group size)`; operand and result have the same type.
  }];
  let arguments = (ins
    AnyRankedTensor:$input,
    FlatSymbolRefAttr:$mesh,
    StrArrayAttr:$axes,
    I64Attr:$root
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `axes` `=` $axes `root` `=` $root attr-dict
    `:` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Point to point and pipeline stages
//===----------------------------------------------------------------------===//

def Dist_SendOp : Dist_Op<"send", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Sends a tensor to another pipeline stage";
  let description = [{
    Sends the operand to the rank whose `pp` coordinate is this rank's plus
    `offset`, modulo the `pp` size (the interleaved schedule's last stage
    sends its chunk's output on to the first); its other coordinates are
    the same. The matching `dist.recv`
    on that rank has the opposite offset and the same `tag`.

    **Created by:** pipeline-stage splitting, for every value that crosses a
    stage boundary (activations forward, their gradients backward).
    **Removed by:** the lowering to the runtime artifact, which turns it into
    a communicator send in the stage's schedule.

    Example:

    ```mlir
    dist.send %0 on @mesh offset = 1 tag = 0 : tensor<2x128x768xf32>
    ```

    **Constraints:** `offset` is not 0; `tag` is not negative; the mesh has
    a `pp` axis and `|offset|` is less than its size.
  }];
  let arguments = (ins
    AnyRankedTensor:$input,
    FlatSymbolRefAttr:$mesh,
    I64Attr:$offset,
    I64Attr:$tag
  );
  let assemblyFormat = [{
    $input `on` $mesh `offset` `=` $offset `tag` `=` $tag attr-dict
    `:` type($input)
  }];
  let hasVerifier = 1;
}

def Dist_RecvOp : Dist_Op<"recv", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Receives a tensor from another pipeline stage";
  let description = [{
    Receives a tensor from the rank whose `pp` coordinate is this rank's
    plus `offset` (modulo the `pp` size); the sender's `dist.send` has the opposite offset and the
    same `tag`. The result type is the local shape of the value sent.

    **Created by:** pipeline-stage splitting. **Removed by:** the lowering to
    the runtime artifact.

    Example:

    ```mlir
    %0 = dist.recv on @mesh offset = -1 tag = 0 : tensor<2x128x768xf32>
    ```

    **Constraints:** `offset` is not 0; `tag` is not negative; the mesh has
    a `pp` axis and `|offset|` is less than its size.
  }];
  let arguments = (ins
    FlatSymbolRefAttr:$mesh,
    I64Attr:$offset,
    I64Attr:$tag
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    `on` $mesh `offset` `=` $offset `tag` `=` $tag attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def Dist_StageOp : Dist_Op<"stage", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    NoTerminator, SingleBlock]> {
  let summary = "The ops of one pipeline stage";
  let description = [{
    Holds the ops that the ranks with `pp` coordinate `index` run. Values
    cross from one stage to another only through `dist.send` / `dist.recv`.

    **Created by:** pipeline-stage splitting, which groups consecutive
    `tfm.layer`s (and the embedding and loss) into stages. **Removed by:**
    the lowering to the runtime artifact, which emits one instruction list
    per stage.

    Example:

    ```mlir
    dist.stage 0 on @mesh {
      dist.send %0 on @mesh offset = 1 tag = 0 : tensor<2x128x768xf32>
    }
    ```

    **Constraints:** the mesh has a `pp` axis and `index` is in `[0, size)`;
    stages do not nest; no two stages in a block have the same index.
  }];
  let arguments = (ins I64Attr:$index, FlatSymbolRefAttr:$mesh);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $index `on` $mesh attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
}

#endif // STRATA_DIALECTS_DIST_IR_DISTOPS_TD

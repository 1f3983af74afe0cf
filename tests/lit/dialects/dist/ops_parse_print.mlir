// RUN: strata-opt %s -split-input-file | strata-opt -split-input-file | FileCheck %s
// RUN: strata-opt %s -split-input-file --mlir-print-op-generic | strata-opt -split-input-file | FileCheck %s

// Round trip of every dist op and attribute, through the custom and the
// generic form.

// CHECK-LABEL: dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
// CHECK: dist.mesh @flat axes = ["tp"] shape = [8]
dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
dist.mesh @flat axes = ["tp"] shape = [8]

// CHECK-LABEL: func.func @shardings
// CHECK-SAME: {dist.sharding = #dist.sharding<@mesh, {{\[\[}}"tp"], [{{\]\]}}>}
// CHECK-SAME: {dist.sharding = #dist.sharding<@mesh, {{\[\[}}], [], [{{\]\]}}, partial = ["tp"]>}
// CHECK-SAME: {dist.sharding = #dist.sharding<@mesh, {{\[\[}}"dp", "tp"], [{{\]\]}}, partial = ["pp"]>}
// CHECK-SAME: {dist.sharding = #dist.sharding<@mesh, []>}
func.func @shardings(
    %a: tensor<8x4xf32> {dist.sharding = #dist.sharding<@mesh, [["tp"], []]>},
    %b: tensor<2x3x4xf32> {dist.sharding = #dist.sharding<@mesh, [[], [], []], partial = ["tp"]>},
    %c: tensor<16x4xf32> {dist.sharding = #dist.sharding<@mesh, [["dp", "tp"], []], partial = ["pp"]>},
    %d: tensor<f32> {dist.sharding = #dist.sharding<@mesh, []>}) {
  return
}

// CHECK-LABEL: func.func @shard
func.func @shard(%arg0: tensor<8x768xf32>, %arg1: tensor<?x768xf32>) {
  // CHECK: dist.shard %{{.*}} to <@mesh, {{\[\[}}], ["tp"{{\]\]}}> : tensor<8x768xf32>
  %0 = dist.shard %arg0 to <@mesh, [[], ["tp"]]> : tensor<8x768xf32>
  // CHECK: dist.shard %{{.*}} to <@mesh, {{\[\[}}], [{{\]\]}}, partial = ["tp"]> : tensor<8x768xf32>
  %1 = dist.shard %arg0 to <@mesh, [[], []], partial = ["tp"]> : tensor<8x768xf32>
  // CHECK: dist.shard %{{.*}} to <@mesh, {{\[\[}}"dp", "pp"], ["tp"{{\]\]}}> : tensor<8x768xf32>
  %2 = dist.shard %arg0 to <@mesh, [["dp", "pp"], ["tp"]]> : tensor<8x768xf32>
  // A dynamic dimension may be split; its evenness is checked at run time.
  // CHECK: dist.shard %{{.*}} to <@mesh, {{\[\[}}"dp"], [{{\]\]}}> : tensor<?x768xf32>
  %3 = dist.shard %arg1 to <@mesh, [["dp"], []]> : tensor<?x768xf32>
  return
}

// CHECK-LABEL: func.func @collectives
func.func @collectives(%arg0: tensor<8x768xf32>, %arg1: tensor<2x16x8x64xbf16>, %arg2: tensor<?x768xf32>) {
  // CHECK: dist.all_reduce %{{.*}} on @mesh axes = ["tp"] reduction = sum : tensor<8x768xf32>
  %0 = dist.all_reduce %arg0 on @mesh axes = ["tp"] reduction = sum : tensor<8x768xf32>
  // CHECK: dist.all_reduce %{{.*}} on @mesh axes = ["dp", "tp"] reduction = max : tensor<8x768xf32>
  %1 = dist.all_reduce %arg0 on @mesh axes = ["dp", "tp"] reduction = max : tensor<8x768xf32>
  // CHECK: dist.all_gather %{{.*}} on @mesh axes = ["tp"] dim = 1 : tensor<8x768xf32> -> tensor<8x3072xf32>
  %2 = dist.all_gather %arg0 on @mesh axes = ["tp"] dim = 1 : tensor<8x768xf32> -> tensor<8x3072xf32>
  // CHECK: dist.all_gather %{{.*}} on @mesh axes = ["dp", "tp"] dim = 0 : tensor<8x768xf32> -> tensor<64x768xf32>
  %3 = dist.all_gather %arg0 on @mesh axes = ["dp", "tp"] dim = 0 : tensor<8x768xf32> -> tensor<64x768xf32>
  // CHECK: dist.all_gather %{{.*}} on @mesh axes = ["tp"] dim = 0 : tensor<?x768xf32> -> tensor<?x768xf32>
  %4 = dist.all_gather %arg2 on @mesh axes = ["tp"] dim = 0 : tensor<?x768xf32> -> tensor<?x768xf32>
  // CHECK: dist.reduce_scatter %{{.*}} on @mesh axes = ["tp"] dim = 0 reduction = sum : tensor<8x768xf32> -> tensor<2x768xf32>
  %5 = dist.reduce_scatter %arg0 on @mesh axes = ["tp"] dim = 0 reduction = sum : tensor<8x768xf32> -> tensor<2x768xf32>
  // CHECK: dist.reduce_scatter %{{.*}} on @mesh axes = ["tp"] dim = 1 reduction = max : tensor<8x768xf32> -> tensor<8x192xf32>
  %6 = dist.reduce_scatter %arg0 on @mesh axes = ["tp"] dim = 1 reduction = max : tensor<8x768xf32> -> tensor<8x192xf32>
  // CHECK: dist.all_to_all %{{.*}} on @mesh axes = ["tp"] split_dim = 1 concat_dim = 2 : tensor<2x16x8x64xbf16> -> tensor<2x4x32x64xbf16>
  %7 = dist.all_to_all %arg1 on @mesh axes = ["tp"] split_dim = 1 concat_dim = 2 : tensor<2x16x8x64xbf16> -> tensor<2x4x32x64xbf16>
  // CHECK: dist.all_to_all %{{.*}} on @mesh axes = ["tp"] split_dim = 2 concat_dim = 2 : tensor<2x16x8x64xbf16> -> tensor<2x16x8x64xbf16>
  %8 = dist.all_to_all %arg1 on @mesh axes = ["tp"] split_dim = 2 concat_dim = 2 : tensor<2x16x8x64xbf16> -> tensor<2x16x8x64xbf16>
  // CHECK: dist.broadcast %{{.*}} on @mesh axes = ["dp"] root = 0 : tensor<8x768xf32>
  %9 = dist.broadcast %arg0 on @mesh axes = ["dp"] root = 0 : tensor<8x768xf32>
  // CHECK: dist.broadcast %{{.*}} on @mesh axes = ["dp", "tp"] root = 7 : tensor<8x768xf32>
  %10 = dist.broadcast %arg0 on @mesh axes = ["dp", "tp"] root = 7 : tensor<8x768xf32>
  return
}

// CHECK-LABEL: func.func @pipeline
func.func @pipeline(%arg0: tensor<2x128x768xf32>) {
  // CHECK: dist.stage 0 on @mesh {
  // CHECK-NEXT: dist.send %{{.*}} on @mesh offset = 1 tag = 0 : tensor<2x128x768xf32>
  // CHECK-NEXT: dist.recv on @mesh offset = 1 tag = 1 : tensor<2x128x768xf32>
  // CHECK-NEXT: }
  dist.stage 0 on @mesh {
    dist.send %arg0 on @mesh offset = 1 tag = 0 : tensor<2x128x768xf32>
    %0 = dist.recv on @mesh offset = 1 tag = 1 : tensor<2x128x768xf32>
  }
  // CHECK: dist.stage 1 on @mesh attributes {note = "last"} {
  // CHECK-NEXT: dist.recv on @mesh offset = -1 tag = 0 : tensor<2x128x768xf32>
  // CHECK-NEXT: dist.send %{{.*}} on @mesh offset = -1 tag = 1 : tensor<2x128x768xf32>
  // CHECK-NEXT: }
  dist.stage 1 on @mesh attributes {note = "last"} {
    %1 = dist.recv on @mesh offset = -1 tag = 0 : tensor<2x128x768xf32>
    dist.send %1 on @mesh offset = -1 tag = 1 : tensor<2x128x768xf32>
  }
  return
}

// -----

// An empty stage.
dist.mesh @mesh axes = ["pp"] shape = [2]
// CHECK-LABEL: func.func @empty_stage
// CHECK: dist.stage 1 on @mesh {
// CHECK-NEXT: }
func.func @empty_stage() {
  dist.stage 1 on @mesh {
  }
  return
}

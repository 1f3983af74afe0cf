// RUN: strata-opt %s -split-input-file | strata-opt -split-input-file | FileCheck %s
// RUN: strata-opt %s -split-input-file --mlir-print-op-generic | strata-opt -split-input-file | FileCheck %s

// Round trip of the KV-cache ops strata-tfm-derive-inference creates, through
// the custom and the generic form.

//===----------------------------------------------------------------------===//
// tfm.kv_cache, tfm.cache_write, tfm.cached_attention
//===----------------------------------------------------------------------===//

// CHECK:       tfm.kv_cache @layers.0.attention.key_cache : tensor<2x16x2x8xf32>
// CHECK:       tfm.kv_cache @layers.0.attention.value_cache : tensor<2x16x2x6xf32>
// CHECK-LABEL: func.func @decode(
// CHECK-SAME:    %[[Q:.*]]: tensor<2x1x4x8xf32>, %[[K:.*]]: tensor<2x1x2x8xf32>, %[[V:.*]]: tensor<2x1x2x6xf32>, %[[P:.*]]: tensor<2x1xi32>
// CHECK:         tfm.cache_write @layers.0.attention.key_cache, %[[K]], %[[P]] : tensor<2x1x2x8xf32>, tensor<2x1xi32>
// CHECK:         tfm.cache_write @layers.0.attention.value_cache, %[[V]], %[[P]] : tensor<2x1x2x6xf32>, tensor<2x1xi32>
// CHECK:         %[[A:.*]] = tfm.cached_attention %[[Q]], @layers.0.attention.key_cache, @layers.0.attention.value_cache, %[[P]] causal scale 0.35355339059327373 : tensor<2x1x4x8xf32>, tensor<2x1xi32> -> tensor<2x1x4x6xf32>
// CHECK:         return %[[A]]
tfm.kv_cache @"layers.0.attention.key_cache" : tensor<2x16x2x8xf32>
tfm.kv_cache @"layers.0.attention.value_cache" : tensor<2x16x2x6xf32>
func.func @decode(%q: tensor<2x1x4x8xf32>, %k: tensor<2x1x2x8xf32>, %v: tensor<2x1x2x6xf32>, %positions: tensor<2x1xi32>) -> tensor<2x1x4x6xf32> {
  tfm.cache_write @"layers.0.attention.key_cache", %k, %positions : tensor<2x1x2x8xf32>, tensor<2x1xi32>
  tfm.cache_write @"layers.0.attention.value_cache", %v, %positions : tensor<2x1x2x6xf32>, tensor<2x1xi32>
  %a = tfm.cached_attention %q, @"layers.0.attention.key_cache", @"layers.0.attention.value_cache", %positions causal scale 0.35355339059327373 : tensor<2x1x4x8xf32>, tensor<2x1xi32> -> tensor<2x1x4x6xf32>
  return %a : tensor<2x1x4x6xf32>
}

// -----

// A prefill chunk of the whole cache length, bf16, i64 positions, inside a
// layer (isolated from above: the caches are symbols, not captures).

// CHECK:       tfm.kv_cache @kc : tensor<1x4x1x8xbf16>
// CHECK-LABEL: func.func @prefill(
// CHECK:         tfm.layer 0
// CHECK:           tfm.cache_write @kc, %{{.*}}, %{{.*}} : tensor<1x4x1x8xbf16>, tensor<1x4xi64>
// CHECK:           tfm.cached_attention %{{.*}}, @kc, @vc, %{{.*}} causal scale 1.000000e+00 : tensor<1x4x2x8xbf16>, tensor<1x4xi64> -> tensor<1x4x2x8xbf16>
tfm.kv_cache @kc : tensor<1x4x1x8xbf16>
tfm.kv_cache @vc : tensor<1x4x1x8xbf16>
func.func @prefill(%q: tensor<1x4x2x8xbf16>, %k: tensor<1x4x1x8xbf16>, %v: tensor<1x4x1x8xbf16>, %positions: tensor<1x4xi64>) -> tensor<1x4x2x8xbf16> {
  %r = tfm.layer 0 (%q, %k, %v, %positions) : (tensor<1x4x2x8xbf16>, tensor<1x4x1x8xbf16>, tensor<1x4x1x8xbf16>, tensor<1x4xi64>) -> tensor<1x4x2x8xbf16> {
  ^bb0(%lq: tensor<1x4x2x8xbf16>, %lk: tensor<1x4x1x8xbf16>, %lv: tensor<1x4x1x8xbf16>, %lp: tensor<1x4xi64>):
    tfm.cache_write @kc, %lk, %lp : tensor<1x4x1x8xbf16>, tensor<1x4xi64>
    tfm.cache_write @vc, %lv, %lp : tensor<1x4x1x8xbf16>, tensor<1x4xi64>
    %a = tfm.cached_attention %lq, @kc, @vc, %lp causal scale 1.0 : tensor<1x4x2x8xbf16>, tensor<1x4xi64> -> tensor<1x4x2x8xbf16>
    tfm.yield %a : tensor<1x4x2x8xbf16>
  }
  return %r : tensor<1x4x2x8xbf16>
}

// -----

// CHECK-LABEL: func.func @take_positions
// CHECK: tfm.take_positions %{{.*}}, %{{.*}} : tensor<4x16x8xf32>, tensor<4xi32> -> tensor<4x1x8xf32>
func.func @take_positions(%x: tensor<4x16x8xf32>, %i: tensor<4xi32>) -> tensor<4x1x8xf32> {
  %y = tfm.take_positions %x, %i : tensor<4x16x8xf32>, tensor<4xi32> -> tensor<4x1x8xf32>
  return %y : tensor<4x1x8xf32>
}

// -----

// Paged caches: a pool of 8 blocks of 4 positions, 3 blocks per row.

// CHECK:       tfm.kv_cache @pk : tensor<8x4x2x8xf32>
// CHECK-LABEL: func.func @paged(
// CHECK-SAME:    %[[Q:.*]]: tensor<2x1x4x8xf32>, %[[K:.*]]: tensor<2x1x2x8xf32>, %[[P:.*]]: tensor<2x1xi32>, %[[T:.*]]: tensor<2x3xi32>
// CHECK:         tfm.cache_write @pk, %[[K]], %[[P]] block_table %[[T]] : tensor<2x1x2x8xf32>, tensor<2x1xi32>, tensor<2x3xi32>
// CHECK:         tfm.cached_attention %[[Q]], @pk, @pv, %[[P]] block_table %[[T]] causal scale 1.250000e-01 : tensor<2x1x4x8xf32>, tensor<2x1xi32>, tensor<2x3xi32> -> tensor<2x1x4x8xf32>
tfm.kv_cache @pk : tensor<8x4x2x8xf32>
tfm.kv_cache @pv : tensor<8x4x2x8xf32>
func.func @paged(%q: tensor<2x1x4x8xf32>, %k: tensor<2x1x2x8xf32>, %positions: tensor<2x1xi32>, %table: tensor<2x3xi32>) -> tensor<2x1x4x8xf32> {
  tfm.cache_write @pk, %k, %positions block_table %table : tensor<2x1x2x8xf32>, tensor<2x1xi32>, tensor<2x3xi32>
  tfm.cache_write @pv, %k, %positions block_table %table : tensor<2x1x2x8xf32>, tensor<2x1xi32>, tensor<2x3xi32>
  %a = tfm.cached_attention %q, @pk, @pv, %positions block_table %table causal scale 0.125 : tensor<2x1x4x8xf32>, tensor<2x1xi32>, tensor<2x3xi32> -> tensor<2x1x4x8xf32>
  return %a : tensor<2x1x4x8xf32>
}

// RUN: strata-opt %s --strata-tfm-derive-inference="functions=decode cache-length=5" | FileCheck %s --check-prefix=FLAT
// RUN: not strata-opt %s --strata-tfm-derive-inference="functions=prefill cache-length=5" 2>&1 | FileCheck %s --check-prefix=MISSING

// MISSING: error: no function @prefill to derive inference from

// Flattened code (no tfm.layer): the layer index comes from the location.
// The options choose the functions and the cache length.

// FLAT: module attributes {tfm.phase = "inference"} {
// FLAT: tfm.kv_cache @layers.3.attention.key_cache : tensor<1x5x2x4xf32>
// FLAT-NEXT: tfm.kv_cache @layers.3.attention.value_cache : tensor<1x5x2x4xf32>
// FLAT-LABEL: func.func @other(
// FLAT: tfm.attention
// FLAT-LABEL: func.func @decode(
// FLAT-SAME: %[[Q:[^:]*]]: tensor<1x1x2x4xf32>, %[[K:[^:]*]]: tensor<1x1x2x4xf32>, %[[V:[^:]*]]: tensor<1x1x2x4xf32>, %[[P:[^:]*]]: tensor<1x1xi32> {tfm.name = "positions"}) -> tensor<1x1x2x4xf32>
// FLAT-NEXT: tfm.cache_write @layers.3.attention.key_cache, %[[K]], %[[P]]
// FLAT-NEXT: tfm.cache_write @layers.3.attention.value_cache, %[[V]], %[[P]]
// FLAT-NEXT: %[[A:.*]] = tfm.cached_attention %[[Q]], @layers.3.attention.key_cache, @layers.3.attention.value_cache, %[[P]] causal
// FLAT-NEXT: return %[[A]]
module {
  func.func @other(%q: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> {
    %a = tfm.attention %q, %q, %q causal scale 0.5 : tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32> -> tensor<1x1x2x4xf32>
    return %a : tensor<1x1x2x4xf32>
  }
  func.func @decode(%q: tensor<1x1x2x4xf32>, %k: tensor<1x1x2x4xf32>, %v: tensor<1x1x2x4xf32>, %positions: tensor<1x1xi32> {tfm.name = "positions"}) -> tensor<1x1x2x4xf32> {
    %a = tfm.attention %q, %k, %v causal scale 0.5 : tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32> -> tensor<1x1x2x4xf32> loc("layers.3.attention.core")
    return %a : tensor<1x1x2x4xf32>
  }
}


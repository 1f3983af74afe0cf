// RUN: strata-opt %s -split-input-file -verify-diagnostics

// The optional lse result of tfm.attention: [batch, heads, query length],
// f32 (f64 for f64 operands).

func.func @lse_transposed(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected lse of shape 2x4x16 [batch, heads, query length], got 2x16x4}}
  %0, %1 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<2x16x4x16xf32>, tensor<2x16x4xf32>
  return
}

// -----

// The lse has the query heads (12), not the key/value groups (4).

func.func @lse_groups(%q: tensor<2x16x12x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected lse of shape 2x12x16 [batch, heads, query length], got 2x4x16}}
  %0, %1 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x12x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<2x16x12x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

// Decoding: the lse has the query length (1), not the key length (128).

func.func @lse_key_length(%q: tensor<2x1x4x16xf32>, %k: tensor<2x128x4x16xf32>, %v: tensor<2x128x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected lse of shape 2x4x1 [batch, heads, query length], got 2x4x128}}
  %0, %1 = tfm.attention %q, %k, %v causal scale 0.25 : tensor<2x1x4x16xf32>, tensor<2x128x4x16xf32>, tensor<2x128x4x16xf32> -> tensor<2x1x4x16xf32>, tensor<2x4x128xf32>
  return
}

// -----

// A rank-4 lse (one value per head_dim entry) is wrong.

func.func @lse_rank(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected lse of shape 2x4x16 [batch, heads, query length], got 2x4x16x16}}
  %0, %1 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<2x16x4x16xf32>, tensor<2x4x16x16xf32>
  return
}

// -----

// Dynamic operand dimensions are printed as `?`.

func.func @lse_dynamic(%q: tensor<?x?x4x16xf32>, %k: tensor<?x?x4x16xf32>, %v: tensor<?x?x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected lse of shape ?x4x? [batch, heads, query length], got ?x8x?}}
  %0, %1 = tfm.attention %q, %k, %v scale 0.25 : tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32> -> tensor<?x?x4x16xf32>, tensor<?x8x?xf32>
  return
}

// -----

// bf16 operands give an f32 lse ...

func.func @f64_lse_for_bf16(%q: tensor<2x16x4x16xbf16>, %k: tensor<2x16x4x16xbf16>, %v: tensor<2x16x4x16xbf16>) {
  // expected-error @+1 {{'tfm.attention' op expected lse of element type 'f32', got 'f64'}}
  %0, %1 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x4x16xbf16>, tensor<2x16x4x16xbf16>, tensor<2x16x4x16xbf16> -> tensor<2x16x4x16xbf16>, tensor<2x4x16xf64>
  return
}

// -----

// ... as do f32 operands ...

func.func @f64_lse_for_f32(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected lse of element type 'f32', got 'f64'}}
  %0, %1 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<2x16x4x16xf32>, tensor<2x4x16xf64>
  return
}

// -----

// ... and f64 operands an f64 lse.

func.func @f32_lse_for_f64(%q: tensor<2x16x4x16xf64>, %k: tensor<2x16x4x16xf64>, %v: tensor<2x16x4x16xf64>) {
  // expected-error @+1 {{'tfm.attention' op expected lse of element type 'f64', got 'f32'}}
  %0, %1 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x4x16xf64>, tensor<2x16x4x16xf64>, tensor<2x16x4x16xf64> -> tensor<2x16x4x16xf64>, tensor<2x4x16xf32>
  return
}

// -----

func.func @bf16_lse(%q: tensor<2x16x4x16xbf16>, %k: tensor<2x16x4x16xbf16>, %v: tensor<2x16x4x16xbf16>) {
  // expected-error @+1 {{'tfm.attention' op result #1 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<2x4x16xbf16>'}}
  %0, %1 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x4x16xbf16>, tensor<2x16x4x16xbf16>, tensor<2x16x4x16xbf16> -> tensor<2x16x4x16xbf16>, tensor<2x4x16xbf16>
  return
}

// RUN: strata-opt %s -split-input-file -verify-diagnostics

// The SameFloatElementType trait: every floating-point operand and result of
// an op has one element type (casts are explicit). Integer operands (ids,
// positions) are not compared.

func.func @matmul_weight(%x: tensor<4x64xf32>, %w: tensor<32x64xbf16>) {
  // expected-error @+1 {{'tfm.matmul' op expected every floating-point operand and result to have element type 'f32' (as the first operand), got 'bf16' for operand #1}}
  %0 = tfm.matmul %x, %w : tensor<4x64xf32>, tensor<32x64xbf16> -> tensor<4x32xf32>
  return
}

// -----

func.func @matmul_result(%x: tensor<4x64xbf16>, %w: tensor<32x64xbf16>) {
  // expected-error @+1 {{'tfm.matmul' op expected every floating-point operand and result to have element type 'bf16' (as the first operand), got 'f32' for result #0}}
  %0 = tfm.matmul %x, %w : tensor<4x64xbf16>, tensor<32x64xbf16> -> tensor<4x32xf32>
  return
}

// -----

// The i32 ids (operand #1) are skipped: the mismatch is the result.

func.func @embedding_result(%table: tensor<128x64xf32>, %ids: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.embedding' op expected every floating-point operand and result to have element type 'f32' (as the first operand), got 'f16' for result #0}}
  %0 = tfm.embedding %table[%ids] : tensor<128x64xf32>, tensor<4x16xi32> -> tensor<4x16x64xf16>
  return
}

// -----

func.func @bias_add_bias(%x: tensor<4x64xf16>, %b: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.bias_add' op expected every floating-point operand and result to have element type 'f16' (as the first operand), got 'f32' for operand #1}}
  %0 = tfm.bias_add %x, %b : tensor<4x64xf16>, tensor<64xf32>
  return
}

// -----

func.func @split_heads_result(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.split_heads' op expected every floating-point operand and result to have element type 'f32' (as the first operand), got 'f64' for result #0}}
  %0 = tfm.split_heads %x : tensor<4x64xf32> -> tensor<4x4x16xf64>
  return
}

// -----

func.func @merge_heads_result(%a: tensor<4x4x16xbf16>) {
  // expected-error @+1 {{'tfm.merge_heads' op expected every floating-point operand and result to have element type 'bf16' (as the first operand), got 'f32' for result #0}}
  %0 = tfm.merge_heads %a : tensor<4x4x16xbf16> -> tensor<4x64xf32>
  return
}

// -----

// A bf16 model with an f32 norm weight needs an explicit cast.

func.func @layer_norm_scale(%x: tensor<4x64xbf16>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op expected every floating-point operand and result to have element type 'bf16' (as the first operand), got 'f32' for operand #1}}
  %0 = tfm.layer_norm %x, %g epsilon 1.0e-05 : tensor<4x64xbf16>, tensor<64xf32>
  return
}

// -----

// The optional bias is checked too.

func.func @layer_norm_bias(%x: tensor<4x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf16>) {
  // expected-error @+1 {{'tfm.layer_norm' op expected every floating-point operand and result to have element type 'f32' (as the first operand), got 'f16' for operand #2}}
  %0 = tfm.layer_norm %x, %g, %b epsilon 1.0e-05 : tensor<4x64xf32>, tensor<64xf32>, tensor<64xf16>
  return
}

// -----

func.func @rms_norm_scale(%x: tensor<4x64xf16>, %g: tensor<64xbf16>) {
  // expected-error @+1 {{'tfm.rms_norm' op expected every floating-point operand and result to have element type 'f16' (as the first operand), got 'bf16' for operand #1}}
  %0 = tfm.rms_norm %x, %g epsilon 1.0e-05 : tensor<4x64xf16>, tensor<64xbf16>
  return
}

// -----

func.func @attention_key(%q: tensor<2x16x4x16xbf16>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xbf16>) {
  // expected-error @+1 {{'tfm.attention' op expected key to have element type 'bf16' (as query), got 'f32'}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x4x16xbf16>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xbf16> -> tensor<2x16x4x16xbf16>
  return
}

// -----

func.func @attention_value(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf64>) {
  // expected-error @+1 {{'tfm.attention' op expected value to have element type 'f32' (as query), got 'f64'}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf64> -> tensor<2x16x4x16xf32>
  return
}

// -----

func.func @attention_result(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected result to have element type 'f32' (as query), got 'bf16'}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<2x16x4x16xbf16>
  return
}

// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @scales_not_per_output(%x: tensor<4x16xf32>, %w: tensor<8x16xi8>, %s: tensor<16xf32>) {
  // expected-error @+1 {{'tfm.quantized_matmul' op expected scales of shape 8 (one per output channel of the weight), got 16}}
  %0 = tfm.quantized_matmul %x, %w scales %s : tensor<4x16xf32>, tensor<8x16xi8>, tensor<16xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @result_type_differs(%x: tensor<4x16xbf16>, %w: tensor<8x16xi8>, %s: tensor<8xf32>) {
  // expected-error @+1 {{'tfm.quantized_matmul' op expected the result's element type 'bf16' (the input's), got 'f32'}}
  %0 = tfm.quantized_matmul %x, %w scales %s : tensor<4x16xbf16>, tensor<8x16xi8>, tensor<8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @float_weight(%x: tensor<4x16xf32>, %w: tensor<8x16xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{'tfm.quantized_matmul' op operand #1 must be ranked tensor of 8-bit signless integer values}}
  %0 = tfm.quantized_matmul %x, %w scales %s : tensor<4x16xf32>, tensor<8x16xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @contracted_mismatch(%x: tensor<4x15xf32>, %w: tensor<8x16xi8>, %s: tensor<8xf32>) {
  // expected-error @+1 {{'tfm.quantized_matmul' op expected the input's contracting dimensions 15 to equal the weight's trailing dimensions 16}}
  %0 = tfm.quantized_matmul %x, %w scales %s : tensor<4x15xf32>, tensor<8x16xi8>, tensor<8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @embedding_scales_per_row(%t: tensor<6x8xi8>, %ids: tensor<3xi32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{'tfm.quantized_embedding' op expected scales of shape 6 (one per row of the table), got 8}}
  %y = tfm.quantized_embedding %t[%ids] scales %s : tensor<6x8xi8>, tensor<3xi32>, tensor<8xf32> -> tensor<3x8xf32>
  return
}

// -----

// expected-error @+1 {{'tfm.parameter' op expected scales for the i8 parameter @w}}
tfm.parameter @w : tensor<8x16xi8> init <normal, std = 2.000000e-02>

// -----

tfm.parameter @s : tensor<8xf32> init <ones>
// expected-error @+1 {{'tfm.parameter' op expected scales only on an i8 parameter, got them on @w}}
tfm.parameter @w : tensor<8x16xf32> init <normal, std = 2.000000e-02> scales @s

// -----

tfm.parameter @s : tensor<8xf32> init <ones>
// expected-error @+1 {{'tfm.parameter' op expected the i8 parameter @w not to be trainable (weight-only quantization is for inference)}}
tfm.parameter @w : tensor<8x16xi8> init <normal, std = 2.000000e-02> trainable scales @s

// -----

// expected-error @+1 {{'tfm.parameter' op scales @missing of @w do not name a tfm.parameter}}
tfm.parameter @w : tensor<8x16xi8> init <normal, std = 2.000000e-02> scales @missing

// -----

tfm.parameter @s : tensor<16xf32> init <ones>
// expected-error @+1 {{'tfm.parameter' op expected scales @s of @w to be f32 of the weight's leading dimensions (one per output channel) of 'tensor<8x16xi8>', got 'tensor<16xf32>'}}
tfm.parameter @w : tensor<8x16xi8> init <normal, std = 2.000000e-02> scales @s

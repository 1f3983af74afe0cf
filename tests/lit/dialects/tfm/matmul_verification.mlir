// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @contracting_zero(%x: tensor<4x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tfm.matmul' op attribute 'contracting_dims' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 1}}
  %0 = tfm.matmul %x, %w contracting 0 : tensor<4x64xf32>, tensor<32x64xf32> -> tensor<4x32xf32>
  return
}

// -----

func.func @contracting_negative(%x: tensor<4x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tfm.matmul' op attribute 'contracting_dims' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 1}}
  %0 = tfm.matmul %x, %w contracting -1 : tensor<4x64xf32>, tensor<32x64xf32> -> tensor<4x32xf32>
  return
}

// -----

func.func @contracting_exceeds_input_rank(%x: tensor<4x64xf32>, %w: tensor<32x4x4x64xf32>) {
  // expected-error @+1 {{'tfm.matmul' op expected at most 2 contracting dimensions (the input's rank), got 3}}
  %0 = tfm.matmul %x, %w contracting 3 : tensor<4x64xf32>, tensor<32x4x4x64xf32> -> tensor<32xf32>
  return
}

// -----

func.func @scalar_input(%x: tensor<f32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tfm.matmul' op expected at most 0 contracting dimensions (the input's rank), got 1}}
  %0 = tfm.matmul %x, %w : tensor<f32>, tensor<32x64xf32> -> tensor<32xf32>
  return
}

// -----

// The weight needs at least one output dimension besides the contracted one.

func.func @weight_without_outputs(%x: tensor<4x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.matmul' op expected a weight of rank greater than 1 (contracting dimensions plus at least one output dimension), got rank 1}}
  %0 = tfm.matmul %x, %w : tensor<4x64xf32>, tensor<64xf32> -> tensor<4xf32>
  return
}

// -----

func.func @weight_rank_equals_contracting(%x: tensor<4x4x16xf32>, %w: tensor<4x16xf32>) {
  // expected-error @+1 {{'tfm.matmul' op expected a weight of rank greater than 2 (contracting dimensions plus at least one output dimension), got rank 2}}
  %0 = tfm.matmul %x, %w contracting 2 : tensor<4x4x16xf32>, tensor<4x16xf32> -> tensor<4xf32>
  return
}

// -----

func.func @contracting_mismatch(%x: tensor<4x16x64xf32>, %w: tensor<32x48xf32>) {
  // expected-error @+1 {{'tfm.matmul' op expected the input's contracting dimensions 64 to equal the weight's trailing dimensions 48}}
  %0 = tfm.matmul %x, %w : tensor<4x16x64xf32>, tensor<32x48xf32> -> tensor<4x16x32xf32>
  return
}

// -----

// With two contracting dimensions, the outer one must agree too.

func.func @contracting_two_mismatch(%a: tensor<4x16x4x16xf32>, %w: tensor<64x8x16xf32>) {
  // expected-error @+1 {{'tfm.matmul' op expected the input's contracting dimensions 4x16 to equal the weight's trailing dimensions 8x16}}
  %0 = tfm.matmul %a, %w contracting 2 : tensor<4x16x4x16xf32>, tensor<64x8x16xf32> -> tensor<4x16x64xf32>
  return
}

// -----

func.func @result_shape(%x: tensor<4x16x64xf32>, %w: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'tfm.matmul' op expected result shape 4x16x4x16 (input 4x16 by weight outputs 4x16), got 4x16x64}}
  %0 = tfm.matmul %x, %w : tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<4x16x64xf32>
  return
}

// -----

func.func @result_shape_contracting_two(%a: tensor<4x16x4x16xf32>, %w: tensor<64x4x16xf32>) {
  // expected-error @+1 {{'tfm.matmul' op expected result shape 4x16x64 (input 4x16 by weight outputs 64), got 4x16x4x64}}
  %0 = tfm.matmul %a, %w contracting 2 : tensor<4x16x4x16xf32>, tensor<64x4x16xf32> -> tensor<4x16x4x64xf32>
  return
}

// -----

func.func @integer_input(%x: tensor<4x64xi32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tfm.matmul' op operand #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<4x64xi32>'}}
  %0 = tfm.matmul %x, %w : tensor<4x64xi32>, tensor<32x64xf32> -> tensor<4x32xf32>
  return
}

// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @outputs_zero(%dy: tensor<4x8x32xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_input' op attribute 'output_dims' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 1}}
  %0 = tfm.matmul_grad_input %dy, %w outputs 0 : tensor<4x8x32xf32>, tensor<32x64xf32> -> tensor<4x8x64xf32>
  return
}

// -----

func.func @outputs_negative(%dy: tensor<4x8x32xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_input' op attribute 'output_dims' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 1}}
  %0 = tfm.matmul_grad_input %dy, %w outputs -1 : tensor<4x8x32xf32>, tensor<32x64xf32> -> tensor<4x8x64xf32>
  return
}

// -----

// The weight needs at least one contracting dimension besides its outputs.

func.func @outputs_equal_weight_rank(%dy: tensor<4x8x4x16xf32>, %w: tensor<4x16xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_input' op expected 2 output dimensions to be fewer than the weight's rank 2 and at most the gradient's rank 4}}
  %0 = tfm.matmul_grad_input %dy, %w outputs 2 : tensor<4x8x4x16xf32>, tensor<4x16xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @outputs_exceed_gradient_rank(%dy: tensor<16xf32>, %w: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_input' op expected 2 output dimensions to be fewer than the weight's rank 3 and at most the gradient's rank 1}}
  %0 = tfm.matmul_grad_input %dy, %w outputs 2 : tensor<16xf32>, tensor<4x16x64xf32> -> tensor<64xf32>
  return
}

// -----

func.func @output_mismatch(%dy: tensor<4x8x32xf32>, %w: tensor<48x64xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_input' op expected the gradient's trailing dimensions 32 to equal the weight's output dimensions 48}}
  %0 = tfm.matmul_grad_input %dy, %w outputs 1 : tensor<4x8x32xf32>, tensor<48x64xf32> -> tensor<4x8x64xf32>
  return
}

// -----

// With two output dimensions, the outer one must agree too.

func.func @output_two_mismatch(%dy: tensor<4x8x4x16xf32>, %w: tensor<8x16x64xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_input' op expected the gradient's trailing dimensions 4x16 to equal the weight's output dimensions 8x16}}
  %0 = tfm.matmul_grad_input %dy, %w outputs 2 : tensor<4x8x4x16xf32>, tensor<8x16x64xf32> -> tensor<4x8x64xf32>
  return
}

// -----

// The input gradient has the input's shape: the gradient's leading
// dimensions (4x8) followed by the weight's contracting ones (64).

func.func @result_shape(%dy: tensor<4x8x32xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_input' op expected input gradient of shape 4x8x64, got 4x8x32}}
  %0 = tfm.matmul_grad_input %dy, %w outputs 1 : tensor<4x8x32xf32>, tensor<32x64xf32> -> tensor<4x8x32xf32>
  return
}

// -----

func.func @result_shape_outputs_two(%dy: tensor<4x8x4x16xf32>, %w: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_input' op expected input gradient of shape 4x8x64, got 4x8x4x64}}
  %0 = tfm.matmul_grad_input %dy, %w outputs 2 : tensor<4x8x4x16xf32>, tensor<4x16x64xf32> -> tensor<4x8x4x64xf32>
  return
}

// -----

func.func @weight_element_type(%dy: tensor<4x8x32xf32>, %w: tensor<32x64xbf16>) {
  // expected-error @+1 {{'tfm.matmul_grad_input' op expected every floating-point operand and result to have element type 'f32' (as the first operand), got 'bf16' for operand #1}}
  %0 = tfm.matmul_grad_input %dy, %w outputs 1 : tensor<4x8x32xf32>, tensor<32x64xbf16> -> tensor<4x8x64xf32>
  return
}

// -----

func.func @integer_gradient(%dy: tensor<4x8x32xi32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_input' op operand #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<4x8x32xi32>'}}
  %0 = tfm.matmul_grad_input %dy, %w outputs 1 : tensor<4x8x32xi32>, tensor<32x64xf32> -> tensor<4x8x64xf32>
  return
}

// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @batch_zero(%dy: tensor<4x8x32xf32>, %x: tensor<4x8x64xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_weight' op attribute 'batch_dims' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 1}}
  %0 = tfm.matmul_grad_weight %dy, %x batch 0 : tensor<4x8x32xf32>, tensor<4x8x64xf32> -> tensor<32x64xf32>
  return
}

// -----

func.func @batch_negative(%dy: tensor<4x8x32xf32>, %x: tensor<4x8x64xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_weight' op attribute 'batch_dims' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 1}}
  %0 = tfm.matmul_grad_weight %dy, %x batch -2 : tensor<4x8x32xf32>, tensor<4x8x64xf32> -> tensor<32x64xf32>
  return
}

// -----

// The gradient needs at least one output dimension after the batch ones.

func.func @batch_equal_gradient_rank(%dy: tensor<4x8xf32>, %x: tensor<4x8x64xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_weight' op expected 2 batch dimensions to be fewer than the ranks of the gradient (2) and the input (3)}}
  %0 = tfm.matmul_grad_weight %dy, %x batch 2 : tensor<4x8xf32>, tensor<4x8x64xf32> -> tensor<64xf32>
  return
}

// -----

// The input needs at least one contracting dimension after the batch ones.

func.func @batch_equal_input_rank(%dy: tensor<4x8x32xf32>, %x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_weight' op expected 2 batch dimensions to be fewer than the ranks of the gradient (3) and the input (2)}}
  %0 = tfm.matmul_grad_weight %dy, %x batch 2 : tensor<4x8x32xf32>, tensor<4x8xf32> -> tensor<32xf32>
  return
}

// -----

func.func @batch_mismatch(%dy: tensor<4x8x32xf32>, %x: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_weight' op expected the gradient's batch dimensions 4x8 to equal the input's 4x16}}
  %0 = tfm.matmul_grad_weight %dy, %x batch 2 : tensor<4x8x32xf32>, tensor<4x16x64xf32> -> tensor<32x64xf32>
  return
}

// -----

// The weight gradient has the weight's shape: the gradient's trailing
// (output) dimensions followed by the input's trailing (contracting) ones.

func.func @result_shape(%dy: tensor<4x8x32xf32>, %x: tensor<4x8x64xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_weight' op expected weight gradient of shape 32x64, got 64x32}}
  %0 = tfm.matmul_grad_weight %dy, %x batch 2 : tensor<4x8x32xf32>, tensor<4x8x64xf32> -> tensor<64x32xf32>
  return
}

// -----

// With one batch dimension, the second gradient dimension is an output one.

func.func @result_shape_batch_one(%dy: tensor<4x8x32xf32>, %x: tensor<4x8x64xf32>) {
  // expected-error @+1 {{'tfm.matmul_grad_weight' op expected weight gradient of shape 8x32x8x64, got 32x64}}
  %0 = tfm.matmul_grad_weight %dy, %x batch 1 : tensor<4x8x32xf32>, tensor<4x8x64xf32> -> tensor<32x64xf32>
  return
}

// -----

func.func @result_element_type(%dy: tensor<4x8x32xbf16>, %x: tensor<4x8x64xbf16>) {
  // expected-error @+1 {{'tfm.matmul_grad_weight' op expected every floating-point operand and result to have element type 'bf16' (as the first operand), got 'f32' for result #0}}
  %0 = tfm.matmul_grad_weight %dy, %x batch 2 : tensor<4x8x32xbf16>, tensor<4x8x64xbf16> -> tensor<32x64xf32>
  return
}

// -----

func.func @integer_input(%dy: tensor<4x8x32xf32>, %x: tensor<4x8x64xi64>) {
  // expected-error @+1 {{'tfm.matmul_grad_weight' op operand #1 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<4x8x64xi64>'}}
  %0 = tfm.matmul_grad_weight %dy, %x batch 2 : tensor<4x8x32xf32>, tensor<4x8x64xi64> -> tensor<32x64xf32>
  return
}

// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @table_rank_one(%dy: tensor<4x16x64xf32>, %ids: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.embedding_grad' op expected a table gradient of rank 2, got 64}}
  %0 = tfm.embedding_grad %dy[%ids] : tensor<4x16x64xf32>, tensor<4x16xi32> -> tensor<64xf32>
  return
}

// -----

func.func @table_rank_three(%dy: tensor<4x16x64xf32>, %ids: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.embedding_grad' op expected a table gradient of rank 2, got 2x128x64}}
  %0 = tfm.embedding_grad %dy[%ids] : tensor<4x16x64xf32>, tensor<4x16xi32> -> tensor<2x128x64xf32>
  return
}

// -----

func.func @columns_mismatch(%dy: tensor<4x16x64xf32>, %ids: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.embedding_grad' op expected a gradient of shape 4x16x32 (the ids shape followed by the table's 32 columns), got 4x16x64}}
  %0 = tfm.embedding_grad %dy[%ids] : tensor<4x16x64xf32>, tensor<4x16xi32> -> tensor<128x32xf32>
  return
}

// -----

func.func @ids_shape_mismatch(%dy: tensor<4x16x64xf32>, %ids: tensor<4x8xi32>) {
  // expected-error @+1 {{'tfm.embedding_grad' op expected a gradient of shape 4x8x64 (the ids shape followed by the table's 64 columns), got 4x16x64}}
  %0 = tfm.embedding_grad %dy[%ids] : tensor<4x16x64xf32>, tensor<4x8xi32> -> tensor<128x64xf32>
  return
}

// -----

// A dynamic column count is printed as `?`.

func.func @dynamic_columns(%dy: tensor<4x16x64xf32>, %ids: tensor<4xi32>) {
  // expected-error @+1 {{'tfm.embedding_grad' op expected a gradient of shape 4x? (the ids shape followed by the table's ? columns), got 4x16x64}}
  %0 = tfm.embedding_grad %dy[%ids] : tensor<4x16x64xf32>, tensor<4xi32> -> tensor<128x?xf32>
  return
}

// -----

func.func @table_element_type(%dy: tensor<4x16x64xf32>, %ids: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.embedding_grad' op expected every floating-point operand and result to have element type 'f32' (as the first operand), got 'f16' for result #0}}
  %0 = tfm.embedding_grad %dy[%ids] : tensor<4x16x64xf32>, tensor<4x16xi32> -> tensor<128x64xf16>
  return
}

// -----

func.func @float_ids(%dy: tensor<4x16x64xf32>, %ids: tensor<4x16xf32>) {
  // expected-error @+1 {{'tfm.embedding_grad' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4x16xf32>'}}
  %0 = tfm.embedding_grad %dy[%ids] : tensor<4x16x64xf32>, tensor<4x16xf32> -> tensor<128x64xf32>
  return
}

// -----

func.func @integer_gradient(%dy: tensor<4x16x64xi32>, %ids: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.embedding_grad' op operand #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<4x16x64xi32>'}}
  %0 = tfm.embedding_grad %dy[%ids] : tensor<4x16x64xi32>, tensor<4x16xi32> -> tensor<128x64xf32>
  return
}

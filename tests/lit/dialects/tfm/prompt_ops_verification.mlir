// RUN: strata-opt %s -split-input-file -verify-diagnostics
// The verifiers of the prompt-learning ops (TfmPromptOps.td).

func.func @insert_columns(%x: tensor<4x64x768xf32>, %t: tensor<8x512xf32>, %vt: tensor<4x64xi32>) {
  // expected-error @+1 {{'tfm.insert_virtual_tokens' op expected an input of shape 4x64x512 (the virtual tokens' shape followed by 512 columns), got 4x64x768}}
  %y = tfm.insert_virtual_tokens %x, %t[%vt] offset 0 : tensor<4x64x768xf32>, tensor<8x512xf32>, tensor<4x64xi32>
  return
}

// -----

func.func @insert_table_rank(%x: tensor<4x64x768xf32>, %t: tensor<768xf32>, %vt: tensor<4x64xi32>) {
  // expected-error @+1 {{'tfm.insert_virtual_tokens' op expected a table of rank 2, got 768}}
  %y = tfm.insert_virtual_tokens %x, %t[%vt] offset 0 : tensor<4x64x768xf32>, tensor<768xf32>, tensor<4x64xi32>
  return
}

// -----

func.func @insert_offset(%x: tensor<4x64x768xf32>, %t: tensor<8x768xf32>, %vt: tensor<4x64xi32>) {
  // expected-error @+1 {{'tfm.insert_virtual_tokens' op expected a non-negative offset, got -3}}
  %y = tfm.insert_virtual_tokens %x, %t[%vt] offset -3 : tensor<4x64x768xf32>, tensor<8x768xf32>, tensor<4x64xi32>
  return
}

// -----

func.func @mask_positions(%dy: tensor<4x64x768xf32>, %vt: tensor<4x32xi32>) {
  // expected-error @+1 {{'tfm.mask_virtual_tokens' op expected a gradient of shape 4x32x768 (the virtual tokens' shape followed by 768 columns), got 4x64x768}}
  %dx = tfm.mask_virtual_tokens %dy[%vt] offset 0 rows 8 : tensor<4x64x768xf32>, tensor<4x32xi32>
  return
}

// -----

func.func @mask_rows(%dy: tensor<4x64x768xf32>, %vt: tensor<4x64xi32>) {
  // expected-error @+1 {{'tfm.mask_virtual_tokens' op expected at least one row, got 0}}
  %dx = tfm.mask_virtual_tokens %dy[%vt] offset 0 rows 0 : tensor<4x64x768xf32>, tensor<4x64xi32>
  return
}

// -----

func.func @table_grad_rank(%dy: tensor<4x64x768xf32>, %vt: tensor<4x64xi32>) {
  // expected-error @+1 {{'tfm.virtual_token_table_grad' op expected a table gradient of rank 2, got 768}}
  %dt = tfm.virtual_token_table_grad %dy[%vt] offset 0 : tensor<4x64x768xf32>, tensor<4x64xi32> -> tensor<768xf32>
  return
}

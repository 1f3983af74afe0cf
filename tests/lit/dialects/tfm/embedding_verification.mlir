// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @table_rank_1(%table: tensor<128xf32>, %ids: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.embedding' op expected a table of rank 2 [rows, columns], got 'tensor<128xf32>'}}
  %0 = tfm.embedding %table[%ids] : tensor<128xf32>, tensor<4x16xi32> -> tensor<4x16xf32>
  return
}

// -----

func.func @table_rank_3(%table: tensor<128x4x16xf32>, %ids: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.embedding' op expected a table of rank 2 [rows, columns], got 'tensor<128x4x16xf32>'}}
  %0 = tfm.embedding %table[%ids] : tensor<128x4x16xf32>, tensor<4x16xi32> -> tensor<4x16x4x16xf32>
  return
}

// -----

func.func @result_columns(%table: tensor<128x64xf32>, %ids: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.embedding' op expected result shape 4x16x64 (the ids shape followed by 64 table columns), got 4x16x32}}
  %0 = tfm.embedding %table[%ids] : tensor<128x64xf32>, tensor<4x16xi32> -> tensor<4x16x32xf32>
  return
}

// -----

func.func @result_ids_shape(%table: tensor<128x64xf32>, %ids: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.embedding' op expected result shape 4x16x64 (the ids shape followed by 64 table columns), got 4x8x64}}
  %0 = tfm.embedding %table[%ids] : tensor<128x64xf32>, tensor<4x16xi32> -> tensor<4x8x64xf32>
  return
}

// -----

func.func @result_rank(%table: tensor<128x64xf32>, %ids: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.embedding' op expected result shape 4x16x64 (the ids shape followed by 64 table columns), got 64x64}}
  %0 = tfm.embedding %table[%ids] : tensor<128x64xf32>, tensor<4x16xi32> -> tensor<64x64xf32>
  return
}

// -----

func.func @float_ids(%table: tensor<128x64xf32>, %ids: tensor<4x16xf32>) {
  // expected-error @+1 {{'tfm.embedding' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4x16xf32>'}}
  %0 = tfm.embedding %table[%ids] : tensor<128x64xf32>, tensor<4x16xf32> -> tensor<4x16x64xf32>
  return
}

// -----

func.func @i16_ids(%table: tensor<128x64xf32>, %ids: tensor<4x16xi16>) {
  // expected-error @+1 {{'tfm.embedding' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4x16xi16>'}}
  %0 = tfm.embedding %table[%ids] : tensor<128x64xf32>, tensor<4x16xi16> -> tensor<4x16x64xf32>
  return
}

// -----

func.func @integer_table(%table: tensor<128x64xi32>, %ids: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.embedding' op operand #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<128x64xi32>'}}
  %0 = tfm.embedding %table[%ids] : tensor<128x64xi32>, tensor<4x16xi32> -> tensor<4x16x64xf32>
  return
}

// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @index_not_batch(%x: tensor<4x16x8xf32>, %i: tensor<3xi32>) -> tensor<4x1x8xf32> {
  // expected-error @+1 {{'tfm.take_positions' op expected an index of shape 4 [batch], got 3}}
  %y = tfm.take_positions %x, %i : tensor<4x16x8xf32>, tensor<3xi32> -> tensor<4x1x8xf32>
  return %y : tensor<4x1x8xf32>
}

// -----

func.func @result_keeps_the_sequence(%x: tensor<4x16x8xf32>, %i: tensor<4xi32>) -> tensor<4x16x8xf32> {
  // expected-error @+1 {{'tfm.take_positions' op expected a result of shape 4x1x8, got 4x16x8}}
  %y = tfm.take_positions %x, %i : tensor<4x16x8xf32>, tensor<4xi32> -> tensor<4x16x8xf32>
  return %y : tensor<4x16x8xf32>
}

// -----

func.func @rank_one(%x: tensor<4xf32>, %i: tensor<4xi32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tfm.take_positions' op expected an input of rank >= 2 [batch, sequence, ...], got 4}}
  %y = tfm.take_positions %x, %i : tensor<4xf32>, tensor<4xi32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

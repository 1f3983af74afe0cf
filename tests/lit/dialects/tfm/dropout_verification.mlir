// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @rate_one(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.dropout' op expected rate in [0, 1), got 1.000000e+00}}
  %0 = tfm.dropout %x rate 1.0 : tensor<4x64xf32>
  return
}

// -----

func.func @negative_rate(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.dropout' op expected rate in [0, 1), got -1.000000e-01}}
  %0 = tfm.dropout %x rate -0.1 : tensor<4x64xf32>
  return
}

// -----

func.func @nan_rate(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.dropout' op expected rate in [0, 1), got nan}}
  %0 = tfm.dropout %x rate 0x7FF8000000000000 : tensor<4x64xf32>
  return
}

// -----

func.func @result_type(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.dropout' op failed to verify that all of {input, result} have same type}}
  %0 = "tfm.dropout"(%x) <{rate = 1.0e-01 : f64}> : (tensor<4x64xf32>) -> tensor<4x64xbf16>
  return
}

// -----

func.func @integer_input(%x: tensor<4x64xi32>) {
  // expected-error @+1 {{'tfm.dropout' op operand #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<4x64xi32>'}}
  %0 = tfm.dropout %x rate 0.1 : tensor<4x64xi32>
  return
}

// -----

func.func @negative_stream(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.dropout' op attribute 'rng_stream' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %0 = tfm.dropout %x rate 0.1 stream -1 : tensor<4x64xf32>
  return
}

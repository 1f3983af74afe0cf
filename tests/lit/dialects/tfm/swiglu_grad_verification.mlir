// RUN: strata-opt %s -split-input-file -verify-diagnostics

// The custom form gives every operand and result the gate's type; the
// generic form can state others.

func.func @up_type(%gate: tensor<4x64xf32>, %up: tensor<4x32xf32>) {
  // expected-error @+1 {{'tfm.swiglu_grad' op failed to verify that all of {gate, up, result_grad, gate_grad, up_grad} have same type}}
  %0:2 = "tfm.swiglu_grad"(%gate, %up, %gate) : (tensor<4x64xf32>, tensor<4x32xf32>, tensor<4x64xf32>) -> (tensor<4x64xf32>, tensor<4x64xf32>)
  return
}

// -----

func.func @up_grad_element_type(%gate: tensor<4x64xbf16>) {
  // expected-error @+1 {{'tfm.swiglu_grad' op failed to verify that all of {gate, up, result_grad, gate_grad, up_grad} have same type}}
  %0:2 = "tfm.swiglu_grad"(%gate, %gate, %gate) : (tensor<4x64xbf16>, tensor<4x64xbf16>, tensor<4x64xbf16>) -> (tensor<4x64xbf16>, tensor<4x64xf32>)
  return
}

// -----

func.func @integer_gate(%gate: tensor<4x64xi32>) {
  // expected-error @+1 {{'tfm.swiglu_grad' op operand #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<4x64xi32>'}}
  %0:2 = tfm.swiglu_grad %gate, %gate, %gate : tensor<4x64xi32>
  return
}

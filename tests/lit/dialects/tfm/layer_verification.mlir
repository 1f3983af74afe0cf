// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @negative_index(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'tfm.layer' op attribute 'index' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %0 = tfm.layer -1 (%x) : (tensor<4x64xf32>) -> tensor<4x64xf32> {
  ^bb0(%h: tensor<4x64xf32>):
    tfm.yield %h : tensor<4x64xf32>
  }
  return %0 : tensor<4x64xf32>
}

// -----

func.func @unranked_input(%x: tensor<*xf32>) {
  // expected-error @+1 {{'tfm.layer' op operand #0 must be variadic of ranked tensor of any type values, but got 'tensor<*xf32>'}}
  tfm.layer 0 (%x) : (tensor<*xf32>) -> () {
  ^bb0(%h: tensor<*xf32>):
  }
  return
}

// -----

func.func @missing_block_argument(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.layer' op expected one block argument per input (1), got 0}}
  tfm.layer 0 (%x) : (tensor<4x64xf32>) -> () {
  }
  return
}

// -----

func.func @extra_block_argument(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.layer' op expected one block argument per input (1), got 2}}
  tfm.layer 0 (%x) : (tensor<4x64xf32>) -> () {
  ^bb0(%h: tensor<4x64xf32>, %p: tensor<4xi32>):
  }
  return
}

// -----

func.func @block_argument_type(%x: tensor<4x64xf32>, %p: tensor<4xi32>) {
  // expected-error @+1 {{'tfm.layer' op expected block argument #1 to have the type of input #1 'tensor<4xi32>', got 'tensor<4xi64>'}}
  tfm.layer 0 (%x, %p) : (tensor<4x64xf32>, tensor<4xi32>) -> () {
  ^bb0(%h: tensor<4x64xf32>, %q: tensor<4xi64>):
  }
  return
}

// -----

func.func @yield_too_few(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'tfm.layer' op expected tfm.yield of one value per result (1), got 0}}
  %0 = tfm.layer 0 (%x) : (tensor<4x64xf32>) -> tensor<4x64xf32> {
  ^bb0(%h: tensor<4x64xf32>):
    tfm.yield
  }
  return %0 : tensor<4x64xf32>
}

// -----

func.func @yield_too_many(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.layer' op expected tfm.yield of one value per result (0), got 1}}
  tfm.layer 0 (%x) : (tensor<4x64xf32>) -> () {
  ^bb0(%h: tensor<4x64xf32>):
    tfm.yield %h : tensor<4x64xf32>
  }
  return
}

// -----

func.func @yield_type(%x: tensor<4x64xf32>, %p: tensor<4xi32>) -> (tensor<4x64xf32>, tensor<4xi64>) {
  // expected-error @+1 {{'tfm.layer' op expected yielded value #1 to have result type 'tensor<4xi64>', got 'tensor<4xi32>'}}
  %0:2 = tfm.layer 0 (%x, %p) : (tensor<4x64xf32>, tensor<4xi32>) -> (tensor<4x64xf32>, tensor<4xi64>) {
  ^bb0(%h: tensor<4x64xf32>, %q: tensor<4xi32>):
    tfm.yield %h, %q : tensor<4x64xf32>, tensor<4xi32>
  }
  return %0#0, %0#1 : tensor<4x64xf32>, tensor<4xi64>
}

// -----

// The body is isolated from above: values come in as operands, parameters
// through tfm.param_ref.

func.func @captured_value(%x: tensor<4x64xf32>, %r: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-note @+1 {{required by region isolation constraints}}
  %0 = tfm.layer 0 (%x) : (tensor<4x64xf32>) -> tensor<4x64xf32> {
  ^bb0(%h: tensor<4x64xf32>):
    // expected-error @+1 {{'tfm.add' op using value defined outside the region}}
    %y = tfm.add %h, %r : tensor<4x64xf32>
    tfm.yield %y : tensor<4x64xf32>
  }
  return %0 : tensor<4x64xf32>
}

// -----

func.func @yield_outside_layer(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.yield' op expects parent op 'tfm.layer'}}
  tfm.yield %x : tensor<4x64xf32>
}

// RUN: strata-opt %s -split-input-file -verify-diagnostics

// Scalar logits have no vocabulary dimension; the check reports it through
// the labels' expected shape.

func.func @scalar_logits(%logits: tensor<f32>, %labels: tensor<i32>, %g: tensor<f32>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op expected logits of rank at least 1, got 'tensor<f32>'}}
  %0 = tfm.cross_entropy_grad mean %logits, %labels, %g : tensor<f32>, tensor<i32>, tensor<f32>
  return
}

// -----

func.func @labels_shape(%logits: tensor<4x16x128xf32>, %labels: tensor<4x8xi32>, %g: tensor<f32>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op expected labels of shape 4x16, got 4x8}}
  %0 = tfm.cross_entropy_grad mean %logits, %labels, %g : tensor<4x16x128xf32>, tensor<4x8xi32>, tensor<f32>
  return
}

// -----

// Labels shaped like the logits (with the vocabulary dimension) are wrong.

func.func @labels_rank(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16x128xi32>, %g: tensor<f32>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op expected labels of shape 4x16, got 4x16x128}}
  %0 = tfm.cross_entropy_grad mean %logits, %labels, %g : tensor<4x16x128xf32>, tensor<4x16x128xi32>, tensor<f32>
  return
}

// -----

func.func @mean_not_scalar(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16xi32>, %g: tensor<4x16xf32>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op expected a loss gradient of shape scalar for reduction mean, got 4x16}}
  %0 = tfm.cross_entropy_grad mean %logits, %labels, %g : tensor<4x16x128xf32>, tensor<4x16xi32>, tensor<4x16xf32>
  return
}

// -----

func.func @sum_not_scalar(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16xi32>, %g: tensor<1xf32>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op expected a loss gradient of shape scalar for reduction sum, got 1}}
  %0 = tfm.cross_entropy_grad sum %logits, %labels, %g : tensor<4x16x128xf32>, tensor<4x16xi32>, tensor<1xf32>
  return
}

// -----

func.func @none_scalar(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16xi32>, %g: tensor<f32>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op expected a loss gradient of shape 4x16 for reduction none, got scalar}}
  %0 = tfm.cross_entropy_grad none %logits, %labels, %g : tensor<4x16x128xf32>, tensor<4x16xi32>, tensor<f32>
  return
}

// -----

func.func @none_wrong_shape(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16xi32>, %g: tensor<16x4xf32>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op expected a loss gradient of shape 4x16 for reduction none, got 16x4}}
  %0 = tfm.cross_entropy_grad none %logits, %labels, %g : tensor<4x16x128xf32>, tensor<4x16xi32>, tensor<16x4xf32>
  return
}

// -----

// The loss gradient is f32 or f64, like the loss, whatever the logits' type.

func.func @bf16_loss_grad(%logits: tensor<4x16x128xbf16>, %labels: tensor<4x16xi32>, %g: tensor<bf16>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op operand #2 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<bf16>'}}
  %0 = tfm.cross_entropy_grad mean %logits, %labels, %g : tensor<4x16x128xbf16>, tensor<4x16xi32>, tensor<bf16>
  return
}

// -----

func.func @float_labels(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16xf32>, %g: tensor<f32>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4x16xf32>'}}
  %0 = tfm.cross_entropy_grad mean %logits, %labels, %g : tensor<4x16x128xf32>, tensor<4x16xf32>, tensor<f32>
  return
}

// -----

func.func @integer_logits(%logits: tensor<4x16x128xi32>, %labels: tensor<4x16xi32>, %g: tensor<f32>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op operand #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<4x16x128xi32>'}}
  %0 = tfm.cross_entropy_grad mean %logits, %labels, %g : tensor<4x16x128xi32>, tensor<4x16xi32>, tensor<f32>
  return
}

// -----

// The custom form takes the result's type from the logits; the generic form
// can state a different one.

func.func @logits_grad_type(%logits: tensor<4x16x128xbf16>, %labels: tensor<4x16xi32>, %g: tensor<f32>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op failed to verify that all of {logits, logits_grad} have same type}}
  %0 = "tfm.cross_entropy_grad"(%logits, %labels, %g) <{reduction = 1 : i32}> : (tensor<4x16x128xbf16>, tensor<4x16xi32>, tensor<f32>) -> tensor<4x16x128xf32>
  return
}

// -----

func.func @loss_grad_element_type(%logits: tensor<2x3x11xf32>, %labels: tensor<2x3xi32>, %dloss: tensor<f64>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op expected a loss gradient of element type 'f32' for 'f32' logits, got 'f64'}}
  %0 = tfm.cross_entropy_grad mean %logits, %labels, %dloss : tensor<2x3x11xf32>, tensor<2x3xi32>, tensor<f64>
  return
}

// -----

func.func @valid_vocab_past_the_logits(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16xi32>, %dloss: tensor<f32>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op expected valid_vocab at most the vocabulary of 128 logits, got 200}}
  %0 = tfm.cross_entropy_grad mean %logits, %labels, %dloss valid_vocab 200 : tensor<4x16x128xf32>, tensor<4x16xi32>, tensor<f32>
  return
}

// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @scalar_logits(%logits: tensor<f32>, %labels: tensor<i32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op expected logits of rank at least 1, got 'tensor<f32>'}}
  %0 = tfm.cross_entropy mean %logits, %labels : tensor<f32>, tensor<i32> -> tensor<f32>
  return
}

// -----

func.func @labels_shape(%logits: tensor<4x16x128xf32>, %labels: tensor<4x8xi32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op expected labels of shape 4x16 (the logits without the vocabulary dimension), got 4x8}}
  %0 = tfm.cross_entropy mean %logits, %labels : tensor<4x16x128xf32>, tensor<4x8xi32> -> tensor<f32>
  return
}

// -----

// Labels shaped like the logits (with the vocabulary dimension) are wrong.

func.func @labels_rank(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16x128xi32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op expected labels of shape 4x16 (the logits without the vocabulary dimension), got 4x16x128}}
  %0 = tfm.cross_entropy mean %logits, %labels : tensor<4x16x128xf32>, tensor<4x16x128xi32> -> tensor<f32>
  return
}

// -----

func.func @float_labels(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16xf32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4x16xf32>'}}
  %0 = tfm.cross_entropy mean %logits, %labels : tensor<4x16x128xf32>, tensor<4x16xf32> -> tensor<f32>
  return
}

// -----

// The loss is f32 for bf16, f16 and f32 logits ...

func.func @f64_loss_for_bf16_logits(%logits: tensor<4x16x128xbf16>, %labels: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op expected a loss of element type 'f32' for 'bf16' logits, got 'f64'}}
  %0 = tfm.cross_entropy mean %logits, %labels : tensor<4x16x128xbf16>, tensor<4x16xi32> -> tensor<f64>
  return
}

// -----

// ... and f64 for f64 logits.

func.func @f32_loss_for_f64_logits(%logits: tensor<4x16x128xf64>, %labels: tensor<4x16xi64>) {
  // expected-error @+1 {{'tfm.cross_entropy' op expected a loss of element type 'f64' for 'f64' logits, got 'f32'}}
  %0 = tfm.cross_entropy sum %logits, %labels : tensor<4x16x128xf64>, tensor<4x16xi64> -> tensor<f32>
  return
}

// -----

func.func @bf16_loss(%logits: tensor<4x16x128xbf16>, %labels: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op result #0 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<bf16>'}}
  %0 = tfm.cross_entropy mean %logits, %labels : tensor<4x16x128xbf16>, tensor<4x16xi32> -> tensor<bf16>
  return
}

// -----

func.func @mean_not_scalar(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op expected a loss of shape scalar for reduction mean, got 4x16}}
  %0 = tfm.cross_entropy mean %logits, %labels : tensor<4x16x128xf32>, tensor<4x16xi32> -> tensor<4x16xf32>
  return
}

// -----

func.func @sum_not_scalar(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op expected a loss of shape scalar for reduction sum, got 1}}
  %0 = tfm.cross_entropy sum %logits, %labels : tensor<4x16x128xf32>, tensor<4x16xi32> -> tensor<1xf32>
  return
}

// -----

func.func @none_scalar(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op expected a loss of shape 4x16 for reduction none, got scalar}}
  %0 = tfm.cross_entropy none %logits, %labels : tensor<4x16x128xf32>, tensor<4x16xi32> -> tensor<f32>
  return
}

// -----

func.func @none_wrong_shape(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op expected a loss of shape 4x16 for reduction none, got 16x4}}
  %0 = tfm.cross_entropy none %logits, %labels : tensor<4x16x128xf32>, tensor<4x16xi32> -> tensor<16x4xf32>
  return
}

// -----

func.func @valid_vocab_past_the_logits(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op expected valid_vocab at most the vocabulary of 128 logits, got 129}}
  %0 = tfm.cross_entropy mean %logits, %labels valid_vocab 129 : tensor<4x16x128xf32>, tensor<4x16xi32> -> tensor<f32>
  return
}

// -----

func.func @valid_vocab_zero(%logits: tensor<4x16x128xf32>, %labels: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op expected a positive valid_vocab, got 0}}
  %0 = tfm.cross_entropy mean %logits, %labels valid_vocab 0 : tensor<4x16x128xf32>, tensor<4x16xi32> -> tensor<f32>
  return
}

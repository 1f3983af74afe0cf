// RUN: strata-opt %s -split-input-file -verify-diagnostics
// The ops of partitioned programs (TfmParallelOps.td).

func.func @stats(%logits: tensor<2x8x106xf32>, %labels: tensor<2x8xi32>) -> tensor<2x8x3xf32> {
  %0 = tfm.vocab_parallel_stats %logits, %labels shard "tp" : tensor<2x8x106xf32>, tensor<2x8xi32> -> tensor<2x8x3xf32>
  return %0 : tensor<2x8x3xf32>
}

// -----

func.func @stats_wrong_width(%logits: tensor<2x8x106xf32>, %labels: tensor<2x8xi32>) {
  // expected-error @+1 {{'tfm.vocab_parallel_stats' op expected statistics of shape 2x8x3, got 2x8x4}}
  %0 = tfm.vocab_parallel_stats %logits, %labels shard "tp" : tensor<2x8x106xf32>, tensor<2x8xi32> -> tensor<2x8x4xf32>
  return
}

// -----

func.func @stats_labels(%logits: tensor<2x8x106xf32>, %labels: tensor<2x7xi32>) {
  // expected-error @+1 {{'tfm.vocab_parallel_stats' op expected labels of shape 2x8, got 2x7}}
  %0 = tfm.vocab_parallel_stats %logits, %labels shard "tp" : tensor<2x8x106xf32>, tensor<2x7xi32> -> tensor<2x7x3xf32>
  return
}

// -----

func.func @loss(%g: tensor<2x8x6xf32>, %labels: tensor<2x8xi32>) -> tensor<f32> {
  %loss, %lse = tfm.vocab_parallel_loss mean %g, %labels : tensor<2x8x6xf32>, tensor<2x8xi32> -> tensor<f32>, tensor<2x8xf32>
  return %loss : tensor<f32>
}

// -----

func.func @loss_not_triples(%g: tensor<2x8x5xf32>, %labels: tensor<2x8xi32>) {
  // expected-error @+1 {{'tfm.vocab_parallel_loss' op expected gathered statistics whose last dimension is a multiple of 3, got 2x8x5}}
  %loss, %lse = tfm.vocab_parallel_loss mean %g, %labels : tensor<2x8x5xf32>, tensor<2x8xi32> -> tensor<f32>, tensor<2x8xf32>
  return
}

// -----

func.func @loss_none_shape(%g: tensor<2x8x6xf32>, %labels: tensor<2x8xi32>) {
  // expected-error @+1 {{'tfm.vocab_parallel_loss' op expected a loss of shape 2x8 for reduction none, got scalar}}
  %loss, %lse = tfm.vocab_parallel_loss none %g, %labels : tensor<2x8x6xf32>, tensor<2x8xi32> -> tensor<f32>, tensor<2x8xf32>
  return
}

// -----

func.func @loss_labels_shape(%g: tensor<2x8x6xf32>, %labels: tensor<2x7xi32>) {
  // expected-error @+1 {{'tfm.vocab_parallel_loss' op expected labels of shape 2x8, got 2x7}}
  %loss, %lse = tfm.vocab_parallel_loss mean %g, %labels : tensor<2x8x6xf32>, tensor<2x7xi32> -> tensor<f32>, tensor<2x8xf32>
  return
}

// -----

func.func @grad_dloss(%logits: tensor<2x8x106xf32>, %labels: tensor<2x8xi32>, %lse: tensor<2x8xf32>, %dloss: tensor<2x8xf32>) {
  // expected-error @+1 {{'tfm.vocab_parallel_cross_entropy_grad' op expected a loss gradient of shape scalar for reduction mean, got 2x8}}
  %0 = tfm.vocab_parallel_cross_entropy_grad mean %logits, %labels, %lse, %dloss shard "tp" : tensor<2x8x106xf32>, tensor<2x8xi32>, tensor<2x8xf32>, tensor<2x8xf32>
  return
}

// -----

tfm.parameter @w : tensor<4xf32> init <zeros>
func.func @square_sum_frozen() -> tensor<f32> {
  // expected-error @+1 {{'tfm.grad_square_sum' op @w does not name a trainable tfm.parameter}}
  %0 = tfm.grad_square_sum [@w] : tensor<f32>
  return %0 : tensor<f32>
}

// -----

tfm.parameter @w : tensor<4xf32> init <zeros> trainable
dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 1, 1]
func.func @reduce() {
  tfm.reduce_grads [@w] on @mesh axes = ["dp"]
  %0 = tfm.grad_square_sum [@w] : tensor<f32>
  %1 = tfm.grad_norm of [@w] plus %0(tensor<f32>) : tensor<f32>
  return
}

// -----

func.func @stats_valid_vocab_negative(%logits: tensor<2x8x106xf32>, %labels: tensor<2x8xi32>) {
  // expected-error @+1 {{'tfm.vocab_parallel_stats' op expected a positive valid_vocab, got -3}}
  %0 = tfm.vocab_parallel_stats %logits, %labels shard "tp" valid_vocab -3 : tensor<2x8x106xf32>, tensor<2x8xi32> -> tensor<2x8x3xf32>
  return
}

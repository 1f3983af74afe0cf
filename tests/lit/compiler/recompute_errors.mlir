// RUN: strata-opt %s --strata-tfm-recompute -split-input-file -verify-diagnostics

// Layers too small to mean anything: the pass only moves values between a
// forward layer and its backward twin, so any ops do.

// A policy the frontend would have rejected.
// expected-error @+1 {{unknown tfm.config activations_checkpoint_granularity 'partial'; expected null, selective or full}}
module attributes {tfm.config = {activations_checkpoint_granularity = "partial"}} {
}

// -----

// expected-error @+1 {{activations_checkpoint_granularity full requires activations_checkpoint_method uniform or block}}
module attributes {tfm.config = {activations_checkpoint_granularity = "full", activations_checkpoint_num_layers = 1 : i64}} {
}

// -----

// More layers than the function has.
module attributes {tfm.config = {activations_checkpoint_granularity = "full", activations_checkpoint_method = "block", activations_checkpoint_num_layers = 2 : i64}} {
  // expected-error @+1 {{'func.func' op has 1 layer with a backward pass, fewer than activations_checkpoint_num_layers 2}}
  func.func @step(%x: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
    %h:2 = tfm.layer 0 (%x) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
    ^bb0(%in: tensor<4xf32>):
      %s = tfm.silu %in : tensor<4xf32>
      %y = tfm.silu %s : tensor<4xf32>
      tfm.yield %y, %s : tensor<4xf32>, tensor<4xf32>
    }
    %dx = tfm.layer 0 backward (%h#1, %dy) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
    ^bb0(%s: tensor<4xf32>, %g: tensor<4xf32>):
      %d = tfm.silu_grad %s, %g : tensor<4xf32>
      tfm.yield %d : tensor<4xf32>
    }
    return %dx : tensor<4xf32>
  }
}

// -----

// Two forward layers with one index: which backward layer is whose?
module attributes {tfm.config = {activations_checkpoint_granularity = "full", activations_checkpoint_method = "uniform", activations_checkpoint_num_layers = 1 : i64}} {
  func.func @step(%x: tensor<4xf32>) -> tensor<4xf32> {
    // expected-note @+1 {{the first one}}
    %h0 = tfm.layer 0 (%x) : (tensor<4xf32>) -> tensor<4xf32> {
    ^bb0(%in: tensor<4xf32>):
      %y = tfm.silu %in : tensor<4xf32>
      tfm.yield %y : tensor<4xf32>
    }
    // expected-error @+1 {{'tfm.layer' op is the second forward layer with index 0 in @step; cannot pair layers with their twins}}
    %h1 = tfm.layer 0 (%h0) : (tensor<4xf32>) -> tensor<4xf32> {
    ^bb0(%in: tensor<4xf32>):
      %y = tfm.silu %in : tensor<4xf32>
      tfm.yield %y : tensor<4xf32>
    }
    return %h1 : tensor<4xf32>
  }
}

// -----

// A recompute group whose backward layers run in forward order: the twin
// of the group's last layer must run first, since it recomputes the group.
module attributes {tfm.config = {activations_checkpoint_granularity = "full", activations_checkpoint_method = "uniform", activations_checkpoint_num_layers = 2 : i64}} {
  func.func @step(%x: tensor<4xf32>, %dy: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
    %h0:2 = tfm.layer 0 (%x) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
    ^bb0(%in: tensor<4xf32>):
      %s = tfm.silu %in : tensor<4xf32>
      %y = tfm.silu %s : tensor<4xf32>
      tfm.yield %y, %s : tensor<4xf32>, tensor<4xf32>
    }
    %h1:2 = tfm.layer 1 (%h0#0) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
    ^bb0(%in: tensor<4xf32>):
      %s = tfm.silu %in : tensor<4xf32>
      %y = tfm.silu %s : tensor<4xf32>
      tfm.yield %y, %s : tensor<4xf32>, tensor<4xf32>
    }
    // expected-error @+1 {{'tfm.layer' op must follow the backward layer 1 in the same block to share its recomputation (layers 0..1 are one recompute group)}}
    %d0 = tfm.layer 0 backward (%h0#1, %dy) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
    ^bb0(%s: tensor<4xf32>, %g: tensor<4xf32>):
      %d = tfm.silu_grad %s, %g : tensor<4xf32>
      tfm.yield %d : tensor<4xf32>
    }
    %d1 = tfm.layer 1 backward (%h1#1, %dy) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
    ^bb0(%s: tensor<4xf32>, %g: tensor<4xf32>):
      %d = tfm.silu_grad %s, %g : tensor<4xf32>
      tfm.yield %d : tensor<4xf32>
    }
    return %d0, %d1 : tensor<4xf32>, tensor<4xf32>
  }
}

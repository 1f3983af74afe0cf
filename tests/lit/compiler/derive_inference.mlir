// RUN: strata-opt %s --strata-tfm-derive-inference -split-input-file -verify-diagnostics | FileCheck %s

// A one-layer model at two query lengths, as strata-compile --mode infer
// emits it: prefill (3 tokens) and decode (1 token) share one pair of caches
// of max_position_embeddings = 8 positions. The layer did not take the
// positions (learned position embeddings): the derivation passes them in.

module attributes {tfm.config = {max_position_embeddings = 8 : i64}} {
  tfm.parameter @emb : tensor<11x4xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @wq : tensor<2x2x4xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @wk : tensor<1x2x4xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @wv : tensor<1x2x4xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @wo : tensor<4x2x2xf32> init <normal, std = 2.000000e-02> trainable weight_decay

  func.func @prefill(%tokens: tensor<2x3xi32> {tfm.name = "tokens"}, %positions: tensor<2x3xi32> {tfm.name = "positions"}, %labels: tensor<2x3xi32> {tfm.name = "labels"}) -> (tensor<2x3x11xf32>, tensor<f32>) {
    %emb = tfm.param_ref @emb : tensor<11x4xf32>
    %x = tfm.embedding %emb[%tokens] : tensor<11x4xf32>, tensor<2x3xi32> -> tensor<2x3x4xf32>
    %d = tfm.dropout %x rate 0.1 : tensor<2x3x4xf32>
    %h = tfm.layer 0 (%d) : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    ^bb0(%in: tensor<2x3x4xf32>):
      %wq = tfm.param_ref @wq : tensor<2x2x4xf32>
      %q = tfm.matmul %in, %wq : tensor<2x3x4xf32>, tensor<2x2x4xf32> -> tensor<2x3x2x2xf32>
      %wk = tfm.param_ref @wk : tensor<1x2x4xf32>
      %k = tfm.matmul %in, %wk : tensor<2x3x4xf32>, tensor<1x2x4xf32> -> tensor<2x3x1x2xf32>
      %wv = tfm.param_ref @wv : tensor<1x2x4xf32>
      %v = tfm.matmul %in, %wv : tensor<2x3x4xf32>, tensor<1x2x4xf32> -> tensor<2x3x1x2xf32>
      %a = tfm.attention %q, %k, %v causal scale 0.5 dropout 0.1 : tensor<2x3x2x2xf32>, tensor<2x3x1x2xf32>, tensor<2x3x1x2xf32> -> tensor<2x3x2x2xf32>
      %wo = tfm.param_ref @wo : tensor<4x2x2xf32>
      %o = tfm.matmul %a, %wo contracting 2 : tensor<2x3x2x2xf32>, tensor<4x2x2xf32> -> tensor<2x3x4xf32>
      %r = tfm.add %in, %o : tensor<2x3x4xf32>
      tfm.yield %r : tensor<2x3x4xf32>
    }
    %logits = tfm.matmul %h, %emb : tensor<2x3x4xf32>, tensor<11x4xf32> -> tensor<2x3x11xf32>
    %loss = tfm.cross_entropy mean %logits, %labels : tensor<2x3x11xf32>, tensor<2x3xi32> -> tensor<f32>
    return %logits, %loss : tensor<2x3x11xf32>, tensor<f32>
  }

  func.func @decode(%tokens: tensor<2x1xi32> {tfm.name = "tokens"}, %positions: tensor<2x1xi32> {tfm.name = "positions"}, %labels: tensor<2x1xi32> {tfm.name = "labels"}) -> (tensor<2x1x11xf32>, tensor<f32>) {
    %emb = tfm.param_ref @emb : tensor<11x4xf32>
    %x = tfm.embedding %emb[%tokens] : tensor<11x4xf32>, tensor<2x1xi32> -> tensor<2x1x4xf32>
    %h = tfm.layer 0 (%x) : (tensor<2x1x4xf32>) -> tensor<2x1x4xf32> {
    ^bb0(%in: tensor<2x1x4xf32>):
      %wq = tfm.param_ref @wq : tensor<2x2x4xf32>
      %q = tfm.matmul %in, %wq : tensor<2x1x4xf32>, tensor<2x2x4xf32> -> tensor<2x1x2x2xf32>
      %wk = tfm.param_ref @wk : tensor<1x2x4xf32>
      %k = tfm.matmul %in, %wk : tensor<2x1x4xf32>, tensor<1x2x4xf32> -> tensor<2x1x1x2xf32>
      %wv = tfm.param_ref @wv : tensor<1x2x4xf32>
      %v = tfm.matmul %in, %wv : tensor<2x1x4xf32>, tensor<1x2x4xf32> -> tensor<2x1x1x2xf32>
      %a = tfm.attention %q, %k, %v causal scale 0.5 : tensor<2x1x2x2xf32>, tensor<2x1x1x2xf32>, tensor<2x1x1x2xf32> -> tensor<2x1x2x2xf32>
      %wo = tfm.param_ref @wo : tensor<4x2x2xf32>
      %o = tfm.matmul %a, %wo contracting 2 : tensor<2x1x2x2xf32>, tensor<4x2x2xf32> -> tensor<2x1x4xf32>
      %r = tfm.add %in, %o : tensor<2x1x4xf32>
      tfm.yield %r : tensor<2x1x4xf32>
    }
    %logits = tfm.matmul %h, %emb : tensor<2x1x4xf32>, tensor<11x4xf32> -> tensor<2x1x11xf32>
    %loss = tfm.cross_entropy mean %logits, %labels : tensor<2x1x11xf32>, tensor<2x1xi32> -> tensor<f32>
    return %logits, %loss : tensor<2x1x11xf32>, tensor<f32>
  }
}

// CHECK: module attributes {tfm.config = {{.*}}, tfm.phase = "inference"}
// One pair of caches for both functions, [batch, 8 positions, groups,
// head_dim], declared before the functions.
// CHECK: tfm.parameter @wo
// CHECK-NEXT: tfm.kv_cache @layers.0.attention.key_cache : tensor<2x8x1x2xf32>
// CHECK-NEXT: tfm.kv_cache @layers.0.attention.value_cache : tensor<2x8x1x2xf32>
// CHECK-NOT: tfm.kv_cache

// The labels and the loss are gone; so is the dropout.
// CHECK-LABEL: func.func @prefill(
// CHECK-SAME: %[[TOKENS:[^:]*]]: tensor<2x3xi32> {tfm.name = "tokens"}, %[[POS:[^:]*]]: tensor<2x3xi32> {tfm.name = "positions"}) -> tensor<2x3x11xf32>
// CHECK: %[[X:.*]] = tfm.embedding %{{.*}}[%[[TOKENS]]]
// CHECK-NOT: tfm.dropout
// CHECK: tfm.layer 0 (%[[X]], %[[POS]]) : (tensor<2x3x4xf32>, tensor<2x3xi32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: ^bb0(%[[IN:.*]]: tensor<2x3x4xf32>, %[[LPOS:.*]]: tensor<2x3xi32>):
// CHECK: %[[Q:.*]] = tfm.matmul %[[IN]], %{{.*}} : {{.*}} -> tensor<2x3x2x2xf32>
// CHECK: %[[K:.*]] = tfm.matmul %[[IN]], %{{.*}} : {{.*}} -> tensor<2x3x1x2xf32>
// CHECK: %[[V:.*]] = tfm.matmul %[[IN]], %{{.*}} : {{.*}} -> tensor<2x3x1x2xf32>
// The writes come before the attention that reads them.
// CHECK-NEXT: tfm.cache_write @layers.0.attention.key_cache, %[[K]], %[[LPOS]] : tensor<2x3x1x2xf32>, tensor<2x3xi32>
// CHECK-NEXT: tfm.cache_write @layers.0.attention.value_cache, %[[V]], %[[LPOS]] : tensor<2x3x1x2xf32>, tensor<2x3xi32>
// CHECK-NEXT: %[[A:.*]] = tfm.cached_attention %[[Q]], @layers.0.attention.key_cache, @layers.0.attention.value_cache, %[[LPOS]] causal scale 5.000000e-01 : tensor<2x3x2x2xf32>, tensor<2x3xi32> -> tensor<2x3x2x2xf32>
// CHECK-NOT: tfm.attention
// CHECK: tfm.matmul %[[A]]
// CHECK-NOT: tfm.cross_entropy
// CHECK: return %{{.*}} : tensor<2x3x11xf32>

// CHECK-LABEL: func.func @decode(
// CHECK-SAME: %[[POS:[^:]*]]: tensor<2x1xi32> {tfm.name = "positions"}) -> tensor<2x1x11xf32>
// CHECK: tfm.layer 0 (%{{.*}}, %[[POS]])
// CHECK: tfm.cache_write @layers.0.attention.key_cache, %{{.*}}, %{{.*}} : tensor<2x1x1x2xf32>, tensor<2x1xi32>
// CHECK: tfm.cache_write @layers.0.attention.value_cache, %{{.*}}, %{{.*}} : tensor<2x1x1x2xf32>, tensor<2x1xi32>
// CHECK: tfm.cached_attention %{{.*}}, @layers.0.attention.key_cache, @layers.0.attention.value_cache, %{{.*}} causal scale 5.000000e-01 : tensor<2x1x2x2xf32>, tensor<2x1xi32> -> tensor<2x1x2x2xf32>
// CHECK: return %{{.*}} : tensor<2x1x11xf32>

// -----

// Errors name the op and the values at fault.

module attributes {tfm.config = {max_position_embeddings = 8 : i64}} {
  func.func @f(%q: tensor<1x2x2x4xf32>, %positions: tensor<1x2xi32> {tfm.name = "positions"}) -> tensor<1x2x2x4xf32> {
    // expected-error @+1 {{'tfm.attention' op cannot use a KV cache: only causal attention attends the keys up to its position}}
    %a = tfm.attention %q, %q, %q scale 0.5 : tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32> -> tensor<1x2x2x4xf32>
    return %a : tensor<1x2x2x4xf32>
  }
}

// -----

module attributes {tfm.config = {max_position_embeddings = 8 : i64}} {
  // expected-error @+1 {{'func.func' op has attention but no argument named positions (tfm.name = "positions") to write the KV cache at}}
  func.func @f(%q: tensor<1x2x2x4xf32>, %p: tensor<1x2xi32>) -> tensor<1x2x2x4xf32> {
    %a = tfm.attention %q, %q, %q causal scale 0.5 : tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32> -> tensor<1x2x2x4xf32>
    return %a : tensor<1x2x2x4xf32>
  }
}

// -----

module attributes {tfm.config = {max_position_embeddings = 8 : i64}} {
  func.func @f(%q: tensor<1x2x2x4xf32>, %k: tensor<1x6x2x4xf32>, %positions: tensor<1x2xi32> {tfm.name = "positions"}) -> tensor<1x2x2x4xf32> {
    // expected-error @+1 {{'tfm.attention' op cannot use a KV cache: expected self-attention over the positions 'tensor<1x2xi32>', got query length 2 and key length 6}}
    %a = tfm.attention %q, %k, %k causal scale 0.5 : tensor<1x2x2x4xf32>, tensor<1x6x2x4xf32>, tensor<1x6x2x4xf32> -> tensor<1x2x2x4xf32>
    return %a : tensor<1x2x2x4xf32>
  }
}

// -----

module attributes {tfm.config = {max_position_embeddings = 8 : i64}} {
  // expected-error @+1 {{'func.func' op expected results (logits, loss), the loss a tfm.cross_entropy of the logits, or (logits); got 'tensor<1x2x2x4xf32>', 'tensor<1x2x2x4xf32>'}}
  func.func @f(%q: tensor<1x2x2x4xf32>) -> (tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>) {
    return %q, %q : tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>
  }
}

// -----

// expected-error @+1 {{expected a cache-length option or a tfm.config max_position_embeddings to size the KV caches}}
module {
  func.func @f() {
    return
  }
}

// -----

module attributes {tfm.config = {max_position_embeddings = 8 : i64}} {
  tfm.parameter @"layers.0.attention.key_cache" : tensor<1x8x2x4xf32> init <zeros>
  func.func @f(%q: tensor<1x2x2x4xf32>, %positions: tensor<1x2xi32> {tfm.name = "positions"}) -> tensor<1x2x2x4xf32> {
    %r = tfm.layer 0 (%q) : (tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32> {
    ^bb0(%lq: tensor<1x2x2x4xf32>):
      // expected-error @+1 {{'tfm.attention' op needs a cache @"layers.0.attention.key_cache", but that name is a tfm.parameter}}
      %a = tfm.attention %lq, %lq, %lq causal scale 0.5 : tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32> -> tensor<1x2x2x4xf32>
      tfm.yield %a : tensor<1x2x2x4xf32>
    }
    return %r : tensor<1x2x2x4xf32>
  }
}

// -----

module attributes {tfm.config = {max_position_embeddings = 8 : i64}} {
  func.func @f(%q: tensor<1x2x2x4xf32>, %positions: tensor<1x2xi32> {tfm.name = "positions"}) -> tensor<1x2x2x4xf32> {
    %r = tfm.layer 0 (%q) : (tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32> {
    ^bb0(%lq: tensor<1x2x2x4xf32>):
      %a = tfm.attention %lq, %lq, %lq causal scale 0.5 : tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32> -> tensor<1x2x2x4xf32>
      // expected-error @+1 {{'tfm.attention' op is the second attention of layer 0 in @f; each layer has one pair of caches}}
      %b = tfm.attention %a, %a, %a causal scale 0.5 : tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32> -> tensor<1x2x2x4xf32>
      tfm.yield %b : tensor<1x2x2x4xf32>
    }
    return %r : tensor<1x2x2x4xf32>
  }
}

// -----

module attributes {tfm.config = {max_position_embeddings = 8 : i64}} {
  func.func @f(%q: tensor<1x2x2x4xf32>, %positions: tensor<1x2xi32> {tfm.name = "positions"}) -> tensor<1x2x2x4xf32> {
    // expected-error @+1 {{'tfm.attention' op cannot use a KV cache: its log-sum-exp is read (a training program)}}
    %a, %lse = tfm.attention %q, %q, %q causal scale 0.5 : tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32> -> tensor<1x2x2x4xf32>, tensor<1x2x2xf32>
    %s = tfm.add %a, %a : tensor<1x2x2x4xf32>
    %unused = tfm.add %lse, %lse : tensor<1x2x2xf32>
    return %s : tensor<1x2x2x4xf32>
  }
}

// -----

// With a final norm before the output projection, prefill selects each row's
// last position (argument `last`) before the norm: its logits are [B, 1, V].
module attributes {tfm.config = {max_position_embeddings = 8 : i64}} {
  tfm.parameter @emb : tensor<11x4xf32> init <normal, std = 2.000000e-02> trainable
  tfm.parameter @g : tensor<4xf32> init <ones> trainable
  func.func @prefill(%tokens: tensor<2x3xi32> {tfm.name = "tokens"}, %positions: tensor<2x3xi32> {tfm.name = "positions"}) -> tensor<2x3x11xf32> {
    %emb = tfm.param_ref @emb : tensor<11x4xf32>
    %x = tfm.embedding %emb[%tokens] : tensor<11x4xf32>, tensor<2x3xi32> -> tensor<2x3x4xf32>
    %g = tfm.param_ref @g : tensor<4xf32>
    %n = tfm.rms_norm %x, %g epsilon 1.0e-05 : tensor<2x3x4xf32>, tensor<4xf32>
    %logits = tfm.matmul %n, %emb : tensor<2x3x4xf32>, tensor<11x4xf32> -> tensor<2x3x11xf32>
    return %logits : tensor<2x3x11xf32>
  }
}

// CHECK-LABEL: func.func @prefill(
// CHECK-SAME: %[[LAST:[^:]*]]: tensor<2xi32> {tfm.name = "last"}) -> tensor<2x1x11xf32>
// CHECK: %[[X:.*]] = tfm.embedding
// CHECK: %[[T:.*]] = tfm.take_positions %[[X]], %[[LAST]] : tensor<2x3x4xf32>, tensor<2xi32> -> tensor<2x1x4xf32>
// CHECK: %[[N:.*]] = tfm.rms_norm %[[T]], %{{.*}} epsilon {{.*}} : tensor<2x1x4xf32>, tensor<4xf32>
// CHECK: %[[L:.*]] = tfm.matmul %[[N]], %{{.*}} : tensor<2x1x4xf32>, tensor<11x4xf32> -> tensor<2x1x11xf32>
// CHECK: return %[[L]] : tensor<2x1x11xf32>

// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @key_element_type(%q: tensor<2x16x4x16xbf16>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xbf16>, %o: tensor<2x16x4x16xbf16>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xbf16>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected key to have element type 'bf16' (as query), got 'f32'}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 : tensor<2x16x4x16xbf16>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xbf16>, tensor<2x16x4x16xbf16>, tensor<2x4x16xf32>
  return
}

// -----

func.func @value_element_type(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf64>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected value to have element type 'f32' (as query), got 'f64'}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf64>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

func.func @result_element_type(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xbf16>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xbf16>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected result to have element type 'f32' (as query), got 'bf16'}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xbf16>, tensor<2x4x16xf32>
  return
}

// -----

func.func @query_rank(%q: tensor<2x16x64xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected query of rank 4 [batch, seq, heads, head_dim], got 2x16x64}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 : tensor<2x16x64xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

func.func @value_rank(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<1x2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected value of rank 4 [batch, seq, heads, head_dim], got 1x2x16x4x16}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<1x2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

// The forward result takes its last dimension from the value head_dim (8),
// not the query's (16).

func.func @forward_result_head_dim(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x8xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected result shape 2x16x4x8 [batch, query length, heads, value head_dim], got 2x16x4x16}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x8xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

// The forward result has the query heads (12), not the key/value groups (4).

func.func @forward_result_heads(%q: tensor<2x16x12x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x12x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected result shape 2x16x12x16 [batch, query length, heads, value head_dim], got 2x16x4x16}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 : tensor<2x16x12x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x12x16xf32>
  return
}

// -----

// The lse is [batch, heads, query length], not [batch, query length, heads].

func.func @lse_shape(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x16x4xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected lse of shape 2x4x16 [batch, heads, query length], got 2x16x4}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4xf32>
  return
}

// -----

// The lse has the query heads (12), not the key/value groups (4).

func.func @lse_groups(%q: tensor<2x16x12x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x12x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x12x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected lse of shape 2x12x16 [batch, heads, query length], got 2x4x16}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 : tensor<2x16x12x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x12x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

// Decoding: the lse has the query length (1), not the key length (128).

func.func @lse_length(%q: tensor<2x1x4x16xf32>, %k: tensor<2x128x4x16xf32>, %v: tensor<2x128x4x16xf32>, %o: tensor<2x1x4x16xf32>, %lse: tensor<2x4x128xf32>, %do: tensor<2x1x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected lse of shape 2x4x1 [batch, heads, query length], got 2x4x128}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do causal scale 0.25 : tensor<2x1x4x16xf32>, tensor<2x128x4x16xf32>, tensor<2x128x4x16xf32>, tensor<2x1x4x16xf32>, tensor<2x4x128xf32>
  return
}

// -----

func.func @bf16_lse(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xbf16>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op operand #4 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<2x4x16xbf16>'}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xbf16>
  return
}

// -----

func.func @zero_scale(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected a positive, finite scale, got 0.000000e+00}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.0 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

func.func @negative_scale(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected a positive, finite scale, got -2.500000e-01}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale -0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

func.func @infinite_scale(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected a positive, finite scale, got INF}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0x7FF0000000000000 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

func.func @dropout_one(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected dropout in [0, 1), got 1.000000e+00}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 dropout 1.0 stream 0 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

func.func @negative_dropout(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected dropout in [0, 1), got -1.000000e-01}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 dropout -0.1 stream 0 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

func.func @nan_dropout(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected dropout in [0, 1), got nan}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 dropout 0x7FF8000000000000 stream 0 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

// With dropout, the gradient must redraw the forward op's mask: it names
// the same stream. (A zero dropout needs none; see the parse-print test.)

func.func @dropout_without_stream(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected a random stream for dropout 1.000000e-01 (the forward op's stream)}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do causal scale 0.25 dropout 0.1 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

func.func @negative_stream(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op attribute 'rng_stream' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 dropout 0.1 stream -1 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

func.func @integer_query(%q: tensor<2x16x4x16xi32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op operand #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<2x16x4x16xi32>'}}
  %0:3 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 : tensor<2x16x4x16xi32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

// The custom form takes the gradients' types from the operands'; the
// generic form can state different ones.

func.func @query_grad_type(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op failed to verify that all of {query, query_grad} have same type}}
  %0:3 = "tfm.attention_grad"(%q, %k, %v, %o, %lse, %do) <{scale = 2.5e-01 : f64}> : (tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>, tensor<2x16x4x16xf32>) -> (tensor<2x16x4x8xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>)
  return
}

// -----

func.func @key_grad_type(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op failed to verify that all of {key, key_grad} have same type}}
  %0:3 = "tfm.attention_grad"(%q, %k, %v, %o, %lse, %do) <{scale = 2.5e-01 : f64}> : (tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>, tensor<2x16x4x16xf32>) -> (tensor<2x16x4x16xf32>, tensor<2x16x4x8xf32>, tensor<2x16x4x16xf32>)
  return
}

// -----

func.func @value_grad_type(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op failed to verify that all of {value, value_grad} have same type}}
  %0:3 = "tfm.attention_grad"(%q, %k, %v, %o, %lse, %do) <{scale = 2.5e-01 : f64}> : (tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>, tensor<2x16x4x16xf32>) -> (tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xbf16>)
  return
}

// -----

func.func @result_grad_type(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x8xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op failed to verify that all of {result, result_grad} have same type}}
  %0:3 = "tfm.attention_grad"(%q, %k, %v, %o, %lse, %do) <{scale = 2.5e-01 : f64}> : (tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>, tensor<2x16x4x8xf32>) -> (tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>)
  return
}

// -----

// The key is checked like the forward op's.

func.func @key_rank(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x64xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected key of rank 4 [batch, seq, heads, head_dim], got 2x16x64}}
  %dq, %dk, %dv = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x64xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

func.func @groups_do_not_divide_heads(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x3x16xf32>, %v: tensor<2x16x3x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected 4 query heads to be divisible by 3 key/value groups}}
  %dq, %dk, %dv = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x3x16xf32>, tensor<2x16x3x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return
}

// -----

func.func @lse_element_type(%q: tensor<2x16x4x16xf64>, %k: tensor<2x16x4x16xf64>, %v: tensor<2x16x4x16xf64>, %o: tensor<2x16x4x16xf64>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf64>) {
  // expected-error @+1 {{'tfm.attention_grad' op expected lse of element type 'f64', got 'f32'}}
  %dq, %dk, %dv = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 : tensor<2x16x4x16xf64>, tensor<2x16x4x16xf64>, tensor<2x16x4x16xf64>, tensor<2x16x4x16xf64>, tensor<2x4x16xf32>
  return
}

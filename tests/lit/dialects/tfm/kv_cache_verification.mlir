// RUN: strata-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{'tfm.kv_cache' op expected a statically shaped rank-4 cache [batch, length, groups, head_dim], got 'tensor<2x16x64xf32>'}}
tfm.kv_cache @c : tensor<2x16x64xf32>

// -----

// expected-error @+1 {{'tfm.kv_cache' op expected a statically shaped rank-4 cache [batch, length, groups, head_dim], got 'tensor<2x?x4x64xf32>'}}
tfm.kv_cache @c : tensor<2x?x4x64xf32>

// -----

// expected-error @+1 {{'tfm.kv_cache' op expected every dimension of cache @c to be at least 1, got 0 for dimension 1}}
tfm.kv_cache @c : tensor<2x0x4x64xf32>

// -----

// expected-error @+1 {{'tfm.kv_cache' op attribute 'type' failed to satisfy constraint: type attribute of ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values}}
tfm.kv_cache @c : tensor<2x16x4x64xi32>

// -----

func.func @f() {
  // expected-error @+1 {{'tfm.kv_cache' op expects parent op 'builtin.module'}}
  "tfm.kv_cache"() {sym_name = "c", type = tensor<2x16x4x64xf32>} : () -> ()
  return
}

// RUN: strata-opt %s -split-input-file -verify-diagnostics

// A parameter's shape is global and fixed: no dynamic dimensions.

// expected-error @+1 {{'tfm.parameter' op expected a statically shaped parameter, got 'tensor<?x64xf32>'}}
tfm.parameter @w : tensor<?x64xf32> init <zeros>

// -----

// expected-error @+1 {{expected every dimension of parameter @w to be at least 1, got 0 for dimension 1}}
tfm.parameter @w : tensor<4x0xf32> init <zeros>

// -----

// expected-error @+1 {{attribute 'type' failed to satisfy constraint: type attribute of ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float or 8-bit signless integer values}}
tfm.parameter @w : tensor<4x64xi32> init <zeros>

// -----

// expected-error @+1 {{attribute 'type' failed to satisfy constraint: type attribute of ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float or 8-bit signless integer values}}
tfm.parameter @w : tensor<*xf32> init <zeros>

// -----

// Parameters are module-level symbols, never declared in a function.

func.func @in_function() {
  // expected-error @+1 {{'tfm.parameter' op expects parent op 'builtin.module'}}
  tfm.parameter @w : tensor<4x64xf32> init <zeros>
  return
}

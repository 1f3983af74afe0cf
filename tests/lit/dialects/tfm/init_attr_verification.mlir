// RUN: strata-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{unknown initializer 'uniform', expected zeros, ones or normal}}
tfm.parameter @w : tensor<4x64xf32> init <uniform>

// -----

// expected-error @+1 {{expected a positive, finite std for a normal initializer, got 0.000000e+00}}
tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0.0>

// -----

// expected-error @+1 {{expected a positive, finite std for a normal initializer, got -2.000000e-02}}
tfm.parameter @w : tensor<4x64xf32> init <normal, std = -0.02>

// -----

// expected-error @+1 {{expected a positive, finite std for a normal initializer, got INF}}
tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0x7FF0000000000000>

// -----

// expected-error @+1 {{expected a positive, finite std for a normal initializer, got nan}}
tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0x7FF8000000000000>

// -----

// The same checks apply to the attribute in its full form.

// expected-error @+1 {{expected a positive, finite std for a normal initializer, got -1.000000e+00}}
func.func private @f() attributes {init = #tfm.init<normal, std = -1.0>}

// -----

// A normal initializer needs its std.

// expected-error @+1 {{expected ', std = <value>' for a normal initializer}}
tfm.parameter @w : tensor<4x64xf32> init <normal>

// -----

// zeros and ones take no std.

// expected-error @+1 {{initializer zeros takes no std, got 1.000000e+00}}
tfm.parameter @w : tensor<4x64xf32> init <zeros, std = 1.0>

// -----

// expected-error @+1 {{initializer ones takes no std, got 2.000000e-02}}
tfm.parameter @w : tensor<4x64xf32> init <ones, std = 0.02>

// RUN: strata-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{'dist.mesh' op expected one size per axis, got 3 axes and 2 sizes}}
dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 4]

// -----

// expected-error @+1 {{'dist.mesh' op expected at least one axis}}
dist.mesh @mesh axes = [] shape = []

// -----

// expected-error @+1 {{'dist.mesh' op axis 'tp' has size 0; sizes must be at least 1}}
dist.mesh @mesh axes = ["dp", "tp"] shape = [2, 0]

// -----

// expected-error @+1 {{'dist.mesh' op axis 'dp' has size -2; sizes must be at least 1}}
dist.mesh @mesh axes = ["dp", "tp"] shape = [-2, 4]

// -----

// expected-error @+1 {{'dist.mesh' op axis 'tp' is declared twice}}
dist.mesh @mesh axes = ["tp", "pp", "tp"] shape = [2, 2, 4]

// -----

// expected-error @+1 {{'dist.mesh' op expected non-empty axis names}}
dist.mesh @mesh axes = ["dp", ""] shape = [2, 4]

// -----

func.func @f() {
  // expected-error @+1 {{'dist.mesh' op expects parent op 'builtin.module'}}
  dist.mesh @mesh axes = ["tp"] shape = [4]
  return
}

// RUN: strata-opt %s -split-input-file -verify-diagnostics

// send / recv

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.send' op expected a non-zero stage offset}}
  dist.send %arg0 on @mesh offset = 0 tag = 0 : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.send' op expected a non-negative tag, got -3}}
  dist.send %arg0 on @mesh offset = 1 tag = -3 : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.send' op stage offset 2 reaches past the 2 stages of axis 'pp'}}
  dist.send %arg0 on @mesh offset = 2 tag = 0 : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "tp"] shape = [2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.send' op mesh @mesh has no 'pp' axis}}
  dist.send %arg0 on @mesh offset = 1 tag = 0 : tensor<8x768xf32>
  return
}

// -----

func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.send' op @mesh does not name a dist.mesh}}
  dist.send %arg0 on @mesh offset = 1 tag = 0 : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f() {
  // expected-error @+1 {{'dist.recv' op expected a non-zero stage offset}}
  %0 = dist.recv on @mesh offset = 0 tag = 0 : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f() {
  // expected-error @+1 {{'dist.recv' op expected a non-negative tag, got -1}}
  %0 = dist.recv on @mesh offset = -1 tag = -1 : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 4, 4]
func.func @f() {
  // expected-error @+1 {{'dist.recv' op stage offset -4 reaches past the 4 stages of axis 'pp'}}
  %0 = dist.recv on @mesh offset = -4 tag = 0 : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["tp"] shape = [4]
func.func @f() {
  // expected-error @+1 {{'dist.recv' op mesh @mesh has no 'pp' axis}}
  %0 = dist.recv on @mesh offset = 1 tag = 0 : tensor<8x768xf32>
  return
}

// -----

func.func private @mesh()
func.func @f() {
  // expected-error @+1 {{'dist.recv' op @mesh does not name a dist.mesh (it names a func.func)}}
  %0 = dist.recv on @mesh offset = 1 tag = 0 : tensor<8x768xf32>
  return
}

// -----

// stage

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f() {
  // expected-error @+1 {{'dist.stage' op stage index 2 is out of range for the 2 stages of axis 'pp'}}
  dist.stage 2 on @mesh {
  }
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f() {
  // expected-error @+1 {{'dist.stage' op expected a non-negative stage index, got -1}}
  dist.stage -1 on @mesh {
  }
  return
}

// -----

dist.mesh @mesh axes = ["dp", "tp"] shape = [2, 4]
func.func @f() {
  // expected-error @+1 {{'dist.stage' op mesh @mesh has no 'pp' axis}}
  dist.stage 0 on @mesh {
  }
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{'dist.stage' op @mesh does not name a dist.mesh}}
  dist.stage 0 on @mesh {
  }
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f() {
  dist.stage 0 on @mesh {
    // expected-error @+1 {{'dist.stage' op stage 1 is nested in stage 0; stages do not nest}}
    dist.stage 1 on @mesh {
    }
  }
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f() {
  dist.stage 1 on @mesh {
  }
  // expected-error @+1 {{'dist.stage' op stage 1 is defined twice in this block}}
  dist.stage 1 on @mesh {
  }
  return
}

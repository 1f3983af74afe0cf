// RUN: strata-opt %s -split-input-file -verify-diagnostics

// Regression test. LayerOp::verify() runs before the
// SingleBlockImplicitTerminator region trait has checked the terminator, and
// does `cast<YieldOp>(block.getTerminator())`. With a terminator that is not
// tfm.yield this asserts in a build with assertions; in a release build it
// reads the foreign terminator as a tfm.yield and reports "expected tfm.yield
// of 1 values (one per result), got 0", which names the wrong problem. The
// fix: move the terminator checks of LayerOp::verify() into verifyRegions()
// (`let hasRegionVerifier = 1;`), which runs after the region trait, or skip
// them when the terminator is not a YieldOp. (Fixed.)

func.func @foreign_terminator(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-error @+2 {{'tfm.layer' op expects regions to end with 'tfm.yield', found 'llvm.unreachable'}}
  // expected-note @+1 {{in custom textual format, the absence of terminator implies 'tfm.yield'}}
  %0 = tfm.layer 0 (%x) : (tensor<4x64xf32>) -> tensor<4x64xf32> {
  ^bb0(%h: tensor<4x64xf32>):
    llvm.unreachable
  }
  return %0 : tensor<4x64xf32>
}

// -----

// With no results a release build happens to report the right error, but
// the cast still asserts in a build with assertions.

func.func @foreign_terminator_no_results(%x: tensor<4x64xf32>) {
  // expected-error @+2 {{'tfm.layer' op expects regions to end with 'tfm.yield', found 'llvm.unreachable'}}
  // expected-note @+1 {{in custom textual format, the absence of terminator implies 'tfm.yield'}}
  tfm.layer 0 (%x) : (tensor<4x64xf32>) -> () {
  ^bb0(%h: tensor<4x64xf32>):
    llvm.unreachable
  }
  return
}

// RUN: strata-opt %s -split-input-file -verify-diagnostics

// Regression test. Two messages stream a dimension
// as a raw int64_t, so a dynamic dimension prints as -9223372036854775808
// (ShapedType::kDynamic) instead of `?`:
// * tfm.attention, "expected equal batch sizes, got query ..., key ..., value ...";
// * tfm.embedding, "(the ids shape followed by ... table columns)".
// The fix: print those dimensions with a helper that writes `?` for a
// dynamic one, as formatShape does. (Fixed.)

func.func @attention_dynamic_batch(%q: tensor<?x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<3x8x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected equal batch sizes, got query ?, key 2, value 3}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<?x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<3x8x4x16xf32> -> tensor<?x8x4x16xf32>
  return
}

// -----

func.func @embedding_dynamic_columns(%table: tensor<128x?xf32>, %ids: tensor<4x8xi32>) {
  // expected-error @+1 {{'tfm.embedding' op expected result shape 4x8x? (the ids shape followed by ? table columns), got 4x9x16}}
  %0 = tfm.embedding %table[%ids] : tensor<128x?xf32>, tensor<4x8xi32> -> tensor<4x9x16xf32>
  return
}

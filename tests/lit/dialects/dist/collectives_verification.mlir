// RUN: strata-opt %s -split-input-file -verify-diagnostics

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.all_reduce' op expected at least one mesh axis}}
  %0 = dist.all_reduce %arg0 on @mesh axes = [] reduction = sum : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.all_reduce' op mesh axis 'tp' is listed more than once in axes}}
  %0 = dist.all_reduce %arg0 on @mesh axes = ["tp", "tp"] reduction = sum : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.all_reduce' op mesh @mesh has no axis 'sp' (its axes are 'dp', 'pp', 'tp')}}
  %0 = dist.all_reduce %arg0 on @mesh axes = ["sp"] reduction = sum : tensor<8x768xf32>
  return
}

// -----

func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.all_reduce' op @mesh does not name a dist.mesh}}
  %0 = dist.all_reduce %arg0 on @mesh axes = ["tp"] reduction = sum : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'reduction' [sum, max]}}
  %0 = dist.all_reduce %arg0 on @mesh axes = ["tp"] reduction = mean : tensor<8x768xf32>
  return
}

// -----

// all_gather

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.all_gather' op along axis 'tp' of size 4: expected result dimension 1 of size 3072 (768 * 4), got 768}}
  %0 = dist.all_gather %arg0 on @mesh axes = ["tp"] dim = 1 : tensor<8x768xf32> -> tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.all_gather' op along axes 'dp', 'tp' of size 8: expected result dimension 0 of size 8 (as the operand's), got 16}}
  %0 = dist.all_gather %arg0 on @mesh axes = ["dp", "tp"] dim = 1 : tensor<8x768xf32> -> tensor<16x6144xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.all_gather' op dim 2 is not a dimension of the operand 'tensor<8x768xf32>' (rank 2)}}
  %0 = dist.all_gather %arg0 on @mesh axes = ["tp"] dim = 2 : tensor<8x768xf32> -> tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.all_gather' op dim -1 is not a dimension of the operand 'tensor<8x768xf32>' (rank 2)}}
  %0 = dist.all_gather %arg0 on @mesh axes = ["tp"] dim = -1 : tensor<8x768xf32> -> tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.all_gather' op expected the result rank 3 to match the operand's 2}}
  %0 = dist.all_gather %arg0 on @mesh axes = ["tp"] dim = 1 : tensor<8x768xf32> -> tensor<1x8x3072xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.all_gather' op expected the result element type 'bf16' to match the operand's 'f32'}}
  %0 = dist.all_gather %arg0 on @mesh axes = ["tp"] dim = 1 : tensor<8x768xf32> -> tensor<8x3072xbf16>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.all_gather' op expected at least one mesh axis}}
  %0 = dist.all_gather %arg0 on @mesh axes = [] dim = 1 : tensor<8x768xf32> -> tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.all_gather' op mesh @mesh has no axis 'x' (its axes are 'dp', 'pp', 'tp')}}
  %0 = dist.all_gather %arg0 on @mesh axes = ["x"] dim = 1 : tensor<8x768xf32> -> tensor<8x768xf32>
  return
}

// -----

// reduce_scatter

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x770xf32>) {
  // expected-error @+1 {{'dist.reduce_scatter' op along axis 'tp' of size 4: dimension 1 of size 770 is not divisible by 4}}
  %0 = dist.reduce_scatter %arg0 on @mesh axes = ["tp"] dim = 1 reduction = sum : tensor<8x770xf32> -> tensor<8x192xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.reduce_scatter' op along axis 'tp' of size 4: expected result dimension 1 of size 192 (768 / 4), got 768}}
  %0 = dist.reduce_scatter %arg0 on @mesh axes = ["tp"] dim = 1 reduction = sum : tensor<8x768xf32> -> tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.reduce_scatter' op along axis 'tp' of size 4: expected result dimension 0 of size 8 (as the operand's), got 2}}
  %0 = dist.reduce_scatter %arg0 on @mesh axes = ["tp"] dim = 1 reduction = sum : tensor<8x768xf32> -> tensor<2x192xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.reduce_scatter' op dim 5 is not a dimension of the operand 'tensor<8x768xf32>' (rank 2)}}
  %0 = dist.reduce_scatter %arg0 on @mesh axes = ["tp"] dim = 5 reduction = sum : tensor<8x768xf32> -> tensor<8x192xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.reduce_scatter' op mesh axis 'dp' is listed more than once in axes}}
  %0 = dist.reduce_scatter %arg0 on @mesh axes = ["dp", "dp"] dim = 1 reduction = sum : tensor<8x768xf32> -> tensor<8x192xf32>
  return
}

// -----

// all_to_all

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<2x14x8x64xf32>) {
  // expected-error @+1 {{'dist.all_to_all' op along axis 'tp' of size 4: dimension 1 of size 14 is not divisible by 4}}
  %0 = dist.all_to_all %arg0 on @mesh axes = ["tp"] split_dim = 1 concat_dim = 2 : tensor<2x14x8x64xf32> -> tensor<2x3x32x64xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<2x16x8x64xf32>) {
  // expected-error @+1 {{'dist.all_to_all' op along axis 'tp' of size 4: expected result dimension 1 of size 4 (16 / 4, the split dimension), got 16}}
  %0 = dist.all_to_all %arg0 on @mesh axes = ["tp"] split_dim = 1 concat_dim = 2 : tensor<2x16x8x64xf32> -> tensor<2x16x32x64xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<2x16x8x64xf32>) {
  // expected-error @+1 {{'dist.all_to_all' op along axis 'tp' of size 4: expected result dimension 2 of size 32 (8 * 4, the concatenated dimension), got 8}}
  %0 = dist.all_to_all %arg0 on @mesh axes = ["tp"] split_dim = 1 concat_dim = 2 : tensor<2x16x8x64xf32> -> tensor<2x4x8x64xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<2x16x8x64xf32>) {
  // expected-error @+1 {{'dist.all_to_all' op along axis 'tp' of size 4: expected result dimension 2 of size 8 (as the operand's), got 2}}
  %0 = dist.all_to_all %arg0 on @mesh axes = ["tp"] split_dim = 2 concat_dim = 2 : tensor<2x16x8x64xf32> -> tensor<2x16x2x64xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<2x16x8x64xf32>) {
  // expected-error @+1 {{'dist.all_to_all' op concat_dim 4 is not a dimension of the operand 'tensor<2x16x8x64xf32>' (rank 4)}}
  %0 = dist.all_to_all %arg0 on @mesh axes = ["tp"] split_dim = 1 concat_dim = 4 : tensor<2x16x8x64xf32> -> tensor<2x16x8x64xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<2x16x8x64xf32>) {
  // expected-error @+1 {{'dist.all_to_all' op split_dim -1 is not a dimension of the operand 'tensor<2x16x8x64xf32>' (rank 4)}}
  %0 = dist.all_to_all %arg0 on @mesh axes = ["tp"] split_dim = -1 concat_dim = 1 : tensor<2x16x8x64xf32> -> tensor<2x16x8x64xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<2x16x8x64xf32>) {
  // expected-error @+1 {{'dist.all_to_all' op expected at least one mesh axis}}
  %0 = dist.all_to_all %arg0 on @mesh axes = [] split_dim = 1 concat_dim = 2 : tensor<2x16x8x64xf32> -> tensor<2x16x8x64xf32>
  return
}

// -----

// broadcast

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.broadcast' op along axes 'dp', 'tp' of size 8: root 8 is not a rank of the group}}
  %0 = dist.broadcast %arg0 on @mesh axes = ["dp", "tp"] root = 8 : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.broadcast' op expected a non-negative root, got -1}}
  %0 = dist.broadcast %arg0 on @mesh axes = ["dp"] root = -1 : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.broadcast' op expected at least one mesh axis}}
  %0 = dist.broadcast %arg0 on @mesh axes = [] root = 0 : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.broadcast' op mesh @mesh has no axis 'ep' (its axes are 'dp', 'pp', 'tp')}}
  %0 = dist.broadcast %arg0 on @mesh axes = ["ep"] root = 0 : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.broadcast' op mesh axis 'dp' is listed more than once in axes}}
  %0 = dist.broadcast %arg0 on @mesh axes = ["dp", "dp"] root = 0 : tensor<8x768xf32>
  return
}

// -----

// dist.slice: a rank's block, dimension divided by the group size.

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<2x512xi32>) -> tensor<2x128xi32> {
  %0 = dist.slice %arg0 on @mesh axes = ["tp"] dim = 1 : tensor<2x512xi32> -> tensor<2x128xi32>
  return %0 : tensor<2x128xi32>
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<2x510xi32>) {
  // expected-error @+1 {{'dist.slice' op along axis 'tp' of size 4: dimension 1 of size 510 is not divisible by 4}}
  %0 = dist.slice %arg0 on @mesh axes = ["tp"] dim = 1 : tensor<2x510xi32> -> tensor<2x127xi32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<2x512xi32>) {
  // expected-error @+1 {{'dist.slice' op along axis 'tp' of size 4: expected result dimension 1 of size 128 (512 / 4), got 256}}
  %0 = dist.slice %arg0 on @mesh axes = ["tp"] dim = 1 : tensor<2x512xi32> -> tensor<2x256xi32>
  return
}

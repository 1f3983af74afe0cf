// RUN: strata-opt %s -split-input-file -verify-diagnostics

// Context-free checks of #dist.sharding.

// expected-error @+1 {{mesh axis 'tp' is used more than once (dimension 0 and dimension 1); an axis splits at most one dimension and a value cannot be both split and partial along it}}
func.func private @f(tensor<8x8xf32> {dist.sharding = #dist.sharding<@mesh, [["tp"], ["tp"]]>})

// -----

// expected-error @+1 {{mesh axis 'tp' is used more than once (dimension 1 and partial)}}
func.func private @f(tensor<8x8xf32> {dist.sharding = #dist.sharding<@mesh, [[], ["tp"]], partial = ["tp"]>})

// -----

// expected-error @+1 {{mesh axis 'dp' is used more than once (dimension 0 and dimension 0)}}
func.func private @f(tensor<8x8xf32> {dist.sharding = #dist.sharding<@mesh, [["dp", "dp"], []]>})

// -----

// expected-error @+1 {{mesh axis 'tp' is used more than once (partial and partial)}}
func.func private @f(tensor<8x8xf32> {dist.sharding = #dist.sharding<@mesh, [[], []], partial = ["tp", "tp"]>})

// -----

// expected-error @+1 {{expected a non-empty mesh axis name for dimension 1}}
func.func private @f(tensor<8x8xf32> {dist.sharding = #dist.sharding<@mesh, [[], [""]]>})

// -----

// expected-error @+1 {{expected valid '@'-identifier for symbol name}}
func.func private @f(tensor<8x8xf32> {dist.sharding = #dist.sharding<mesh, [[], []]>})

// -----

// expected-error @+1 {{expected 'partial'}}
func.func private @f(tensor<8x8xf32> {dist.sharding = #dist.sharding<@mesh, [[], []], ["tp"]>})

// -----

// Checks against the mesh and the tensor type (verifyShardingFor, through
// dist.shard).

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x770xf32>) {
  // expected-error @+1 {{'dist.shard' op split over axis 'tp' of size 4: dimension 1 of size 770 is not divisible by 4}}
  %0 = dist.shard %arg0 to <@mesh, [[], ["tp"]]> : tensor<8x770xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<12x768xf32>) {
  // expected-error @+1 {{'dist.shard' op split over axes 'dp', 'tp' of size 8: dimension 0 of size 12 is not divisible by 8}}
  %0 = dist.shard %arg0 to <@mesh, [["dp", "tp"], []]> : tensor<12x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.shard' op mesh @mesh has no axis 'sp' (its axes are 'dp', 'pp', 'tp')}}
  %0 = dist.shard %arg0 to <@mesh, [["sp"], []]> : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.shard' op mesh @mesh has no axis 'ep' (its axes are 'dp', 'pp', 'tp')}}
  %0 = dist.shard %arg0 to <@mesh, [[], []], partial = ["ep"]> : tensor<8x768xf32>
  return
}

// -----

dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 2, 4]
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.shard' op sharding has 3 dimension entries but the tensor type 'tensor<8x768xf32>' has rank 2}}
  %0 = dist.shard %arg0 to <@mesh, [[], [], []]> : tensor<8x768xf32>
  return
}

// -----

func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.shard' op @nowhere does not name a dist.mesh}}
  %0 = dist.shard %arg0 to <@nowhere, [[], []]> : tensor<8x768xf32>
  return
}

// -----

func.func private @g()
func.func @f(%arg0: tensor<8x768xf32>) {
  // expected-error @+1 {{'dist.shard' op @g does not name a dist.mesh (it names a func.func)}}
  %0 = dist.shard %arg0 to <@g, [[], []]> : tensor<8x768xf32>
  return
}

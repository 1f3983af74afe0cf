//===- artifact_test_support.h - small artifacts for tests -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Builds a small, valid artifact (one parameter with its slots, a forward
// matmul and an AdamW step) whose fields a test can break one at a time.
// Used by the loader's unit tests and as the fuzzer's seed.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_ARTIFACT_ARTIFACT_TEST_SUPPORT_H
#define STRATA_RUNTIME_ARTIFACT_ARTIFACT_TEST_SUPPORT_H

#include "common/prompt_tasks.h"
#include "runtime/artifact/artifact_loader.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata::runtime::testing_support {

/// Knobs a test turns to break one thing in an otherwise valid artifact.
struct Spec {
  uint16_t versionMajor = kArtifactVersionMajor;
  uint16_t versionMinor = kArtifactVersionMinor;
  uint64_t arenaSize = 1024;
  uint64_t weightOffset = 0;
  uint64_t weightSize = 4 * 8 * 4;
  std::vector<int64_t> weightShape = {4, 8};
  std::vector<uint32_t> matmulOperands = {4, 0};
  std::vector<int64_t> matmulInts = {1};
  artifact::Kernel matmulKernel = artifact::Kernel::Matmul;
  bool weightTrainable = true;
  /// The weight buffer's type (default F32, BF16 under mixedPrecision) and
  /// its Parameter.scales (int8 weight-only quantization).
  std::optional<artifact::DType> weightDType;
  int32_t weightScales = -1;
  int32_t gradSlot = 1;
  int64_t adamwParameter = 0;
  std::string weightName = "w";
  int32_t sharedWithStage = -1;
  // The distributed optimizer: the mesh axis the moments are split over and
  // the moments' buffers (w.m and w.v).
  int32_t optimizerSplitAxis = -1;
  std::vector<int64_t> momentShape = {4, 8};
  uint64_t momentSize = 128;
  // The weight as block c of a split one (coordinate c along mesh axis
  // splitAxis): its global shape and split dimension.
  std::vector<int64_t> weightGlobalShape;
  int32_t splitDim = -1;
  int32_t splitAxis = -1;
  // The mesh (none by default) and the pipeline fields of a stage program.
  std::vector<std::string> meshAxes;
  std::vector<int64_t> meshShape;
  int32_t pipelineStage = -1;
  uint32_t pipelineChunks = 1;
  uint32_t microBatches = 1;
  /// Artifact.model_family (format 0.10).
  artifact::ModelFamily modelFamily = artifact::ModelFamily::Gpt2;
  // Mixed precision O2 (format 0.8): a BF16 weight of 64 bytes (and a BF16
  // matmul: x and y are BF16 too) with an F32
  // main parameter (buffer 7, 128 bytes), F32 gradient and moments, AdamW
  // with the norm operand (buffer 6) and a ParamFromMain after it.
  bool mixedPrecision = false;
  artifact::DType mainDType = artifact::DType::F32;
  artifact::BufferCategory mainCategory =
      artifact::BufferCategory::MainParameter;
  artifact::DType gradDType = artifact::DType::F32;
  int64_t paramFromMainParameter = 0;
  // Data parallelism (format 0.9): a function reduce_gradients whose
  // ReduceGradients (axes mask 1) sums the weight's gradient slot through
  // the bucket (the last buffer, 'bucket': bucketCategory, bucketDType
  // [bucketElements] at offset 896), or through |bucketOperands| when set.
  // Set a mesh whose axis 0 it sums over.
  bool reduceGradients = false;
  artifact::BufferCategory bucketCategory =
      artifact::BufferCategory::GradientBucket;
  artifact::DType bucketDType = artifact::DType::F32;
  int64_t bucketElements = 32;
  std::optional<std::vector<uint32_t>> bucketOperands;
  // Prompt learning (formats 0.11, 0.12): Artifact.prompt_tasks, each
  // written from its templateText and counts as they are (nothing checked),
  // and virtual_prompt_style ("": none).
  std::vector<PromptTask> promptTasks;
  std::string virtualPromptStyle;
};

/// The size-prefixed bytes of the artifact |spec| describes.
std::vector<uint8_t> buildArtifact(const Spec &spec);

/// Knobs of a small KV-cache program: one `decode` function of two
/// sequences, two query heads of one key/value group, head_dim 2, caches of
/// 4 positions. Buffers: 0 key cache [2,4,1,2], 1 value cache [2,4,1,2],
/// 2 q [2,1,2,2], 3 k [2,1,1,2], 4 v [2,1,1,2], 5 positions [2,1] i32,
/// 6 out [2,1,2,2]. Instructions: CacheWrite (3, 5) -> 0, CacheWrite
/// (4, 5) -> 1, CachedAttention (2, 0, 1, 5) -> 6.
struct CacheSpec {
  artifact::BufferCategory cacheCategory = artifact::BufferCategory::KVCache;
  std::vector<uint32_t> attentionOperands = {2, 0, 1, 5};
  int64_t causal = 1;
  double scale = 0.5;
  /// Paged (format 0.14): the caches are pools [3, 2, 1, 2] (3 blocks of 2
  /// positions) and buffer 7, "block_table" I32 [2, 2] (an argument of
  /// decode), is the last operand of the three instructions.
  bool paged = false;
};

std::vector<uint8_t> buildCacheArtifact(const CacheSpec &spec);

/// Knobs of a pipeline stage program with a stash (format 0.7): stage 0 of
/// pp 2, one chunk. Buffers: 0 tokens, 1 positions, 2 labels, 3 out (I32
/// [2,4]), 4 loss_scale (F32 scalar), then 5 + s: the saved value of slot s
/// (PipelineStash, I32 [2,4] at savedOffsets[s]). Per slot s:
/// forward_step.0.s (0, 1, 2) -> 5+s: Copy 0 -> 5+s; backward_step.0.s
/// (0, 1, 2, 4, 5+s): Copy 5+s -> 3.
struct StashSpec {
  /// pipeline_stash_slots.
  std::vector<uint32_t> stashSlots = {2};
  /// The slot variants built (and saved-value buffers), by default
  /// stashSlots[0].
  uint32_t variants = 0;
  std::vector<uint64_t> savedOffsets = {320, 384, 448, 512};
  /// The saved value backward_step.0.1 reads (-1: slot 1's).
  int32_t backwardOneReads = -1;
  /// forward_step.0.1 copies one more time.
  bool extraInstruction = false;
};

std::vector<uint8_t> buildStashArtifact(const StashSpec &spec);

/// Knobs of a pipeline-parallel root: |stages| stage programs (by default
/// buildArtifact's with the root's mesh, stage s's pipeline_stage and the
/// weight named "w<s>"), no program of its own.
struct PipelineSpec {
  std::vector<std::string> meshAxes = {"dp", "pp", "tp"};
  std::vector<int64_t> meshShape = {1, 2, 1};
  uint32_t microBatches = 4;
  /// The stage programs' bytes; empty: the defaults above, one per pp.
  std::vector<std::vector<uint8_t>> stages;
  /// Also give the root the program of buildArtifact({}) (corrupt).
  bool rootProgram = false;
};

/// The stage Spec buildPipelineArtifact uses for stage |stage| of |pipeline|.
Spec stageSpec(const PipelineSpec &pipeline, int32_t stage);

std::vector<uint8_t> buildPipelineArtifact(const PipelineSpec &spec);

} // namespace strata::runtime::testing_support

#endif // STRATA_RUNTIME_ARTIFACT_ARTIFACT_TEST_SUPPORT_H

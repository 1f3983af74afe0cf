//===- artifact_version.h - the artifact format version --------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// One definition for the compiler, which writes this version, and the
// runtime, which reads the same major and any minor up to this one.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_ARTIFACT_ARTIFACT_VERSION_H
#define STRATA_RUNTIME_ARTIFACT_ARTIFACT_VERSION_H

#include <cstdint>

namespace strata::runtime {

inline constexpr uint16_t kArtifactVersionMajor = 0;
// 0.2: the fused kernels BiasGelu, BiasGeluGrad, BiasDropoutAdd and
// BiasDropoutAddGrad.
// 0.3: KV-cache inference: the buffer category KVCache and the kernels
// CacheWrite, CachedAttention and TakePositions (strata-compile --mode
// infer).
// 0.4: partitioned programs: the mesh, parameter splits, shard axes and
// the collective kernels.
// 0.5: pipeline parallelism: one program per stage (pipeline_stages), the
// kernels Send and Recv, parameters shared between stages; the distributed
// optimizer (Parameter.optimizer_split_axis, the kernels
// ReduceScatterGradients and GatherParameters, AdamW and GradSquareSum on
// a shard axis).
// 0.6: the compile target (Artifact.target).
// 0.7: the pipeline stash in the arena: the buffer category PipelineStash,
// Artifact.pipeline_stash_slots and one variant of a chunk's step functions
// per stash slot (forward_step.c.s, backward_step.c.s).
// 0.8: mixed precision: the buffer category MainParameter,
// Parameter.main_value (gradient and moment slots then F32 beside a BF16/F16
// parameter), the kernels Cast, ParamFromMain and Unscale, and AdamW's
// optional operand that skips a step with a non-finite gradient norm.
// 0.9: gradient buckets in the arena: the buffer category GradientBucket,
// the operand of ReduceGradients, ReduceScatterGradients and
// GatherParameters (an older artifact of these is refused: recompile).
// 0.10: the model family as data (Artifact.model_family); checkpoints of an
// older artifact are refused: recompile.
// 0.11: prompt learning: the kernels InsertVirtualTokens,
// MaskVirtualTokens, VirtualTokenTableGrad, Relu, ReluGrad, Scale, Lstm and
// LstmGrad; labels
// of -1 are ignored by the cross-entropy kernels, and VocabParallelLoss
// takes the labels (an older artifact with it is refused by the operand
// count: recompile); Artifact.prompt_tasks and virtual_prompt_style.
// 0.12: prompt tasks without virtual tokens (LoRA alone on task data):
// prompt_tasks without virtual_prompt_style, each with total_virtual_tokens
// 0 (a 0.11 reader would refuse them as data loss).
// 0.13: prompt learning for inference: a p-tuning training artifact's
// prompt_tables function (Function.result_names: each task's table), whose
// results checkpoints carry, and an inference artifact's tables as
// parameters instead of the encoders; Artifact.lora_merge (--merge-lora).
// 0.14: vocabulary padding: Artifact.vocab_size (the real vocabulary) and
// the optional last integer attribute valid_vocab of CrossEntropy(Grad),
// VocabParallelStats and VocabParallelCrossEntropyGrad (logits at vocabulary
// ids >= it are padding, outside the softmax).
// Also 0.14: paged KV caches (strata-compile --kv-block-size): CacheWrite's and
// CachedAttention's optional last operand, a block table [B, W] i32, over
// KVCache buffers [blocks, block_size, groups, head_dim]; Input buffers
// named by their argument's tfm.name (prefill.block_table), by which the
// runtime finds optional arguments.
// Also 0.14: int8 weight-only quantization: DType I8, Parameter.scales, the
// kernels QuantizedMatmul and QuantizedEmbedding.
// Also 0.14: LayerNorm's and LayerNormGrad's optional integer attribute
// zero_centered_gamma (NeMo's layernorm1p: the norm scales by 1 + gamma),
// written only when 1.
// 0.15: the description's training hyperparameters
// (Artifact.training_settings), the defaults of strata-run train.
inline constexpr uint16_t kArtifactVersionMinor = 15;

} // namespace strata::runtime

#endif // STRATA_RUNTIME_ARTIFACT_ARTIFACT_VERSION_H

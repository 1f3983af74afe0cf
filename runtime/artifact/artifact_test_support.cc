//===- artifact_test_support.cc - small artifacts for tests ---------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/artifact/artifact_test_support.h"

#include "runtime/artifact/artifact_checksum.h"

namespace strata::runtime::testing_support {

namespace fb = ::strata::artifact;

std::vector<uint8_t> buildArtifact(const Spec &spec) {
  flatbuffers::FlatBufferBuilder b;
  auto buffer = [&](const char *name, fb::BufferCategory category,
                    std::vector<int64_t> shape, uint64_t offset, uint64_t size,
                    fb::DType dtype = fb::DType::F32) {
    return fb::CreateBufferDirect(b, name, category, dtype, &shape, offset,
                                  size);
  };
  const bool mixed = spec.mixedPrecision;
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers = {
      buffer("w", fb::BufferCategory::Parameter, spec.weightShape,
             spec.weightOffset, mixed ? spec.weightSize / 2 : spec.weightSize,
             spec.weightDType ? *spec.weightDType
             : mixed          ? fb::DType::BF16
                              : fb::DType::F32),                      // 0
      buffer("w.grad", fb::BufferCategory::Gradient, {4, 8}, 128,
             mixed ? 32 * dtypeSize(spec.gradDType) : 128,
             mixed ? spec.gradDType : fb::DType::F32),                // 1
      buffer("w.m", fb::BufferCategory::OptimizerState, spec.momentShape, 256,
             spec.momentSize),
      buffer("w.v", fb::BufferCategory::OptimizerState, spec.momentShape, 384,
             spec.momentSize),
      // The matmul computes in BF16 under mixed precision.
      buffer("x", fb::BufferCategory::Input, {2, 8}, 512, mixed ? 32 : 64,
             mixed ? fb::DType::BF16 : fb::DType::F32),              // 4
      buffer("y", fb::BufferCategory::Output, {2, 4}, 576, mixed ? 16 : 32,
             mixed ? fb::DType::BF16 : fb::DType::F32),              // 5
      buffer("lr", fb::BufferCategory::Input, {}, 640, 4),         // 6
  };
  if (mixed)
    buffers.push_back(buffer("w.main", spec.mainCategory, spec.momentShape,
                             704, spec.momentSize / 4 * dtypeSize(spec.mainDType),
                             spec.mainDType)); // 7
  const uint32_t bucket = uint32_t(buffers.size());
  if (spec.reduceGradients)
    buffers.push_back(
        buffer("bucket", spec.bucketCategory, {spec.bucketElements}, 896,
               uint64_t(spec.bucketElements) * dtypeSize(spec.bucketDType),
               spec.bucketDType));
  std::vector<flatbuffers::Offset<fb::Parameter>> parameters = {
      fb::CreateParameterDirect(
          b, spec.weightName.c_str(), 0, spec.gradSlot,
          spec.weightTrainable ? 2 : -1, spec.weightTrainable ? 3 : -1,
          fb::InitKind::Normal, 0.02, spec.weightTrainable, true,
          spec.weightGlobalShape.empty() ? nullptr : &spec.weightGlobalShape,
          spec.splitDim, spec.splitAxis, spec.sharedWithStage,
          spec.optimizerSplitAxis, mixed ? 7 : -1, spec.weightScales)};
  std::vector<uint32_t> results = {5};
  std::vector<flatbuffers::Offset<fb::Instruction>> forward = {
      fb::CreateInstructionDirect(b, spec.matmulKernel, &spec.matmulOperands,
                                  &results, &spec.matmulInts, nullptr,
                                  "output")};
  std::vector<uint32_t> scalars(mixed ? 8 : 7, 6);
  std::vector<int64_t> adamwInts = {spec.adamwParameter};
  std::vector<int64_t> roundInts = {spec.paramFromMainParameter};
  std::vector<flatbuffers::Offset<fb::Instruction>> optimizer = {
      fb::CreateInstructionDirect(b, fb::Kernel::AdamW, &scalars, nullptr,
                                  &adamwInts, nullptr, "w")};
  if (mixed)
    optimizer.push_back(fb::CreateInstructionDirect(
        b, fb::Kernel::ParamFromMain, nullptr, nullptr, &roundInts, nullptr,
        "w"));
  std::vector<uint32_t> forwardArgs = {4};
  std::vector<flatbuffers::Offset<fb::Function>> functions = {
      fb::CreateFunctionDirect(b, "forward", &forwardArgs, &results, &forward),
      fb::CreateFunctionDirect(b, "optimizer_step", nullptr, nullptr,
                               &optimizer)};
  if (spec.reduceGradients) {
    const std::vector<uint32_t> operands =
        spec.bucketOperands.value_or(std::vector<uint32_t>{bucket});
    const std::vector<int64_t> ints = {1, 0};
    std::vector<flatbuffers::Offset<fb::Instruction>> reduce = {
        fb::CreateInstructionDirect(b, fb::Kernel::ReduceGradients, &operands,
                                    nullptr, &ints, nullptr, "gradients")};
    functions.push_back(fb::CreateFunctionDirect(b, "reduce_gradients", nullptr,
                                                 nullptr, &reduce));
  }
  std::vector<uint64_t> peaks(7, 0);
  auto plan = fb::CreateMemoryPlanDirect(b, spec.arenaSize, &peaks, 96, 96);
  std::vector<flatbuffers::Offset<flatbuffers::String>> axes;
  for (const std::string &axis : spec.meshAxes)
    axes.push_back(b.CreateString(axis));
  std::vector<flatbuffers::Offset<fb::PromptTask>> tasks;
  for (const PromptTask &task : spec.promptTasks)
    tasks.push_back(fb::CreatePromptTaskDirect(
        b, task.name.c_str(), task.templateText.c_str(),
        task.totalVirtualTokens, &task.virtualTokenSplits,
        task.truncateField.c_str(), task.answerOnlyLoss,
        task.answerField.c_str(), task.trained));
  auto root = fb::CreateArtifactDirect(
      b, spec.versionMajor, spec.versionMinor, "tiny", "model: {}", "{}", "{}",
      spec.microBatches, &buffers, &parameters, &functions, plan,
      spec.meshAxes.empty() ? nullptr : &axes,
      spec.meshShape.empty() ? nullptr : &spec.meshShape, nullptr,
      spec.pipelineStage, spec.pipelineChunks, /*target=*/nullptr,
      /*pipeline_stash_slots=*/nullptr, spec.modelFamily,
      tasks.empty() ? nullptr : &tasks,
      spec.virtualPromptStyle.empty() ? nullptr
                                      : spec.virtualPromptStyle.c_str());
  fb::FinishSizePrefixedArtifactBuffer(b, root);
  std::vector<uint8_t> bytes(b.GetBufferPointer(),
                             b.GetBufferPointer() + b.GetSize());
  appendArtifactChecksum(bytes);
  return bytes;
}

Spec stageSpec(const PipelineSpec &pipeline, int32_t stage) {
  Spec spec;
  spec.meshAxes = pipeline.meshAxes;
  spec.meshShape = pipeline.meshShape;
  spec.microBatches = pipeline.microBatches;
  spec.pipelineStage = stage;
  spec.weightName = "w" + std::to_string(stage);
  return spec;
}

std::vector<uint8_t> buildPipelineArtifact(const PipelineSpec &spec) {
  std::vector<std::vector<uint8_t>> programs = spec.stages;
  if (programs.empty())
    for (size_t i = 0; i < spec.meshAxes.size(); ++i)
      if (spec.meshAxes[i] == "pp")
        for (int32_t s = 0; s < spec.meshShape[i]; ++s)
          programs.push_back(buildArtifact(stageSpec(spec, s)));
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::PipelineStage>> stages;
  for (const std::vector<uint8_t> &program : programs)
    stages.push_back(fb::CreatePipelineStageDirect(b, &program));
  std::vector<flatbuffers::Offset<flatbuffers::String>> axes;
  for (const std::string &axis : spec.meshAxes)
    axes.push_back(b.CreateString(axis));
  // A root with a program of its own besides its stages is corrupt; tests
  // build one from buildArtifact's program.
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers;
  std::vector<flatbuffers::Offset<fb::Function>> functions;
  if (spec.rootProgram) {
    std::vector<int64_t> shape = {2, 8};
    buffers.push_back(fb::CreateBufferDirect(b, "x", fb::BufferCategory::Input,
                                             fb::DType::F32, &shape, 0, 64));
    std::vector<uint32_t> args = {0};
    functions.push_back(
        fb::CreateFunctionDirect(b, "forward", &args, nullptr, nullptr));
  }
  auto root = fb::CreateArtifactDirect(
      b, kArtifactVersionMajor, kArtifactVersionMinor, "tiny", "model: {}",
      "{}", "{}", spec.microBatches, spec.rootProgram ? &buffers : nullptr,
      nullptr, spec.rootProgram ? &functions : nullptr, 0, &axes,
      &spec.meshShape, &stages);
  fb::FinishSizePrefixedArtifactBuffer(b, root);
  std::vector<uint8_t> bytes(b.GetBufferPointer(),
                             b.GetBufferPointer() + b.GetSize());
  appendArtifactChecksum(bytes);
  return bytes;
}

std::vector<uint8_t> buildCacheArtifact(const CacheSpec &spec) {
  flatbuffers::FlatBufferBuilder b;
  uint64_t offset = 0;
  auto buffer = [&](const char *name, fb::BufferCategory category,
                    std::vector<int64_t> shape,
                    fb::DType dtype = fb::DType::F32) {
    uint64_t size = dtypeSize(dtype);
    for (int64_t dim : shape)
      size *= uint64_t(dim);
    auto made = fb::CreateBufferDirect(b, name, category, dtype, &shape,
                                       offset, size);
    offset += (size + 63) / 64 * 64;
    return made;
  };
  using C = fb::BufferCategory;
  const std::vector<int64_t> cacheShape =
      spec.paged ? std::vector<int64_t>{3, 2, 1, 2}
                 : std::vector<int64_t>{2, 4, 1, 2};
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers = {
      buffer("layers.0.attention.key_cache", spec.cacheCategory, cacheShape),
      buffer("layers.0.attention.value_cache", spec.cacheCategory,
             cacheShape),
      buffer("q", C::Input, {2, 1, 2, 2}),
      buffer("k", C::Input, {2, 1, 1, 2}),
      buffer("v", C::Input, {2, 1, 1, 2}),
      buffer("positions", C::Input, {2, 1}, fb::DType::I32),
      buffer("out", C::Output, {2, 1, 2, 2}),
  };
  std::vector<uint32_t> writeKey = {3, 5}, writeValue = {4, 5}, keyCache = {0},
                        valueCache = {1}, out = {6};
  std::vector<uint32_t> attentionOperands = spec.attentionOperands;
  std::vector<uint32_t> arguments = {2, 3, 4, 5};
  if (spec.paged) {
    buffers.push_back(buffer("block_table", C::Input, {2, 2}, fb::DType::I32));
    for (std::vector<uint32_t> *operands :
         {&writeKey, &writeValue, &attentionOperands, &arguments})
      operands->push_back(7);
  }
  std::vector<int64_t> ints = {spec.causal};
  std::vector<double> floats = {spec.scale};
  std::vector<flatbuffers::Offset<fb::Instruction>> decode = {
      fb::CreateInstructionDirect(b, fb::Kernel::CacheWrite, &writeKey,
                                  &keyCache, nullptr, nullptr,
                                  "layers.0.attention.key_cache"),
      fb::CreateInstructionDirect(b, fb::Kernel::CacheWrite, &writeValue,
                                  &valueCache, nullptr, nullptr,
                                  "layers.0.attention.value_cache"),
      fb::CreateInstructionDirect(b, fb::Kernel::CachedAttention,
                                  &attentionOperands, &out, &ints,
                                  &floats, "layers.0.attention.core")};
  std::vector<flatbuffers::Offset<fb::Function>> functions = {
      fb::CreateFunctionDirect(b, "decode", &arguments, &out, &decode)};
  std::vector<uint64_t> peaks(8, 0);
  auto plan = fb::CreateMemoryPlanDirect(b, offset, &peaks, 0, 0);
  std::vector<flatbuffers::Offset<fb::Parameter>> parameters;
  auto root = fb::CreateArtifactDirect(
      b, kArtifactVersionMajor, kArtifactVersionMinor, "cache", "model: {}",
      "{}", "{}", 1, &buffers, &parameters, &functions, plan);
  fb::FinishSizePrefixedArtifactBuffer(b, root);
  std::vector<uint8_t> bytes(b.GetBufferPointer(),
                             b.GetBufferPointer() + b.GetSize());
  appendArtifactChecksum(bytes);
  return bytes;
}

std::vector<uint8_t> buildStashArtifact(const StashSpec &spec) {
  flatbuffers::FlatBufferBuilder b;
  using C = fb::BufferCategory;
  const uint32_t variants = spec.variants ? spec.variants : spec.stashSlots[0];
  auto buffer = [&](const std::string &name, C category, fb::DType dtype,
                    std::vector<int64_t> shape, uint64_t offset) {
    uint64_t size = dtypeSize(dtype);
    for (int64_t dim : shape)
      size *= uint64_t(dim);
    return fb::CreateBufferDirect(b, name.c_str(), category, dtype, &shape,
                                  offset, size);
  };
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers = {
      buffer("tokens", C::Input, fb::DType::I32, {2, 4}, 0),
      buffer("positions", C::Input, fb::DType::I32, {2, 4}, 64),
      buffer("labels", C::Input, fb::DType::I32, {2, 4}, 128),
      buffer("out", C::Activation, fb::DType::I32, {2, 4}, 192),
      buffer("loss_scale", C::Input, fb::DType::F32, {}, 256)};
  for (uint32_t s = 0; s < variants; ++s)
    buffers.push_back(buffer("saved (stash slot " + std::to_string(s) + ")",
                             C::PipelineStash, fb::DType::I32, {2, 4},
                             spec.savedOffsets[s]));
  std::vector<flatbuffers::Offset<fb::Function>> functions;
  for (uint32_t s = 0; s < variants; ++s) {
    const uint32_t saved = 5 + s;
    const uint32_t read = s == 1 && spec.backwardOneReads >= 0
                              ? uint32_t(spec.backwardOneReads)
                              : saved;
    std::vector<uint32_t> tokens = {0}, savedList = {saved}, readList = {read},
                          out = {3};
    std::vector<flatbuffers::Offset<fb::Instruction>> forward, backward;
    for (int i = 0; i < (s == 1 && spec.extraInstruction ? 2 : 1); ++i)
      forward.push_back(fb::CreateInstructionDirect(
          b, fb::Kernel::Copy, &tokens, &savedList, nullptr, nullptr, "save"));
    backward.push_back(fb::CreateInstructionDirect(
        b, fb::Kernel::Copy, &readList, &out, nullptr, nullptr, "read"));
    std::vector<uint32_t> forwardArgs = {0, 1, 2},
                          backwardArgs = {0, 1, 2, 4, read};
    const std::string slot = ".0." + std::to_string(s);
    functions.push_back(
        fb::CreateFunctionDirect(b, ("forward_step" + slot).c_str(),
                                 &forwardArgs, &savedList, &forward));
    functions.push_back(
        fb::CreateFunctionDirect(b, ("backward_step" + slot).c_str(),
                                 &backwardArgs, nullptr, &backward));
  }
  std::vector<uint64_t> peaks(9, 0);
  auto plan = fb::CreateMemoryPlanDirect(b, 1024, &peaks, 0, 0);
  std::vector<flatbuffers::Offset<fb::Parameter>> parameters;
  std::vector<std::string> axisNames = {"dp", "pp", "tp"};
  std::vector<flatbuffers::Offset<flatbuffers::String>> axes;
  for (const std::string &axis : axisNames)
    axes.push_back(b.CreateString(axis));
  std::vector<int64_t> meshShape = {1, 2, 1};
  auto root = fb::CreateArtifactDirect(
      b, kArtifactVersionMajor, kArtifactVersionMinor, "stash", "model: {}",
      "{}", "{}", 4, &buffers, &parameters, &functions, plan, &axes, &meshShape,
      nullptr, /*pipeline_stage=*/0, /*pipeline_chunks=*/1, /*target=*/"cpu",
      &spec.stashSlots);
  fb::FinishSizePrefixedArtifactBuffer(b, root);
  std::vector<uint8_t> bytes(b.GetBufferPointer(),
                             b.GetBufferPointer() + b.GetSize());
  appendArtifactChecksum(bytes);
  return bytes;
}

} // namespace strata::runtime::testing_support

//===- artifact_loader_test.cc - tests of the artifact checks -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/artifact/artifact_loader.h"
#include "runtime/artifact/artifact_test_support.h"
#include "runtime/artifact/kernel_signatures.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace strata::runtime {
namespace {

namespace fb = strata::artifact;
using testing_support::buildArtifact;
using testing_support::Spec;

std::string loadError(const Spec &spec) {
  auto loaded = loadArtifactFromBytes(buildArtifact(spec), "m.strata");
  return loaded.isOk() ? "ok" : loaded.status().message();
}

TEST(ArtifactLoaderTest, ValidArtifactLoads) {
  auto loaded = loadArtifactFromBytes(buildArtifact({}), "m.strata");
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->root().model_name()->str(), "tiny");
  ASSERT_NE(loaded->findFunction("forward"), nullptr);
  EXPECT_EQ(loaded->findFunction("backward"), nullptr);
}

TEST(ArtifactLoaderTest, KVCacheArtifactLoads) {
  auto loaded = loadArtifactFromBytes(
      testing_support::buildCacheArtifact({}), "c.strata");
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->root().buffers()->Get(0)->category(),
            fb::BufferCategory::KVCache);
  ASSERT_NE(loaded->findFunction("decode"), nullptr);
}

TEST(ArtifactLoaderTest, EverySignatureMatchesItsEnumValue) {
  const auto &signatures = allKernelSignatures();
  ASSERT_EQ(signatures.size(), static_cast<size_t>(fb::Kernel::MAX) + 1);
  for (size_t i = 0; i < signatures.size(); ++i)
    EXPECT_EQ(static_cast<size_t>(signatures[i].kernel), i)
        << signatures[i].name;
  EXPECT_EQ(lookupKernelSignature(static_cast<fb::Kernel>(999)), nullptr);
}

std::string stashError(const testing_support::StashSpec &spec) {
  auto loaded = loadArtifactFromBytes(testing_support::buildStashArtifact(spec),
                                      "stage.strata");
  return loaded.isOk() ? "ok" : loaded.status().message();
}

TEST(ArtifactLoaderTest, StashSlotVariantsLoad) {
  auto loaded = loadArtifactFromBytes(testing_support::buildStashArtifact({}),
                                      "stage.strata");
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->root().pipeline_stash_slots()->Get(0), 2u);
  EXPECT_NE(loaded->findFunction("backward_step.0.1"), nullptr);
  EXPECT_EQ(loaded->findFunction("forward_step.0"), nullptr);
}

TEST(ArtifactLoaderTest, StashSlotsAreCheckedAgainstTheirVariants) {
  testing_support::StashSpec spec;
  spec.variants = 1;
  EXPECT_EQ(stashError(spec), "stage.strata: has 2 stash slots for chunk 0 "
                              "but no function 'forward_step.0.1'");
  spec = {};
  spec.stashSlots = {2, 2};
  EXPECT_EQ(stashError(spec), "stage.strata: has the stash slots of 2 chunks "
                              "but is pipeline stage 0 of 1 chunks");
  spec = {};
  spec.stashSlots = {0};
  spec.variants = 1;
  EXPECT_EQ(stashError(spec), "stage.strata: has no stash slot for chunk 0");
  spec = {};
  spec.extraInstruction = true;
  EXPECT_EQ(stashError(spec), "stage.strata: function 'forward_step.0.1' has "
                              "2 instructions, 'forward_step.0.0' 1");
}

TEST(ArtifactLoaderTest, StashSlotsAreDistinctAndPaired) {
  testing_support::StashSpec spec;
  // Slot 1's backward step reads slot 0's saved value.
  spec.backwardOneReads = 5;
  EXPECT_EQ(stashError(spec),
            "stage.strata: function 'backward_step.0.1' reads other saved "
            "values than 'forward_step.0.1' writes");
  spec = {};
  spec.savedOffsets = {320, 320};
  EXPECT_EQ(stashError(spec),
            "stage.strata: stash buffers 5 and 6 overlap in the arena");
  spec = {};
  spec.stashSlots = {3};
  spec.savedOffsets = {320, 384, 320};
  EXPECT_EQ(stashError(spec),
            "stage.strata: stash buffers 5 and 7 overlap in the arena");
}

TEST(ArtifactLoaderTest, WrongVersionIsRefusedWithBothVersions) {
  Spec spec;
  spec.versionMajor = kArtifactVersionMajor + 1;
  auto loaded = loadArtifactFromBytes(buildArtifact(spec), "m.strata");
  ASSERT_FALSE(loaded.isOk());
  EXPECT_EQ(loaded.status().code(), StatusCode::kFailedPrecondition);
  const std::string refused =
      "format version " + std::to_string(kArtifactVersionMajor + 1) + "." +
      std::to_string(kArtifactVersionMinor);
  EXPECT_NE(loaded.status().message().find(refused), std::string::npos)
      << loaded.status().message();
  spec = {};
  spec.versionMinor = kArtifactVersionMinor + 1;
  EXPECT_NE(loadError(spec).find("recompile the model"), std::string::npos);
}

TEST(ArtifactLoaderTest, NotAnArtifact) {
  std::vector<uint8_t> text(64, 'x');
  auto loaded = loadArtifactFromBytes(text, "notes.txt");
  ASSERT_FALSE(loaded.isOk());
  EXPECT_NE(loaded.status().message().find("not a Strata artifact"),
            std::string::npos);
  auto tiny = loadArtifactFromBytes({1, 2, 3}, "t.strata");
  EXPECT_NE(tiny.status().message().find("3 bytes is too short"),
            std::string::npos);
  std::vector<uint8_t> longer = buildArtifact({});
  longer.push_back(0);
  EXPECT_NE(loadArtifactFromBytes(longer, "long.strata")
                .status()
                .message()
                .find("but the file has"),
            std::string::npos);
}

TEST(ArtifactLoaderTest, EveryTruncationIsAnErrorNotACrash) {
  std::vector<uint8_t> bytes = buildArtifact({});
  for (size_t length = 0; length < bytes.size(); ++length) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + length);
    auto loaded = loadArtifactFromBytes(prefix, "cut.strata");
    EXPECT_FALSE(loaded.isOk()) << "a " << length << "-byte prefix loaded";
  }
}

TEST(ArtifactLoaderTest, EverySingleBitFlipIsRejected) {
  // The checksum trailer catches flips the FlatBuffers verifier cannot see
  // (a string, a float attribute, a shape that stays consistent).
  const std::vector<uint8_t> bytes = buildArtifact({});
  for (size_t byte = 0; byte < bytes.size(); ++byte)
    for (int bit = 0; bit < 8; bit += 3) {
      std::vector<uint8_t> mutated = bytes;
      mutated[byte] ^= uint8_t(1u << bit);
      auto loaded = loadArtifactFromBytes(mutated, "flipped.strata");
      ASSERT_FALSE(loaded.isOk()) << "byte " << byte << " bit " << bit;
      EXPECT_NE(loaded.status().message().find("flipped.strata: "),
                std::string::npos);
    }
  std::vector<uint8_t> mutated = bytes;
  mutated[bytes.size() / 2] ^= 0x10;
  auto loaded = loadArtifactFromBytes(mutated, "flipped.strata");
  ASSERT_FALSE(loaded.isOk());
  EXPECT_NE(loaded.status().message().find("checksum mismatch"),
            std::string::npos)
      << loaded.status().message();
}

TEST(ArtifactLoaderTest, BufferOutsideTheArena) {
  Spec spec;
  spec.arenaSize = 600;
  EXPECT_EQ(loadError(spec),
            "m.strata: buffer 5 'y' spans [576, 608) beyond the arena of 600 "
            "bytes");
}

TEST(ArtifactLoaderTest, MisalignedBuffer) {
  Spec spec;
  spec.weightOffset = 8;
  EXPECT_EQ(loadError(spec), "m.strata: buffer 0 'w' starts at offset 8, not "
                             "a multiple of 64");
}

TEST(ArtifactLoaderTest, SizeThatDisagreesWithTheShape) {
  Spec spec;
  spec.weightShape = {4, 9};
  EXPECT_EQ(loadError(spec), "m.strata: buffer 0 'w' declares 128 bytes but "
                             "its shape and type need 144");
  spec = {};
  spec.weightShape = {4, -8};
  EXPECT_EQ(loadError(spec), "m.strata: buffer 0 'w' has negative dimension -8");
}

TEST(ArtifactLoaderTest, InstructionChecks) {
  Spec spec;
  spec.matmulOperands = {4, 17};
  EXPECT_EQ(loadError(spec), "m.strata: function 'forward' instruction 0 "
                             "(matmul) refers to buffer 17 of 7");
  spec = {};
  spec.matmulOperands = {4};
  EXPECT_EQ(loadError(spec), "m.strata: function 'forward' instruction 0 "
                             "(matmul) has 1 operands, expected 2");
  spec = {};
  spec.matmulInts = {};
  EXPECT_EQ(loadError(spec), "m.strata: function 'forward' instruction 0 "
                             "(matmul) has 0 integer attributes, expected 1");
  spec = {};
  spec.matmulKernel = static_cast<fb::Kernel>(4000);
  EXPECT_EQ(loadError(spec), "m.strata: function 'forward' instruction 0 "
                             "uses unknown kernel 4000");
}

TEST(ArtifactLoaderTest, ParameterSlotsMatchTrainability) {
  Spec spec;
  spec.gradSlot = -1;
  EXPECT_EQ(loadError(spec), "m.strata: parameter 0 'w' is trainable but has "
                             "no gradient slot");
  spec = {};
  spec.gradSlot = 2;
  EXPECT_EQ(loadError(spec), "m.strata: parameter 0 'w' gradient buffer 2 has "
                             "the wrong category");
  spec = {};
  spec.adamwParameter = 3;
  EXPECT_EQ(loadError(spec), "m.strata: function 'optimizer_step' instruction "
                             "0 (adamw) updates parameter 3 of 1");
}

/// The distributed optimizer over dp = 2: moments of 16 of the 32 floats.
Spec splitOverDp() {
  Spec spec;
  spec.meshAxes = {"dp"};
  spec.meshShape = {2};
  spec.optimizerSplitAxis = 0;
  spec.momentShape = {16};
  spec.momentSize = 64;
  return spec;
}

TEST(ArtifactLoaderTest, SplitMomentsHoldOneBlockOfTheParameter) {
  Spec spec = splitOverDp();
  EXPECT_EQ(loadError(spec), "ok");
  spec.momentShape = {4, 8};
  spec.momentSize = 128;
  EXPECT_EQ(loadError(spec), "m.strata: parameter 0 'w' first moment buffer 2 "
                             "has 32 elements, the parameter 32 in 2 blocks");
  spec.optimizerSplitAxis = 1;
  EXPECT_EQ(loadError(spec), "m.strata: parameter 0 'w' splits its optimizer "
                             "state over mesh axis 1 of 1");
}

TEST(ArtifactLoaderTest, Int8ParametersNeedFrozenF32ScalesOverTheirRows) {
  // Int8 weight-only quantization (format 0.14): an I8 weight names F32
  // scales over its leading dimensions; nothing else has scales.
  Spec spec;
  spec.weightDType = fb::DType::I8;
  spec.weightSize = 32;
  spec.weightTrainable = false;
  spec.gradSlot = -1;
  EXPECT_EQ(loadError(spec), "m.strata: parameter 0 'w' is I8 but has no scales");
  spec.weightScales = 0; // itself: I8, not F32 over [4]
  spec.weightGlobalShape = {4, 8};
  EXPECT_EQ(loadError(spec), "m.strata: parameter 0 'w' has scales 'w' that "
                             "are not F32 over its leading dimensions");
  spec.weightScales = 3;
  EXPECT_EQ(loadError(spec), "m.strata: parameter 0 'w' has scales 3; "
                             "expected a frozen I8 parameter and one of the 1 "
                             "parameters");
  spec = {};
  spec.weightScales = 0;
  EXPECT_EQ(loadError(spec), "m.strata: parameter 0 'w' has scales 0; "
                             "expected a frozen I8 parameter and one of the 1 "
                             "parameters");
}

TEST(ArtifactLoaderTest, MainParameterIsAnF32SlotOfAHalfParameter) {
  // Mixed precision O2: a BF16 weight, its F32 main parameter, F32
  // gradient and moments, AdamW with the norm, ParamFromMain.
  Spec spec;
  spec.mixedPrecision = true;
  EXPECT_EQ(loadError(spec), "ok");
  spec.mainDType = fb::DType::BF16;
  EXPECT_EQ(loadError(spec), "m.strata: parameter 0 'w' has a BF16 main "
                             "parameter for a BF16 value; expected F32 for "
                             "BF16 or F16");
  spec = {};
  spec.mixedPrecision = true;
  spec.mainCategory = fb::BufferCategory::OptimizerState;
  EXPECT_EQ(loadError(spec), "m.strata: parameter 0 'w' main parameter buffer "
                             "7 is not in the main_parameter category");
  spec = {};
  spec.mixedPrecision = true;
  spec.gradDType = fb::DType::BF16;
  EXPECT_EQ(loadError(spec), "m.strata: parameter 0 'w' gradient buffer 1 is "
                             "BF16, expected F32");
  spec = {};
  spec.mixedPrecision = true;
  spec.weightTrainable = false;
  spec.gradSlot = -1;
  EXPECT_EQ(loadError(spec), "m.strata: parameter 0 'w' is frozen but has a "
                             "main parameter");
}

/// A program over dp 2 with a ReduceGradients (format 0.9).
Spec dataParallel() {
  Spec spec;
  spec.meshAxes = {"dp"};
  spec.meshShape = {2};
  spec.reduceGradients = true;
  return spec;
}

TEST(ArtifactLoaderTest, BucketedCollectivesTakeTheirBucket) {
  Spec spec = dataParallel();
  EXPECT_EQ(loadError(spec), "ok");
  // Format 0.8 and older: no operand, a bucket the runtime allocated.
  spec.bucketOperands = std::vector<uint32_t>{};
  spec.versionMinor = 8;
  auto loaded = loadArtifactFromBytes(buildArtifact(spec), "m.strata");
  ASSERT_FALSE(loaded.isOk());
  EXPECT_EQ(loaded.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(loaded.status().message(),
            "m.strata: function 'reduce_gradients' instruction 0 "
            "(reduce_gradients) packs its gradient buckets outside the arena "
            "(artifact format 0.8); recompile the model");
  // A 0.9 file without one is corrupt.
  spec.versionMinor = kArtifactVersionMinor;
  EXPECT_EQ(loadError(spec), "m.strata: function 'reduce_gradients' "
                             "instruction 0 (reduce_gradients) has 0 "
                             "operands, expected 1");
}

TEST(ArtifactLoaderTest, MainParameterIsSplitLikeTheMoments) {
  Spec spec = splitOverDp();
  spec.mixedPrecision = true;
  EXPECT_EQ(loadError(spec), "ok");
}

TEST(ArtifactLoaderTest, ParamFromMainNeedsAMainParameter) {
  Spec spec;
  spec.mixedPrecision = true;
  spec.paramFromMainParameter = 1;
  EXPECT_EQ(loadError(spec), "m.strata: function 'optimizer_step' instruction "
                             "1 (param_from_main) updates parameter 1 of 1");
  // AdamW reads the norm as its eighth operand, then the rounding follows.
  spec = {};
  spec.mixedPrecision = true;
  auto loaded = loadArtifactFromBytes(buildArtifact(spec), "m.strata");
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  const auto &instructions =
      *loaded->findFunction("optimizer_step")->instructions();
  ASSERT_EQ(instructions.size(), 2u);
  EXPECT_EQ(instructions.Get(0)->operands()->size(), 8u);
  EXPECT_EQ(instructions.Get(1)->kernel(), fb::Kernel::ParamFromMain);
}

//===----------------------------------------------------------------------===//
// Pipeline-parallel roots
//===----------------------------------------------------------------------===//

using testing_support::buildPipelineArtifact;
using testing_support::PipelineSpec;
using testing_support::stageSpec;

std::string pipelineError(const PipelineSpec &spec) {
  auto loaded = loadArtifactFromBytes(buildPipelineArtifact(spec), "p.strata");
  return loaded.isOk() ? "ok" : loaded.status().message();
}

TEST(ArtifactLoaderTest, PipelineRootLoadsEveryStage) {
  auto loaded = loadArtifactFromBytes(buildPipelineArtifact({}), "p.strata");
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_TRUE(loaded->isPipelineRoot());
  EXPECT_EQ(loaded->findFunction("forward"), nullptr);
  ASSERT_EQ(loaded->pipelineStages().size(), 2u);
  auto stage = loaded->pipelineStage(1);
  ASSERT_TRUE(stage.isOk()) << stage.status().toString();
  EXPECT_FALSE(stage->isPipelineRoot());
  EXPECT_EQ(stage->path(), "p.strata (pipeline stage 1)");
  EXPECT_EQ(stage->root().pipeline_stage(), 1);
  EXPECT_EQ(stage->root().parameters()->Get(0)->name()->str(), "w1");
  EXPECT_NE(stage->findFunction("forward"), nullptr);
  // A stage sees its siblings (the whole model's parameters).
  ASSERT_EQ(stage->pipelineStages().size(), 2u);
  EXPECT_EQ(stage->pipelineStages()[0].root().pipeline_stage(), 0);
  EXPECT_EQ(loaded->pipelineStage(2).status().message(),
            "p.strata: pipeline stage 2 does not exist (the artifact has 2)");
  auto plain = loadArtifactFromBytes(buildArtifact({}), "m.strata");
  ASSERT_TRUE(plain.isOk());
  EXPECT_FALSE(plain->isPipelineRoot());
  EXPECT_TRUE(plain->pipelineStages().empty());
  EXPECT_FALSE(plain->pipelineStage(0).isOk());
}

TEST(ArtifactLoaderTest, CorruptStageIsAnErrorNamingTheStage) {
  PipelineSpec spec;
  std::vector<uint8_t> good = buildArtifact(stageSpec(spec, 0));
  std::vector<uint8_t> flipped = buildArtifact(stageSpec(spec, 1));
  flipped[flipped.size() / 2] ^= 0x10;
  spec.stages = {good, flipped};
  EXPECT_NE(pipelineError(spec).find("p.strata (pipeline stage 1): the "
                                     "artifact is corrupt: checksum mismatch"),
            std::string::npos)
      << pipelineError(spec);
  std::vector<uint8_t> cut = buildArtifact(stageSpec(spec, 1));
  cut.resize(cut.size() - 5);
  spec.stages = {good, cut};
  EXPECT_NE(pipelineError(spec).find("p.strata (pipeline stage 1): the "
                                     "artifact declares"),
            std::string::npos)
      << pipelineError(spec);
  spec.stages = {good, std::vector<uint8_t>(64, 'x')};
  EXPECT_NE(pipelineError(spec).find("p.strata (pipeline stage 1): not a "
                                     "Strata artifact"),
            std::string::npos);
  spec.stages = {good, {}};
  EXPECT_EQ(pipelineError(spec),
            "p.strata (pipeline stage 1): the stage holds no program");
  // A stage whose program breaks a check names the stage too.
  testing_support::Spec broken = stageSpec(spec, 1);
  broken.matmulOperands = {4, 17};
  spec.stages = {good, buildArtifact(broken)};
  EXPECT_EQ(pipelineError(spec),
            "p.strata (pipeline stage 1): function 'forward' instruction 0 "
            "(matmul) refers to buffer 17 of 7");
}

TEST(ArtifactLoaderTest, EveryBitFlipOfAPipelineFileIsRejected) {
  const std::vector<uint8_t> bytes = buildPipelineArtifact({});
  for (size_t byte = 0; byte < bytes.size(); byte += 7) {
    std::vector<uint8_t> mutated = bytes;
    mutated[byte] ^= 0x04;
    EXPECT_FALSE(loadArtifactFromBytes(mutated, "p.strata").isOk())
        << "byte " << byte;
  }
}

TEST(ArtifactLoaderTest, PipelineRootWithAProgramIsCorrupt) {
  PipelineSpec spec;
  spec.rootProgram = true;
  EXPECT_EQ(pipelineError(spec),
            "p.strata: holds 2 pipeline stages and also a program of its own "
            "(1 buffers, 1 functions, 0 parameters)");
}

TEST(ArtifactLoaderTest, StagesMustFitTheMesh) {
  PipelineSpec spec;
  spec.stages = {buildArtifact(stageSpec(spec, 0)),
                 buildArtifact(stageSpec(spec, 1))};
  PipelineSpec three = spec;
  three.meshShape = {1, 3, 1};
  EXPECT_EQ(pipelineError(three), "p.strata: holds 2 pipeline stages but its "
                                  "mesh's pp axis has size 3");
  PipelineSpec noPipeline = spec;
  noPipeline.meshAxes = {"dp", "tp"};
  noPipeline.meshShape = {2, 1};
  EXPECT_EQ(pipelineError(noPipeline),
            "p.strata: holds 2 pipeline stages but its mesh has no pp axis");
  PipelineSpec swapped = spec;
  swapped.stages = {spec.stages[1], spec.stages[0]};
  EXPECT_EQ(pipelineError(swapped), "p.strata (pipeline stage 0): declares "
                                    "pipeline_stage 1, expected 0");
  testing_support::Spec other = stageSpec(spec, 1);
  other.meshShape = {2, 2, 1};
  PipelineSpec otherMesh = spec;
  otherMesh.stages[1] = buildArtifact(other);
  EXPECT_EQ(pipelineError(otherMesh), "p.strata (pipeline stage 1): has "
                                      "another mesh than the pipeline "
                                      "artifact");
  other = stageSpec(spec, 1);
  other.microBatches = 8;
  PipelineSpec otherBatches = spec;
  otherBatches.stages[1] = buildArtifact(other);
  EXPECT_EQ(pipelineError(otherBatches),
            "p.strata (pipeline stage 1): has 8 micro-batches, the pipeline "
            "artifact 4");
  other = stageSpec(spec, 1);
  other.pipelineChunks = 2;
  PipelineSpec otherChunks = spec;
  otherChunks.stages[1] = buildArtifact(other);
  EXPECT_EQ(pipelineError(otherChunks), "p.strata (pipeline stage 1): has 2 "
                                        "model chunks, stage 0 has 1");
}

TEST(ArtifactLoaderTest, StagesDoNotNest) {
  PipelineSpec spec;
  spec.stages = {buildArtifact(stageSpec(spec, 0)), buildPipelineArtifact({})};
  EXPECT_EQ(pipelineError(spec),
            "p.strata (pipeline stage 1): holds pipeline stages of its own");
}

TEST(ArtifactLoaderTest, MissingFileIsNotFound) {
  auto loaded = loadArtifact("/nonexistent/dir/m.strata");
  ASSERT_FALSE(loaded.isOk());
  EXPECT_EQ(loaded.status().code(), StatusCode::kNotFound);
  EXPECT_NE(loaded.status().message().find("/nonexistent/dir/m.strata"),
            std::string::npos);
}

} // namespace
} // namespace strata::runtime

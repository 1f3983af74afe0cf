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

TEST(ArtifactLoaderTest, MissingFileIsNotFound) {
  auto loaded = loadArtifact("/nonexistent/dir/m.strata");
  ASSERT_FALSE(loaded.isOk());
  EXPECT_EQ(loaded.status().code(), StatusCode::kNotFound);
  EXPECT_NE(loaded.status().message().find("/nonexistent/dir/m.strata"),
            std::string::npos);
}

} // namespace
} // namespace strata::runtime

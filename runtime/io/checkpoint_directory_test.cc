//===- checkpoint_directory_test.cc - save_pretrained's layout ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/checkpoint_directory.h"

#include "runtime/io/io_test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace strata::runtime::io {
namespace {

namespace fs = std::filesystem;
using testing::randomTensor;
using testing::TempDir;

// Eight tensors of 4 x 25 f32 (400 bytes each) and one of 1000 bytes.
TensorMap someTensors() {
  TensorMap t;
  for (int i = 0; i < 8; ++i)
    t.emplace("layers." + std::to_string(i) + ".weight",
              randomTensor(DType::F32, {4, 25}, 10 + i));
  t.emplace("big.weight", randomTensor(DType::F16, {500}, 99));
  return t;
}

void expectSameTensors(const TensorMap &a, const TensorMap &b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto &[name, tensor] : a) {
    auto it = b.find(name);
    ASSERT_NE(it, b.end()) << "missing " << name;
    EXPECT_TRUE(tensor.bitwiseEquals(it->second)) << name;
  }
}

std::vector<std::string> filesIn(const std::string &directory) {
  std::vector<std::string> names;
  for (const auto &entry : fs::directory_iterator(directory))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string readText(const std::string &path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string errorOf(const Status &status) {
  EXPECT_FALSE(status.isOk());
  return status.message();
}
template <typename T> std::string errorOf(const StatusOr<T> &result) {
  EXPECT_FALSE(result.isOk());
  return result.isOk() ? "" : result.status().message();
}

//===----------------------------------------------------------------------===//
// Sizes and shard plans
//===----------------------------------------------------------------------===//

TEST(CheckpointDirectoryTest, ParsesShardSizesAsTransformersDoes) {
  EXPECT_EQ(parseShardSize("5GB").value(), 5'000'000'000ULL);
  EXPECT_EQ(parseShardSize("200MB").value(), 200'000'000ULL);
  EXPECT_EQ(parseShardSize("10KB").value(), 10'000ULL);
  EXPECT_EQ(parseShardSize("2GiB").value(), 2ULL << 30);
  EXPECT_EQ(parseShardSize("4KiB").value(), 4096ULL);
  EXPECT_EQ(parseShardSize("1.5KB").value(), 1500ULL);
  EXPECT_EQ(parseShardSize("1234").value(), 1234ULL);
  for (const char *bad : {"", "GB", "abc", "5XB", "0", "-1", "0KB", "1e3"})
    EXPECT_EQ(errorOf(parseShardSize(bad)),
              std::string("--max-shard-size ") + bad +
                  " is not a size: a positive number of bytes, optionally "
                  "with a unit (KB, MB, GB; KiB, MiB, GiB), e.g. 5GB")
        << bad;
}

TEST(CheckpointDirectoryTest, PlansShardsInNameOrderUpToTheLimit) {
  TensorMap t = someTensors();
  // big.weight (1000 bytes) first in name order: alone, being over the
  // limit; then the 400-byte layers two by two.
  auto plan = planShards(t, 800);
  ASSERT_EQ(plan.size(), 5u);
  EXPECT_EQ(plan[0], std::vector<std::string>{"big.weight"});
  EXPECT_EQ(plan[1],
            (std::vector<std::string>{"layers.0.weight", "layers.1.weight"}));
  EXPECT_EQ(plan[4],
            (std::vector<std::string>{"layers.6.weight", "layers.7.weight"}));
  EXPECT_EQ(planShards(t, kDefaultMaxShardBytes).size(), 1u);
  EXPECT_EQ(planShards(t, 1).size(), t.size());
  EXPECT_EQ(planShards(TensorMap{}, 100).size(), 1u);
}

//===----------------------------------------------------------------------===//
// Writing and reading back
//===----------------------------------------------------------------------===//

TEST(CheckpointDirectoryTest, WritesOneFileWhenItFits) {
  TempDir dir;
  const std::string out = dir.file("export/nested");
  CheckpointDirectoryOptions options;
  options.extraFiles["config.json"] = "{\"model_type\": \"gpt2\"}\n";
  StatusOr<WrittenCheckpoint> written =
      writeCheckpointDirectory(out, someTensors(), {{"format", "pt"}}, options);
  ASSERT_TRUE(written.isOk()) << written.status().toString();
  EXPECT_EQ(written->shards, 1);
  EXPECT_EQ(written->tensorBytes, 8u * 400 + 1000);
  EXPECT_EQ(filesIn(out),
            (std::vector<std::string>{"config.json", "model.safetensors"}));
  EXPECT_EQ(readText(out + "/config.json"), "{\"model_type\": \"gpt2\"}\n");
  EXPECT_EQ(resolveCheckpointPath(out).value(), out + "/model.safetensors");
  StatusOr<SafetensorsContents> read =
      readSafetensors(out + "/model.safetensors");
  ASSERT_TRUE(read.isOk());
  expectSameTensors(someTensors(), read->tensors);
  EXPECT_EQ(read->metadata, (SafetensorsMetadata{{"format", "pt"}}));
}

TEST(CheckpointDirectoryTest, WritesShardsAndAnIndexAboveTheLimit) {
  TempDir dir;
  CheckpointDirectoryOptions options;
  options.maxShardBytes = 800;
  StatusOr<WrittenCheckpoint> written = writeCheckpointDirectory(
      dir.path(), someTensors(), {{"format", "pt"}, {"strata_step", "7"}},
      options);
  ASSERT_TRUE(written.isOk()) << written.status().toString();
  EXPECT_EQ(written->shards, 5);
  EXPECT_EQ(filesIn(dir.path()),
            (std::vector<std::string>{"model-00001-of-00005.safetensors",
                                      "model-00002-of-00005.safetensors",
                                      "model-00003-of-00005.safetensors",
                                      "model-00004-of-00005.safetensors",
                                      "model-00005-of-00005.safetensors",
                                      "model.safetensors.index.json"}));
  const std::string index = dir.file("model.safetensors.index.json");
  EXPECT_EQ(resolveCheckpointPath(dir.path()).value(), index);
  nlohmann::json json = nlohmann::json::parse(readText(index));
  EXPECT_EQ(json["metadata"]["total_size"], 8 * 400 + 1000);
  EXPECT_EQ(json["metadata"]["strata_step"], "7");
  EXPECT_FALSE(json["metadata"].contains("format"));
  EXPECT_EQ(json["weight_map"].size(), 9u);
  EXPECT_EQ(json["weight_map"]["big.weight"],
            "model-00001-of-00005.safetensors");
  EXPECT_EQ(json["weight_map"]["layers.7.weight"],
            "model-00005-of-00005.safetensors");
  // Each shard carries the metadata, "format": "pt" included.
  StatusOr<SafetensorsHeader> shard =
      inspectSafetensors(dir.file("model-00003-of-00005.safetensors"));
  ASSERT_TRUE(shard.isOk());
  EXPECT_EQ(shard->metadata.at("format"), "pt");
  EXPECT_EQ(shard->entries.size(), 2u);

  SafetensorsMetadata metadata;
  StatusOr<TensorMap> read = readShardedCheckpoint(index, &metadata);
  ASSERT_TRUE(read.isOk()) << read.status().toString();
  expectSameTensors(someTensors(), read.value());
  EXPECT_EQ(metadata.at("total_size"), "4200");
  EXPECT_EQ(metadata.at("strata_step"), "7");
  // A filter skips tensors without reading them.
  read = readShardedCheckpoint(index, nullptr, [](const std::string &name) {
    return name != "big.weight";
  });
  ASSERT_TRUE(read.isOk());
  EXPECT_EQ(read->size(), 8u);
}

TEST(CheckpointDirectoryTest, AnotherFormReplacesTheStaleFiles) {
  TempDir dir;
  std::ofstream(dir.file("notes.txt")) << "kept";
  CheckpointDirectoryOptions sharded;
  sharded.maxShardBytes = 800;
  ASSERT_TRUE(
      writeCheckpointDirectory(dir.path(), someTensors(), {}, sharded).isOk());
  ASSERT_TRUE(writeCheckpointDirectory(dir.path(), someTensors(), {}).isOk());
  EXPECT_EQ(filesIn(dir.path()),
            (std::vector<std::string>{"model.safetensors", "notes.txt"}));
  sharded.maxShardBytes = 2000;
  ASSERT_TRUE(
      writeCheckpointDirectory(dir.path(), someTensors(), {}, sharded).isOk());
  EXPECT_EQ(
      filesIn(dir.path()),
      (std::vector<std::string>{"model-00001-of-00003.safetensors",
                                "model-00002-of-00003.safetensors",
                                "model-00003-of-00003.safetensors",
                                "model.safetensors.index.json", "notes.txt"}));
}

//===----------------------------------------------------------------------===//
// Directories that cannot be written
//===----------------------------------------------------------------------===//

TEST(CheckpointDirectoryTest, ADirectoryThatCannotBeCreatedIsNamed) {
  TempDir dir;
  std::ofstream(dir.file("plain-file")) << "x";
  const std::string out = dir.file("plain-file/export");
  EXPECT_EQ(errorOf(writeCheckpointDirectory(out, someTensors(), {})),
            "cannot create the checkpoint directory " + out +
                ": Not a directory");
  EXPECT_EQ(errorOf(writeCheckpointDirectory(dir.file("plain-file"),
                                             someTensors(), {})),
            "cannot write the checkpoint into " + dir.file("plain-file") +
                ": it exists and is not a directory");
}

TEST(CheckpointDirectoryTest, AReadOnlyDirectoryIsNamedAndLeftEmpty) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root writes into read-only directories";
  TempDir dir;
  const std::string out = dir.file("read-only");
  fs::create_directory(out);
  fs::permissions(out, fs::perms::owner_read | fs::perms::owner_exec);
  std::string message =
      errorOf(writeCheckpointDirectory(out, someTensors(), {}));
  fs::permissions(out, fs::perms::owner_all);
  EXPECT_EQ(message.rfind("cannot write the checkpoint into " + out + ": " +
                              out + "/model.safetensors.tmp.",
                          0),
            0u)
      << message;
  EXPECT_NE(message.find("Permission denied"), std::string::npos) << message;
  EXPECT_TRUE(filesIn(out).empty());
}

TEST(CheckpointDirectoryTest, AFailureLeavesNoFileBehind) {
  TempDir dir;
  CheckpointDirectoryOptions options;
  options.maxShardBytes = 800;
  // The last file cannot be created: every shard was already complete
  // under its temporary name, and none may stay.
  options.extraFiles["no-such-directory/config.json"] = "{}";
  std::string message =
      errorOf(writeCheckpointDirectory(dir.path(), someTensors(), {}, options));
  EXPECT_EQ(message.rfind("cannot write the checkpoint into " + dir.path() +
                              ": " + dir.path() +
                              "/no-such-directory/config.json.tmp.",
                          0),
            0u)
      << message;
  EXPECT_TRUE(filesIn(dir.path()).empty());
}

//===----------------------------------------------------------------------===//
// Reading: directories and bad indexes
//===----------------------------------------------------------------------===//

class ShardedIndexTest : public ::testing::Test {
protected:
  void SetUp() override {
    CheckpointDirectoryOptions options;
    // Three shards: big + layers.0, layers.1-4, layers.5-7.
    options.maxShardBytes = 1600;
    ASSERT_TRUE(writeCheckpointDirectory(dir.path(), someTensors(), {}, options)
                    .isOk());
    index = dir.file("model.safetensors.index.json");
    weightMap = nlohmann::json::parse(readText(index))["weight_map"];
  }
  void writeIndex(const std::string &text) { std::ofstream(index) << text; }
  void writeMap(const nlohmann::json &map) {
    writeIndex(nlohmann::json{{"weight_map", map}}.dump());
  }
  std::string shard(int i) const {
    return "model-0000" + std::to_string(i) + "-of-00003.safetensors";
  }

  TempDir dir;
  std::string index;
  nlohmann::json weightMap;
};

TEST_F(ShardedIndexTest, ADirectoryWithoutACheckpointIsNamed) {
  TempDir empty;
  EXPECT_EQ(errorOf(resolveCheckpointPath(empty.path())),
            empty.path() +
                ": the directory holds neither model.safetensors nor "
                "model.safetensors.index.json");
  EXPECT_EQ(resolveCheckpointPath(empty.file("x.safetensors")).value(),
            empty.file("x.safetensors"));
}

TEST_F(ShardedIndexTest, AnIndexThatIsNotJson) {
  writeIndex("{\"weight_map\": {\"a\": ");
  std::string message = errorOf(readShardedCheckpoint(index));
  EXPECT_EQ(message.rfind(index + ": not valid JSON: ", 0), 0u) << message;
  writeIndex("[1, 2]");
  EXPECT_EQ(errorOf(readShardedCheckpoint(index)),
            index + ": expected an object with a \"weight_map\" object");
}

TEST_F(ShardedIndexTest, AMissingShardNamesTheIndexTheTensorAndTheShard) {
  nlohmann::json map = weightMap;
  map["layers.0.weight"] = "model-00009-of-00009.safetensors";
  writeMap(map);
  EXPECT_EQ(errorOf(readShardedCheckpoint(index)),
            index +
                ": the weight_map places tensor 'layers.0.weight' in "
                "model-00009-of-00009.safetensors, but " +
                dir.file("model-00009-of-00009.safetensors") +
                " does not exist");
  writeMap(weightMap);
  fs::remove(dir.file(shard(3)));
  EXPECT_EQ(errorOf(readShardedCheckpoint(index)),
            index +
                ": the weight_map places tensors 'layers.5.weight', "
                "'layers.6.weight', 'layers.7.weight' in " +
                shard(3) + ", but " + dir.file(shard(3)) + " does not exist");
  fs::remove(dir.file(shard(2)));
  std::string message = errorOf(readShardedCheckpoint(index));
  EXPECT_NE(message.find("tensors 'layers.1.weight', 'layers.2.weight', "
                         "'layers.3.weight' and 1 more in " +
                         shard(2)),
            std::string::npos)
      << message;
}

TEST_F(ShardedIndexTest, AShardLackingATensorTheMapPlacesThere) {
  nlohmann::json map = weightMap;
  map["layers.1.weight"] = shard(3); // it is in shard 2
  writeMap(map);
  EXPECT_EQ(errorOf(readShardedCheckpoint(index)),
            dir.file(shard(3)) + ": lacks layers.1.weight, which " + index +
                " places there (layers.1.weight is in " + shard(2) + ")");
  // A tensor no shard has.
  map = weightMap;
  map["extra.weight"] = shard(1);
  writeMap(map);
  EXPECT_EQ(errorOf(readShardedCheckpoint(index)),
            dir.file(shard(1)) + ": lacks extra.weight, which " + index +
                " places there");
  // A tensor the map does not list.
  map = weightMap;
  map.erase("layers.7.weight");
  writeMap(map);
  EXPECT_EQ(errorOf(readShardedCheckpoint(index)),
            dir.file(shard(3)) + ": holds layers.7.weight, which " + index +
                " does not place there");
}

TEST_F(ShardedIndexTest, ATensorInTwoShards) {
  TensorMap copy;
  copy.emplace("layers.1.weight", randomTensor(DType::F32, {4, 25}, 1));
  ASSERT_TRUE(writeSafetensors(
                  dir.file(shard(3)),
                  [&] {
                    TensorMap t = readSafetensors(dir.file(shard(3)))->tensors;
                    t.merge(copy);
                    return t;
                  }())
                  .isOk());
  EXPECT_EQ(errorOf(readShardedCheckpoint(index)),
            index + ": tensor 'layers.1.weight' is in both " +
                dir.file(shard(2)) + " and " + dir.file(shard(3)) +
                " (the weight_map places it in " + shard(2) + ")");
}

TEST_F(ShardedIndexTest, ATensorMappedTwice) {
  writeIndex("{\"weight_map\": {\"big.weight\": \"" + shard(1) +
             "\", \"big.weight\": \"" + shard(2) + "\"}}");
  EXPECT_EQ(errorOf(readShardedCheckpoint(index)),
            index + ": the key 'big.weight' appears more than once in one "
                    "object");
}

} // namespace
} // namespace strata::runtime::io

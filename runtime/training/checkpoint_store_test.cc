//===- checkpoint_store_test.cc -------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/checkpoint_store.h"

#include "runtime/io/io_test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace strata::runtime::training {
namespace {

namespace fs = std::filesystem;

class LatestLinkTest : public ::testing::Test {
protected:
  std::string step(const char *name) {
    fs::create_directory(dir_ / name);
    return (dir_ / name).string();
  }
  io::testing::TempDir scratch_;
  fs::path dir_ = scratch_.path();
};

TEST_F(LatestLinkTest, PointsAtTheNewestStepAndMovesOn) {
  ASSERT_TRUE(
      linkLatestCheckpoint(dir_.string(), step("step-00000010")).isOk());
  ASSERT_TRUE(fs::is_symlink(dir_ / "latest"));
  EXPECT_EQ(fs::read_symlink(dir_ / "latest"), "step-00000010");
  ASSERT_TRUE(
      linkLatestCheckpoint(dir_.string(), step("step-00000020")).isOk());
  EXPECT_EQ(fs::read_symlink(dir_ / "latest"), "step-00000020");
  // Relative: resolves inside the directory, and no temporary link is left.
  EXPECT_TRUE(fs::equivalent(dir_ / "latest", dir_ / "step-00000020"));
  for (const auto &entry : fs::directory_iterator(dir_))
    EXPECT_NE(entry.path().filename().string().rfind(".tmp-", 0), 0u)
        << entry.path();
}

TEST_F(LatestLinkTest, RefusesToReplaceADirectoryOfTheUser) {
  fs::create_directory(dir_ / "latest");
  Status status = linkLatestCheckpoint(dir_.string(), step("step-00000010"));
  ASSERT_FALSE(status.isOk());
  EXPECT_NE(status.message().find("latest exists and is not a symbolic link"),
            std::string::npos)
      << status.message();
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(dir_ / "latest")));
}

} // namespace
} // namespace strata::runtime::training

//===- progress_test.cc ---------------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/progress.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace strata::runtime::training {
namespace {

std::string captured(std::FILE *file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  char buffer[512];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0)
    text.append(buffer, n);
  return text;
}

TEST(ProgressTest, FormatsDurations) {
  EXPECT_EQ(formatDuration(5), "0:05");
  EXPECT_EQ(formatDuration(312), "5:12");
  EXPECT_EQ(formatDuration(3723), "1:02:03");
  EXPECT_EQ(formatDuration(NAN), "?");
}

TEST(ProgressTest, PlainOutputPrintsEveryLogEverySteps) {
  std::FILE *file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  ProgressReporter progress(20, 0, 1000, 10, /*terminal=*/false, file);
  for (int step = 1; step <= 20; ++step)
    progress.step(step, 5.0 - 0.1 * step, 1e-3, 1.0);
  progress.message("step 20: validation loss 3.1000");
  progress.finish();
  const std::string text = captured(file);
  std::fclose(file);
  EXPECT_NE(text.find("step  1/20 loss 4.9000 lr 1.00e-03"), std::string::npos)
      << text;
  EXPECT_NE(text.find("step 10/20 loss 4.0000"), std::string::npos) << text;
  EXPECT_NE(text.find("step 20/20 loss 3.0000"), std::string::npos) << text;
  EXPECT_EQ(text.find("step  5/20"), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << "no bar off a terminal";
  EXPECT_NE(text.find("validation loss 3.1000\n"), std::string::npos);
}

TEST(ProgressTest, TerminalOutputRedrawsOneLine) {
  std::FILE *file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  ProgressReporter progress(4, 0, 100, 10, /*terminal=*/true, file);
  for (int step = 1; step <= 4; ++step)
    progress.step(step, 2.0, 1e-3, 1.0);
  progress.finish();
  const std::string text = captured(file);
  std::fclose(file);
  EXPECT_NE(text.find("[##########..........]"), std::string::npos) << text;
  EXPECT_NE(text.find("\r\033[2K"), std::string::npos) << text;
  EXPECT_NE(text.find("ETA"), std::string::npos);
}

} // namespace
} // namespace strata::runtime::training

namespace strata::runtime::training {
namespace {

TEST(MetricsWriterTest, APartialLastLineFromAKilledRunIsCut) {
  char path[] = "/tmp/strata-metrics-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string before = "{\"step\":1}\n{\"step\":2,\"lo";
  ASSERT_EQ(write(fd, before.data(), before.size()),
            static_cast<ssize_t>(before.size()));
  close(fd);
  {
    auto writer = MetricsWriter::open(path);
    ASSERT_TRUE(writer.isOk());
    writer->write("{\"step\":2}");
  }
  std::FILE *file = std::fopen(path, "rb");
  const std::string text = captured(file);
  std::fclose(file);
  std::remove(path);
  EXPECT_EQ(text, "{\"step\":1}\n{\"step\":2}\n");
}

} // namespace
} // namespace strata::runtime::training

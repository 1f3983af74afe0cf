//===- stop_strings_test.cc - stop strings and held-back text -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/stop_strings.h"

#include <gtest/gtest.h>

namespace strata::runtime::serving {
namespace {

TEST(StopStrings, WithoutStopsTextPassesThrough) {
  StopStrings s({});
  EXPECT_EQ(s.push("abc"), "abc");
  EXPECT_EQ(s.finish(), "");
  EXPECT_FALSE(s.stopped());
}

TEST(StopStrings, HoldsBackAPossibleStartAndCutsBeforeTheStop) {
  StopStrings s({"\n\n"});
  EXPECT_EQ(s.push("one\n"), "one"); // "\n" may start the stop
  EXPECT_EQ(s.push("two"), "\ntwo");  // it did not
  EXPECT_EQ(s.push("\n"), "");
  EXPECT_EQ(s.push("\nthree"), "");
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.push("more"), "");
  EXPECT_EQ(s.finish(), "");
}

TEST(StopStrings, TheEarliestOfSeveralStopsWins) {
  StopStrings s({"world", "lo"});
  EXPECT_EQ(s.push("hello world"), "hel");
  EXPECT_TRUE(s.stopped());
}

TEST(StopStrings, ReleasesHeldTextAtTheEnd) {
  StopStrings s({"END"});
  EXPECT_EQ(s.push("the EN"), "the ");
  EXPECT_EQ(s.finish(), "EN");
}

TEST(StopStrings, AStopSplitAcrossManyPiecesIsFound) {
  StopStrings s({"<|stop|>"});
  std::string shown;
  for (const char *piece : {"a<", "|st", "o", "p|", ">b"})
    shown += s.push(piece);
  EXPECT_EQ(shown, "a");
  EXPECT_TRUE(s.stopped());
}

} // namespace
} // namespace strata::runtime::serving

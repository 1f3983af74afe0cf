//===- stop_strings.h - cutting a completion at a stop string ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// OpenAI's `stop`: generation ends where any of the strings first appears,
// and the text returned ends before it. Streamed text must not show the
// start of a stop string that is still being generated, so text that could
// begin one is held back until it either completes the stop string (and is
// dropped) or cannot (and is released).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SERVING_STOP_STRINGS_H
#define STRATA_RUNTIME_SERVING_STOP_STRINGS_H

#include <string>
#include <string_view>
#include <vector>

namespace strata::runtime::serving {

class StopStrings {
public:
  /// Empty strings are ignored.
  explicit StopStrings(std::vector<std::string> stops);

  /// Adds generated |text|; returns the text that can be shown now. Once a
  /// stop string completed, stopped() is true, the text before it has been
  /// returned and later calls return nothing.
  std::string push(std::string_view text);
  /// The text held back at the end of generation (none after a stop).
  std::string finish();
  bool stopped() const { return stopped_; }

private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

} // namespace strata::runtime::serving

#endif // STRATA_RUNTIME_SERVING_STOP_STRINGS_H

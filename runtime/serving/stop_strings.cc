//===- stop_strings.cc - cutting a completion at a stop string ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/stop_strings.h"

#include <algorithm>

namespace strata::runtime::serving {

StopStrings::StopStrings(std::vector<std::string> stops) {
  for (std::string &s : stops)
    if (!s.empty())
      stops_.push_back(std::move(s));
}

std::string StopStrings::push(std::string_view text) {
  if (stopped_)
    return {};
  held_ += text;
  // The earliest complete stop string ends the completion.
  size_t first = std::string::npos;
  for (const std::string &stop : stops_)
    first = std::min(first, held_.find(stop));
  if (first != std::string::npos) {
    stopped_ = true;
    std::string out = held_.substr(0, first);
    held_.clear();
    return out;
  }
  // Hold back the longest tail that is a proper prefix of some stop string.
  size_t keep = 0;
  for (const std::string &stop : stops_)
    for (size_t n = std::min(stop.size() - 1, held_.size()); n > keep; --n)
      if (held_.compare(held_.size() - n, n, stop, 0, n) == 0) {
        keep = n;
        break;
      }
  std::string out = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return out;
}

std::string StopStrings::finish() {
  if (stopped_)
    return {};
  std::string out;
  out.swap(held_);
  return out;
}

} // namespace strata::runtime::serving

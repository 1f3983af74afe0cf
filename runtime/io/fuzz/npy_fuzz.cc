//===- npy_fuzz.cc - libFuzzer target for the .npy reader -----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Every input must parse to a tensor or to a Status, never crash. What
// parses must survive a write/read round trip unchanged. Built only with
// clang (runtime/io/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//
#include "runtime/io/npy.h"

#include <cstdlib>

using namespace strata::runtime::io;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto parsed = parseNpy(data, size, "fuzz.npy");
  if (!parsed.isOk())
    return 0;
  auto encoded = encodeNpy(parsed.value());
  if (!encoded.isOk())
    std::abort(); // every dtype the reader returns has a NumPy spelling
  auto again = parseNpy(encoded->data(), encoded->size(), "fuzz.npy");
  if (!again.isOk() || !again->bitwiseEquals(parsed.value()))
    std::abort();
  return 0;
}

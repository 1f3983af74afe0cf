//===- safetensors_fuzz.cc - libFuzzer target for the safetensors reader --===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Every input must parse to tensors or to a Status, never crash, hang or
// leak. What parses must survive a write/read round trip unchanged. Built
// only with clang (runtime/io/CMakeLists.txt); run for example
//   strata-safetensors-fuzz -max_total_time=300 -max_len=4096 corpus/
//
//===----------------------------------------------------------------------===//
#include "runtime/io/safetensors.h"

#include <cstdlib>

using namespace strata::runtime::io;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto parsed = parseSafetensors(data, size, "fuzz.safetensors");
  if (!parsed.isOk())
    return 0;
  auto encoded = encodeSafetensors(parsed->tensors, parsed->metadata);
  if (!encoded.isOk())
    return 0; // e.g. a tensor name that is not valid UTF-8 once unescaped
  auto again =
      parseSafetensors(encoded->data(), encoded->size(), "fuzz.safetensors");
  if (!again.isOk() || again->metadata != parsed->metadata ||
      again->tensors.size() != parsed->tensors.size())
    std::abort();
  for (const auto &[name, tensor] : parsed->tensors) {
    auto it = again->tensors.find(name);
    if (it == again->tensors.end() || !it->second.bitwiseEquals(tensor))
      std::abort();
  }
  return 0;
}

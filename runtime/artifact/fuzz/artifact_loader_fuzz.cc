//===- artifact_loader_fuzz.cc - libFuzzer target for the loader ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Any byte string must load or be rejected with a Status; never crash,
// hang or read out of bounds (built with ASan and UBSan).
//
//===----------------------------------------------------------------------===//
#include "runtime/artifact/artifact_checksum.h"
#include "runtime/artifact/artifact_loader.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // Half the inputs get a valid checksum trailer so the fuzzer explores the
  // structure behind it; the other half exercise the checksum check.
  std::vector<uint8_t> bytes(data, data + size);
  if (size > 0 && (data[size - 1] & 1)) {
    bytes.pop_back();
    strata::runtime::appendArtifactChecksum(bytes);
  }
  auto loaded = strata::runtime::loadArtifactFromBytes(std::move(bytes),
                                                       "fuzz.strata");
  (void)loaded;
  return 0;
}

//===- make_seed.cc - writes the fuzzer's seed artifact -------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/artifact/artifact_test_support.h"

#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.strata\n", argv[0]);
    return 2;
  }
  std::vector<uint8_t> bytes =
      strata::runtime::testing_support::buildArtifact({});
  FILE *file = std::fopen(argv[1], "wb");
  if (!file || std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size()) {
    std::perror(argv[1]);
    return 1;
  }
  return std::fclose(file) == 0 ? 0 : 1;
}

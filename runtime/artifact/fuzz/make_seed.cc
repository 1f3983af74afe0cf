//===- make_seed.cc - writes the fuzzer's seed artifacts ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Writes OUT.strata (the test support's valid artifact) and, beside it,
// OUT-mixed.strata (its mixed-precision O2 form: a BF16 parameter with an
// F32 main parameter), so the fuzzer starts from both kinds of slots.
//
//===----------------------------------------------------------------------===//
#include "runtime/artifact/artifact_test_support.h"

#include <cstdio>
#include <string>

namespace {

bool write(const std::string &path, const std::vector<uint8_t> &bytes) {
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file ||
      std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size()) {
    std::perror(path.c_str());
    if (file)
      std::fclose(file);
    return false;
  }
  return std::fclose(file) == 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.strata\n", argv[0]);
    return 2;
  }
  namespace support = strata::runtime::testing_support;
  std::string out = argv[1];
  std::string mixedPath = out;
  const std::string suffix = ".strata";
  if (mixedPath.size() > suffix.size() &&
      mixedPath.compare(mixedPath.size() - suffix.size(), suffix.size(),
                        suffix) == 0)
    mixedPath.resize(mixedPath.size() - suffix.size());
  mixedPath += "-mixed.strata";
  support::Spec mixed;
  mixed.mixedPrecision = true;
  return write(out, support::buildArtifact({})) &&
                 write(mixedPath, support::buildArtifact(mixed))
             ? 0
             : 1;
}

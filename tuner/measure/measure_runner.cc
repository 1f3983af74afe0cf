//===- measure_runner.cc - compile a layout and time a few steps ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/measure/measure_runner.h"

#include "tuner/measure/measure_stats.h"

#include <cstdio>
#include <fstream>
#include <random>
#include <sys/wait.h>

namespace strata::tuner {

std::string shellQuote(const std::string &s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

namespace {

std::string tail(const std::string &text, size_t chars) {
  return text.size() <= chars ? text : "..." + text.substr(text.size() - chars);
}

} // namespace

bool writeTokensNpy(const std::string &path, int64_t rows, int64_t width,
                    int64_t vocab, uint32_t seed) {
  std::string header = "{'descr': '<i4', 'fortran_order': False, 'shape': (" +
                       std::to_string(rows) + ", " + std::to_string(width) +
                       "), }";
  // Magic (6) + version (2) + length (2) + header + '\n', padded to 64.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream file(path, std::ios::binary);
  file.write("\x93NUMPY\x01\x00", 8);
  const uint16_t length = uint16_t(header.size());
  const char lengthBytes[2] = {char(length & 0xff), char(length >> 8)};
  file.write(lengthBytes, 2);
  file << header;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> token(0, int32_t(vocab - 1));
  for (int64_t i = 0; i < rows * width; ++i) {
    const int32_t t = token(rng);
    file.write(reinterpret_cast<const char *>(&t), 4); // little-endian hosts
  }
  return bool(file);
}

int runCommand(const std::string &command, std::string &output) {
  output.clear();
  FILE *pipe = popen(("( " + command + " ) 2>&1").c_str(), "r");
  if (!pipe)
    return -1;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    output.append(buffer, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

MeasureResult measureLayout(const MeasureSetup &setup,
                            const std::vector<std::string> &layoutOverrides,
                            int64_t ranks, const std::string &tag) {
  MeasureResult result;
  const std::string base = setup.workDir + "/" + tag;
  std::string compile = shellQuote(setup.binDir + "/strata-compile") + " " +
                        shellQuote(setup.modelPath);
  for (const std::string &o : setup.modelOverrides)
    compile += " " + shellQuote(o);
  for (const std::string &o : layoutOverrides)
    compile += " " + shellQuote(o);
  compile += " -o " + shellQuote(base + ".strata");
  std::string output;
  if (runCommand(compile, output) != 0) {
    result.error = "`" + compile + "` failed:\n" + tail(output, 2000);
    return result;
  }
  const std::string tokens = base + "-tokens.npy";
  if (!writeTokensNpy(tokens, setup.steps * setup.globalBatch,
                      setup.seqLength + 1, setup.vocabSize, 1234)) {
    result.error = "cannot write " + tokens;
    return result;
  }
  std::string run = ranks > 1 ? setup.mpirun + " -np " + std::to_string(ranks) +
                                    " "
                              : std::string();
  run += shellQuote(setup.binDir + "/strata-run") + " train " +
         shellQuote(base + ".strata") + " --tokens " + shellQuote(tokens) +
         " --steps " + std::to_string(setup.steps) +
         " --lr 1e-4 --threads " + std::to_string(setup.threadsPerRank) +
         " --save " + shellQuote(base + "-params.safetensors");
  if (runCommand(run, output) != 0) {
    result.error = "`" + run + "` failed:\n" + tail(output, 2000);
    return result;
  }
  result.allSteps = parseStepSeconds(output);
  result.stepSeconds =
      medianStepSeconds(result.allSteps, size_t(setup.warmupSteps));
  if (result.allSteps.size() != size_t(setup.steps))
    result.error = "`" + run + "` printed " +
                   std::to_string(result.allSteps.size()) +
                   " step times, expected " + std::to_string(setup.steps) +
                   ":\n" + tail(output, 2000);
  std::remove((base + ".strata").c_str());
  std::remove(tokens.c_str());
  std::remove((base + "-params.safetensors").c_str());
  return result;
}

} // namespace strata::tuner

//===- io_test_support.cc - helpers for the runtime I/O tests -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/io_test_support.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include <sys/wait.h>
#include <unistd.h>

namespace strata::runtime::io::testing {

TempDir::TempDir() {
  const char *base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base && *base ? base : "/tmp") + "/strata-io-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()))
    path_ = buffer.data();
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
}

std::string TempDir::file(const std::string &name) const {
  return path_ + "/" + name;
}

std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                              std::istreambuf_iterator<char>());
}

bool writeBytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

std::string pythonExecutable() {
  const char *configured = std::getenv("STRATA_PYTHON");
  return configured && *configured ? configured : "/usr/bin/python3";
}

namespace {

std::string shellQuote(const std::string &text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

int runCommand(const std::string &command, std::string &output) {
  output.clear();
  FILE *pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe)
    return -1;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
    output.append(buffer, n);
  int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

bool pythonHasModules(const std::string &modules) {
  static std::map<std::string, bool> cache;
  auto it = cache.find(modules);
  if (it != cache.end())
    return it->second;
  std::string output;
  bool ok = ::access(pythonExecutable().c_str(), X_OK) == 0 &&
            runCommand(shellQuote(pythonExecutable()) + " -c " +
                           shellQuote("import " + modules),
                       output) == 0;
  cache[modules] = ok;
  return ok;
}

int runPythonScript(const std::string &script,
                    const std::vector<std::string> &args,
                    std::string &output) {
  // -B: no __pycache__ in the source tree.
  std::string command = shellQuote(pythonExecutable()) + " -B " +
                        shellQuote(std::string(STRATA_IO_TESTDATA_DIR) + "/" +
                                   script);
  for (const std::string &arg : args)
    command += " " + shellQuote(arg);
  return runCommand(command, output);
}

PythonFixtures pythonFixtures(const std::string &script) {
  PythonFixtures result;
  if (::access(pythonExecutable().c_str(), X_OK) != 0) {
    result.state = PythonFixtures::State::Unavailable;
    result.message = pythonExecutable() + " is not available";
    return result;
  }
  const std::string testdata = STRATA_IO_TESTDATA_DIR;
  std::vector<uint8_t> key = readBytes(testdata + "/" + script);
  std::vector<uint8_t> writer = readBytes(testdata + "/st_writer.py");
  key.insert(key.end(), writer.begin(), writer.end());
  const std::string python = pythonExecutable();
  key.insert(key.end(), python.begin(), python.end());
  uint64_t hash = 1469598103934665603ull; // FNV-1a
  for (uint8_t byte : key)
    hash = (hash ^ byte) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(hash));
  const std::string cacheRoot = STRATA_IO_FIXTURE_CACHE_DIR;
  std::error_code ignored;
  std::filesystem::create_directories(cacheRoot, ignored);
  std::string stem = script.substr(0, script.rfind('.'));
  const std::string final = cacheRoot + "/" + stem + "-" + hex;
  if (std::filesystem::is_directory(final)) {
    result.state = PythonFixtures::State::Ready;
    result.directory = final;
    return result;
  }
  std::string pattern = final + ".partial-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!::mkdtemp(buffer.data())) {
    result.message = "cannot create " + pattern;
    return result;
  }
  const std::string partial = buffer.data();
  std::string output;
  int status = runPythonScript(script, {partial}, output);
  if (status != 0) {
    std::filesystem::remove_all(partial, ignored);
    bool missingModule =
        output.find("ModuleNotFoundError") != std::string::npos ||
        output.find("ImportError") != std::string::npos;
    result.state = missingModule ? PythonFixtures::State::Unavailable
                                 : PythonFixtures::State::Failed;
    result.message = script + " failed (" + std::to_string(status) +
                     "):\n" + output;
    return result;
  }
  if (::rename(partial.c_str(), final.c_str()) != 0) // another test won
    std::filesystem::remove_all(partial, ignored);
  result.state = std::filesystem::is_directory(final)
                     ? PythonFixtures::State::Ready
                     : PythonFixtures::State::Failed;
  result.directory = final;
  if (result.state != PythonFixtures::State::Ready)
    result.message = "fixtures vanished from " + final;
  return result;
}

uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

HostTensor randomTensor(DType dtype, std::vector<int64_t> shape,
                        uint64_t seed) {
  HostTensor tensor(dtype, std::move(shape));
  uint64_t state = seed;
  for (int64_t i = 0; i < tensor.numElements(); ++i) {
    uint64_t bits = splitmix64(state);
    double unit = static_cast<double>(bits >> 11) * 0x1.0p-53; // [0, 1)
    double value = 2.0 * unit - 1.0;
    switch (dtype) {
    case DType::F32:
      tensor.data<float>()[i] = static_cast<float>(value);
      break;
    case DType::F64:
      tensor.data<double>()[i] = value;
      break;
    case DType::BF16:
      tensor.data<uint16_t>()[i] = doubleToBf16(value);
      break;
    case DType::F16:
      tensor.data<uint16_t>()[i] = doubleToF16(value);
      break;
    case DType::I32:
      tensor.data<int32_t>()[i] = static_cast<int32_t>(bits % 1000);
      break;
    case DType::I64:
      tensor.data<int64_t>()[i] = static_cast<int64_t>(bits % 1000);
      break;
    }
  }
  return tensor;
}

} // namespace strata::runtime::io::testing

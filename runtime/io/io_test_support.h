//===- io_test_support.h - helpers for the runtime I/O tests ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Temporary directories, byte-level file access, deterministic tensors and
// running /usr/bin/python3 (numpy, torch) to make reference fixtures at test
// time. Test-only; not part of StrataRuntimeIO.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_IO_IO_TEST_SUPPORT_H
#define STRATA_RUNTIME_IO_IO_TEST_SUPPORT_H

#include "runtime/io/host_tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::runtime::io::testing {

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
/// destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  /// The directory.
  const std::string &path() const { return path_; }
  /// path() + "/" + |name|.
  std::string file(const std::string &name) const;

private:
  std::string path_;
};

/// The bytes of |path| (empty when it cannot be read).
std::vector<uint8_t> readBytes(const std::string &path);
/// Writes |bytes| to |path| (plain, non-atomic); false on failure.
bool writeBytes(const std::string &path, const std::vector<uint8_t> &bytes);

/// The Python interpreter for fixtures: $STRATA_PYTHON, else /usr/bin/python3.
std::string pythonExecutable();
/// True when the interpreter runs and can import every module in |modules|
/// (comma separated, e.g. "numpy,torch"). Cached per module list.
bool pythonHasModules(const std::string &modules);
/// Runs testdata/|script| with |args| (each shell-quoted); returns the exit
/// status and puts stdout+stderr in |output|.
int runPythonScript(const std::string &script,
                    const std::vector<std::string> &args, std::string &output);

/// The outcome of generating fixtures with a Python script.
struct PythonFixtures {
  enum class State { Ready, Unavailable, Failed } state = State::Failed;
  std::string directory; // Ready: where the script wrote its files
  std::string message;   // Unavailable / Failed: why
};

/// Runs testdata/|script| with an output directory as its only argument and
/// returns that directory. Fixtures are deterministic, so they are cached in
/// the build tree keyed by the contents of the script and of st_writer.py
/// (each ctest process would otherwise pay for `import torch` again);
/// concurrent tests race safely (write to a private directory, rename).
/// Unavailable when the interpreter or a module it imports is missing: the
/// caller should GTEST_SKIP.
PythonFixtures pythonFixtures(const std::string &script);

/// A tensor with deterministic pseudo-random values in [-1, 1) (floats) or
/// [0, 1000) (integers) from |seed|.
HostTensor randomTensor(DType dtype, std::vector<int64_t> shape,
                        uint64_t seed);

/// A splitmix64 step, for tests that need their own random streams.
uint64_t splitmix64(uint64_t &state);

} // namespace strata::runtime::io::testing

#endif // STRATA_RUNTIME_IO_IO_TEST_SUPPORT_H

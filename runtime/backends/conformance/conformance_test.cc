//===- conformance_test.cc - every backend against the CPU in f64 ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Runs every case of kernel_cases.h in every floating-point type on the
// backend named by STRATA_CONFORMANCE_DEVICE (default "cpu"), and the same
// case in F64 on the CPU backend from the same inputs (rounded to the type
// under test first), then compares every checked buffer within the type's
// bound (tolerances.h). A (kernel, type) the backend does not support is
// reported as skipped, never as passed; the CPU backend must support F32
// and F64 everywhere (a test below says so).
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/conformance/kernel_cases.h"
#include "runtime/backends/conformance/tolerances.h"

#include "runtime/artifact/kernel_signatures.h"
#include "runtime/backends/registry.h"
#include "runtime/executor/collectives.h"
#include "runtime/executor/executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <numeric>
#include <random>
#include <set>

namespace strata::runtime::conformance {
namespace {

std::string deviceUnderTest() {
  const char *device = std::getenv("STRATA_CONFORMANCE_DEVICE");
  return device && *device ? device : "cpu";
}

/// The backend |device| names, created once; null (and |why| says why)
/// when this machine has none (no GPU for "cuda").
Backend *tryBackend(const std::string &device, std::string *why = nullptr) {
  static std::map<std::string, StatusOr<std::unique_ptr<Backend>>> backends;
  auto it = backends.find(device);
  if (it == backends.end())
    it = backends.emplace(device, createBackend(device)).first;
  if (!it->second.isOk()) {
    if (why)
      *why = it->second.status().message();
    return nullptr;
  }
  return it->second->get();
}

Backend &backendNamed(const std::string &device) {
  std::string why;
  Backend *backend = tryBackend(device, &why);
  if (!backend) {
    ADD_FAILURE() << why;
    std::abort();
  }
  return *backend;
}

/// The initial values of buffer |index| of |c|, in f64 (or int32 ids).
io::HostTensor initialValues(const KernelCase &c, size_t index) {
  const BufferCase &buffer = c.buffers[index];
  if (buffer.fill == Fill::SameAs)
    return initialValues(c, size_t(buffer.value));
  io::HostTensor t(buffer.integer ? io::DType::I32
                   : buffer.int8  ? io::DType::I8
                                  : io::DType::F64,
                   buffer.shape);
  std::mt19937_64 random(std::hash<std::string>()(c.name) * 31 + index);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform(0.5, 1.5);
  const int64_t n = t.numElements();
  if (buffer.fill == Fill::BlockTable) {
    // Rows own distinct blocks of the pool, in no particular order.
    std::vector<int32_t> blocks(size_t(buffer.value));
    std::iota(blocks.begin(), blocks.end(), 0);
    std::shuffle(blocks.begin(), blocks.end(), random);
    std::copy_n(blocks.begin(), n, t.data<int32_t>());
    return t;
  }
  for (int64_t i = 0; i < n; ++i) {
    switch (buffer.fill) {
    case Fill::Normal:
      t.data<double>()[i] = normal(random);
      break;
    case Fill::Positive:
      t.data<double>()[i] = uniform(random);
      break;
    case Fill::Zeros:
      t.data<double>()[i] = 0.0;
      break;
    case Fill::Scalar:
      t.data<double>()[i] = buffer.value;
      break;
    case Fill::Ids:
      t.data<int32_t>()[i] = int32_t(random() % uint64_t(buffer.value));
      break;
    case Fill::Labels:
      t.data<int32_t>()[i] =
          i % 3 == 1 ? -1 : int32_t(random() % uint64_t(buffer.value));
      break;
    case Fill::SameAs: // handled above
    case Fill::BlockTable:
      break;
    case Fill::Int8:
      t.data<int8_t>()[i] = int8_t(int64_t(random() % 255) - 127);
      break;
    case Fill::Positions:
      t.data<int32_t>()[i] =
          int32_t(int64_t(buffer.value) + i % buffer.shape.back());
      break;
    }
  }
  return t;
}

double relativeL2Error(const io::HostTensor &got, const io::HostTensor &want) {
  double diff = 0.0, norm = 0.0;
  for (int64_t i = 0; i < want.numElements(); ++i) {
    const double a = got.data<double>()[i], b = want.data<double>()[i];
    diff += (a - b) * (a - b);
    norm += b * b;
  }
  if (!std::isfinite(diff))
    return INFINITY;
  return norm > 0.0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

io::HostTensor asF64(const io::HostTensor &t) {
  if (!io::isFloatingPoint(t.dtype()) || t.dtype() == io::DType::F64)
    return t;
  return io::convertTensor(t, io::DType::F64).value();
}

std::unique_ptr<Executor> executorFor(const KernelCase &c, DType dtype,
                                      Backend &backend) {
  StatusOr<LoadedArtifact> artifact =
      loadArtifactFromBytes(
          buildCaseArtifact(c, dtype, backend.device().kind()), c.name);
  EXPECT_TRUE(artifact.isOk()) << artifact.status().message();
  if (!artifact.isOk())
    return nullptr;
  ExecutorOptions options;
  options.dropout = c.dropout;
  options.seed = 1234;
  StatusOr<std::unique_ptr<Executor>> executor =
      Executor::create(std::move(*artifact), backend, options);
  EXPECT_TRUE(executor.isOk()) << executor.status().message();
  return executor.isOk() ? std::move(*executor) : nullptr;
}

/// The kernels of |c| that |backend| does not run in |dtype| (", "-joined).
std::string unsupportedKernels(const KernelCase &c, DType dtype,
                               const Backend &backend) {
  std::string missing;
  for (const InstructionCase &instruction : c.instructions)
    if (!backend.supports(instruction.kernel, dtype))
      missing += (missing.empty() ? "" : ", ") +
                 std::string(lookupKernelSignature(instruction.kernel)->name);
  return missing;
}

using CaseParam = std::tuple<size_t, DType>;

class BackendConformance : public ::testing::TestWithParam<CaseParam> {};

TEST_P(BackendConformance, MatchesTheCpuInF64) {
  const KernelCase &c = allKernelCases()[std::get<0>(GetParam())];
  const DType dtype = std::get<1>(GetParam());
  const bool sixteenBit = dtype == DType::BF16 || dtype == DType::F16;
  if (sixteenBit && c.wideOnly)
    GTEST_SKIP() << c.name << " runs in F32 and F64 only";
  if (!sixteenBit && c.mixedMain)
    GTEST_SKIP() << c.name << " has main parameters: BF16 and F16 only";
  // A device this machine lacks (a GPU): skipped, and ctest reports the
  // test skipped (SKIP_REGULAR_EXPRESSION on the message).
  std::string why;
  Backend *available = tryBackend(deviceUnderTest(), &why);
  if (!available)
    GTEST_SKIP() << "device unavailable: " << why;
  Backend &backend = *available;
  const std::string missing = unsupportedKernels(c, dtype, backend);
  if (!missing.empty())
    GTEST_SKIP() << "the " << backend.name() << " backend has no " << missing
                 << " kernel for " << toString(dtype);
  std::unique_ptr<Executor> tested = executorFor(c, dtype, backend);
  std::unique_ptr<Executor> reference =
      executorFor(c, DType::F64, backendNamed("cpu"));
  ASSERT_TRUE(tested && reference);
  for (size_t i = 0; i < c.buffers.size(); ++i) {
    const io::HostTensor values = initialValues(c, i);
    const io::DType type = tested->read(uint32_t(i)).value().dtype();
    // The reference starts from the values the tested type can hold.
    const io::HostTensor rounded =
        type == values.dtype() ? values
                               : io::convertTensor(values, type).value();
    ASSERT_TRUE(tested->write(uint32_t(i), rounded).isOk());
    // (F64, or F32 for a buffer of fixed type: exact either way.)
    const io::DType referenceType =
        reference->read(uint32_t(i)).value().dtype();
    ASSERT_TRUE(
        reference
            ->write(uint32_t(i),
                    referenceType == rounded.dtype()
                        ? rounded
                        : io::convertTensor(rounded, referenceType).value())
            .isOk());
  }
  const Status ran = tested->run("run");
  ASSERT_TRUE(ran.isOk()) << ran.message();
  ASSERT_TRUE(reference->run("run").isOk());
  for (size_t i = 0; i < c.buffers.size(); ++i) {
    if (!c.buffers[i].checked)
      continue;
    const io::HostTensor got = asF64(tested->read(uint32_t(i)).value());
    const int against = c.buffers[i].compareWith;
    const io::HostTensor want = asF64(
        reference->read(uint32_t(against >= 0 ? against : int(i))).value());
    const double error = relativeL2Error(got, want);
    EXPECT_LE(error, relativeErrorBound(dtype))
        << c.name << " in " << toString(dtype) << ": buffer '"
        << c.buffers[i].name << "' " << io::shapeToString(c.buffers[i].shape)
        << " is off by " << error << " (relative L2) on the " << backend.name()
        << " backend";
  }
}

std::string caseName(const ::testing::TestParamInfo<CaseParam> &info) {
  std::string name = allKernelCases()[std::get<0>(info.param)].name + "_" +
                     toString(std::get<1>(info.param));
  for (char &ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)))
      ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(
    AllKernels, BackendConformance,
    ::testing::Combine(::testing::Range(size_t(0), allKernelCases().size()),
                       ::testing::Values(DType::F32, DType::F64, DType::BF16,
                                         DType::F16)),
    caseName);

TEST(BackendConformanceCoverage, EveryKernelButTheCollectivesHasACase) {
  std::set<Kernel> covered;
  for (const KernelCase &c : allKernelCases())
    for (const InstructionCase &instruction : c.instructions)
      covered.insert(instruction.kernel);
  for (const KernelSignature &signature : allKernelSignatures())
    if (!isCollective(signature.kernel))
      EXPECT_TRUE(covered.count(signature.kernel))
          << "no conformance case runs " << signature.name;
}

TEST(BackendConformanceCoverage, TheCpuRunsEveryCaseInF32AndF64) {
  Backend &cpu = backendNamed("cpu");
  for (const KernelCase &c : allKernelCases())
    for (DType dtype : {DType::F32, DType::F64})
      if (!c.mixedMain)
        EXPECT_EQ(unsupportedKernels(c, dtype, cpu), "")
            << c.name << " in " << toString(dtype);
}

} // namespace
} // namespace strata::runtime::conformance

//===- executor_test.cc - preparation checks and the instruction loop -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Hand-built artifacts (artifact_test_support.h): a matmul y[2,4] = x[2,8]
// w[4,8]^T and an AdamW step; and here, pipeline stages whose Send and Recv
// go through an in-process communicator. Whole compiled models are
// exercised by tests/executor (which needs the compiler) and tests/e2e.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cpu_test_backend.h"
#include "runtime/executor/executor.h"

#include "runtime/artifact/artifact_checksum.h"
#include "runtime/artifact/artifact_test_support.h"
#include "runtime/executor/fake_peer_communicator.h"
#include "runtime/executor/parameters.h"
#include "runtime/executor/prepared_program.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <deque>
#include <map>
#include <tuple>

namespace strata::runtime {
namespace {

using testing_support::buildArtifact;
using testing_support::Spec;

StatusOr<std::unique_ptr<Executor>> executorFor(const Spec &spec,
                                                Backend &device) {
  STRATA_ASSIGN_OR_RETURN(LoadedArtifact artifact,
                          loadArtifactFromBytes(buildArtifact(spec), "t.strata"));
  return Executor::create(std::move(artifact), device, {});
}

TEST(ExecutorTest, ArenaIsExactlyThePlannedSize) {
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  Spec spec;
  spec.arenaSize = 1024;
  auto executor = executorFor(spec, device);
  ASSERT_TRUE(executor.isOk()) << executor.status().toString();
  EXPECT_EQ((*executor)->arenaBytes(), 1024u);
}

TEST(ExecutorTest, MatmulComputesXTimesWTransposed) {
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  auto made = executorFor(Spec(), device);
  ASSERT_TRUE(made.isOk()) << made.status().toString();
  Executor &executor = **made;
  io::HostTensor w(io::DType::F32, {4, 8}), x(io::DType::F32, {2, 8});
  for (int i = 0; i < 32; ++i)
    w.data<float>()[i] = 0.25f * float(i % 7) - 0.5f;
  for (int i = 0; i < 16; ++i)
    x.data<float>()[i] = 0.125f * float(i) - 1.0f;
  ASSERT_TRUE(executor.write(0, w).isOk());
  ASSERT_TRUE(executor.write(4, x).isOk());
  ASSERT_TRUE(executor.run("forward").isOk());
  io::HostTensor y = executor.read(5).value();
  for (int m = 0; m < 2; ++m)
    for (int n = 0; n < 4; ++n) {
      double expected = 0.0;
      for (int k = 0; k < 8; ++k)
        expected += double(x.data<float>()[m * 8 + k]) *
                    double(w.data<float>()[n * 8 + k]);
      EXPECT_NEAR(y.data<float>()[m * 4 + n], expected, 1e-5);
    }
}

/// The CPU backend as a device without 16-bit kernels would be: it
/// supports (kernel, F32/F64) pairs only.
class WideOnlyBackend : public Backend {
public:
  explicit WideOnlyBackend(Backend &cpu) : cpu_(cpu) {}
  std::string name() const override { return "wide-only"; }
  Device &device() override { return cpu_.device(); }
  bool supports(Kernel kernel, DType dtype) const override {
    return (dtype == DType::F32 || dtype == DType::F64) &&
           cpu_.supports(kernel, dtype);
  }
  size_t workspaceBytes(const KernelDescriptor &d) const override {
    return cpu_.workspaceBytes(d);
  }
  Status run(const KernelDescriptor &d, const KernelRunContext &c,
             Stream &stream) override {
    return cpu_.run(d, c, stream);
  }
  StatusOr<std::unique_ptr<DeviceCommunicator>>
  adaptCommunicator(Communicator &host) override {
    return cpu_.adaptCommunicator(host);
  }

private:
  Backend &cpu_;
};

TEST(ExecutorTest, ABf16ArtifactOnABackendWithoutBf16IsRefusedAtLoad) {
  std::unique_ptr<Backend> cpu = cpuTestBackend();
  WideOnlyBackend wide(*cpu);
  Spec spec;
  spec.mixedPrecision = true;
  // The CPU runs it; the backend without BF16 kernels names the first
  // instruction it cannot run, its kernel and the element type.
  auto runs = executorFor(spec, *cpu);
  ASSERT_TRUE(runs.isOk()) << runs.status().toString();
  auto refused = executorFor(spec, wide);
  ASSERT_FALSE(refused.isOk());
  EXPECT_NE(refused.status().message().find(
                "the wide-only backend has no matmul kernel for BF16"),
            std::string::npos)
      << refused.status().toString();
}

TEST(ExecutorTest, MisShapedMatmulIsRejectedBeforeRunning) {
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  Spec spec;
  spec.matmulOperands = {0, 4}; // w[4,8] x[2,8]^T is [4,2], y is [2,4]
  auto executor = executorFor(spec, device);
  ASSERT_FALSE(executor.isOk());
  const std::string message = executor.status().message();
  EXPECT_NE(message.find("t.strata: function forward, instruction 0 (matmul "
                         "at output)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("'y' [2,4] should have shape [4,2]"),
            std::string::npos)
      << message;
}

TEST(ExecutorTest, ContractedDimensionsMustAgree) {
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  Spec spec;
  spec.matmulInts = {2}; // contracting 2 dims of x[2,8]: more than it has
  auto executor = executorFor(spec, device);
  ASSERT_FALSE(executor.isOk());
  EXPECT_NE(executor.status().message().find("contracting 2 dimensions"),
            std::string::npos)
      << executor.status().message();
}

TEST(ExecutorTest, WriteRejectsTensorsOfAnotherShapeOrType) {
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  auto made = executorFor(Spec(), device);
  ASSERT_TRUE(made.isOk());
  Status wrongShape = (*made)->write(4, io::HostTensor(io::DType::F32, {8, 2}));
  EXPECT_EQ(wrongShape.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrongShape.message().find("'x' is F32 [2, 8], got F32 [8, 2]"),
            std::string::npos)
      << wrongShape.message();
  EXPECT_FALSE((*made)->write(4, io::HostTensor(io::DType::F64, {2, 8})).isOk());
}

TEST(ExecutorTest, InitializationIsDeterministicAndHasTheRequestedStd) {
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  auto a = executorFor(Spec(), device), b = executorFor(Spec(), device);
  ASSERT_TRUE(a.isOk() && b.isOk());
  ASSERT_TRUE(initializeParameters(**a, 7).isOk());
  ASSERT_TRUE(initializeParameters(**b, 7).isOk());
  StatusOr<io::TensorMap> ra = readParameters(**a), rb = readParameters(**b);
  ASSERT_TRUE(ra.isOk() && rb.isOk());
  const io::TensorMap &pa = *ra, &pb = *rb;
  ASSERT_EQ(pa.count("w"), 1u);
  EXPECT_TRUE(pa.at("w").bitwiseEquals(pb.at("w")));
  ASSERT_TRUE(initializeParameters(**b, 8).isOk());
  StatusOr<io::TensorMap> after = readParameters(**b);
  ASSERT_TRUE(after.isOk());
  EXPECT_FALSE(pa.at("w").bitwiseEquals((*after).at("w")));
  double sumSquares = 0.0;
  for (int i = 0; i < 32; ++i)
    sumSquares += std::pow(pa.at("w").data<float>()[i], 2);
  // 32 samples of N(0, 0.02^2): the sample std lies within a factor 2.
  const double std = std::sqrt(sumSquares / 32);
  EXPECT_GT(std, 0.01);
  EXPECT_LT(std, 0.04);
}

TEST(ExecutorTest, WriteParametersListsEveryProblem) {
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  auto made = executorFor(Spec(), device);
  ASSERT_TRUE(made.isOk());
  io::TensorMap params;
  params.emplace("w", io::HostTensor(io::DType::F32, {8, 4}));
  params.emplace("extra", io::HostTensor(io::DType::F32, {3}));
  Status status = writeParameters(**made, params, "c.safetensors");
  ASSERT_FALSE(status.isOk());
  EXPECT_NE(status.message().find("w has shape [8, 4], expected [4, 8]"),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("unexpected extra [3]"), std::string::npos)
      << status.message();
  Status missing = writeParameters(**made, {}, "c.safetensors");
  EXPECT_NE(missing.message().find("missing w"), std::string::npos)
      << missing.message();
}

TEST(ExecutorTest, UnknownFunctionNamesTheOnesThatExist) {
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  auto made = executorFor(Spec(), device);
  ASSERT_TRUE(made.isOk());
  Status status = (*made)->run("forward_backward");
  EXPECT_NE(status.message().find("it has: forward optimizer_step"),
            std::string::npos)
      << status.message();
}

//===----------------------------------------------------------------------===//
// KV caches (buildCacheArtifact: two sequences, caches of 4 positions)
//===----------------------------------------------------------------------===//

using testing_support::buildCacheArtifact;
using testing_support::CacheSpec;

StatusOr<std::unique_ptr<Executor>> cacheExecutorFor(const CacheSpec &spec,
                                                     Backend &device) {
  STRATA_ASSIGN_OR_RETURN(
      LoadedArtifact artifact,
      loadArtifactFromBytes(buildCacheArtifact(spec), "c.strata"));
  return Executor::create(std::move(artifact), device, {});
}

/// Writes q, k, v (values from |seed|) and |positions| and runs decode.
Status decodeStep(Executor &executor, const std::vector<int32_t> &positions,
                  int seed, io::HostTensor *q, io::HostTensor *k,
                  io::HostTensor *v) {
  int n = seed;
  for (io::HostTensor *t : {q, k, v})
    for (int64_t i = 0; i < t->numElements(); ++i)
      t->data<float>()[i] = 0.25f * float((n++ * 37) % 17) - 2.0f;
  io::HostTensor p(io::DType::I32, {2, 1});
  std::copy(positions.begin(), positions.end(), p.data<int32_t>());
  STRATA_RETURN_IF_ERROR(executor.write(2, *q));
  STRATA_RETURN_IF_ERROR(executor.write(3, *k));
  STRATA_RETURN_IF_ERROR(executor.write(4, *v));
  STRATA_RETURN_IF_ERROR(executor.write(5, p));
  return executor.run("decode");
}

/// The CPU backend recording as a GPU's stream capture does: while
/// recording, run() only remembers what it was asked to launch; a replay
/// launches that list again.
class RecordingBackend : public Backend {
public:
  explicit RecordingBackend(Backend &cpu) : cpu_(cpu) {}
  std::string name() const override { return "cpu"; }
  Device &device() override { return cpu_.device(); }
  bool supports(Kernel kernel, DType dtype) const override {
    return cpu_.supports(kernel, dtype);
  }
  size_t workspaceBytes(const KernelDescriptor &d) const override {
    return cpu_.workspaceBytes(d);
  }
  Status run(const KernelDescriptor &d, const KernelRunContext &c,
             Stream &stream) override {
    if (recording_) {
      launches_->push_back({d, c});
      return Status::ok();
    }
    ++eagerLaunches;
    return cpu_.run(d, c, stream);
  }
  StatusOr<std::unique_ptr<DeviceCommunicator>>
  adaptCommunicator(Communicator &host) override {
    return cpu_.adaptCommunicator(host);
  }

  class Recording : public RecordedWork {
  public:
    explicit Recording(Backend &cpu) : cpu_(cpu) {}
    Status replay(Stream &stream) override {
      for (const auto &[d, c] : launches)
        STRATA_RETURN_IF_ERROR(cpu_.run(d, c, stream));
      return Status::ok();
    }
    std::vector<std::pair<KernelDescriptor, KernelRunContext>> launches;

  private:
    Backend &cpu_;
  };
  StatusOr<std::unique_ptr<RecordedWork>>
  record(Stream &, const std::function<Status()> &queue) override {
    ++recordings;
    auto recording = std::make_unique<Recording>(cpu_);
    launches_ = &recording->launches;
    recording_ = true;
    Status status = queue();
    recording_ = false;
    STRATA_RETURN_IF_ERROR(status);
    return std::unique_ptr<RecordedWork>(std::move(recording));
  }

  int recordings = 0;
  int eagerLaunches = 0;

private:
  Backend &cpu_;
  bool recording_ = false;
  std::vector<std::pair<KernelDescriptor, KernelRunContext>> *launches_ =
      nullptr;
};

TEST(ExecutorTest, DecodeIsRecordedOnItsSecondCallAndReplayedAfter) {
  std::unique_ptr<Backend> cpu = cpuTestBackend();
  RecordingBackend recorder(*cpu);
  auto eagerMade = cacheExecutorFor(CacheSpec(), *cpu);
  auto replayedMade = cacheExecutorFor(CacheSpec(), recorder);
  ASSERT_TRUE(eagerMade.isOk() && replayedMade.isOk());
  Executor &eager = **eagerMade, &replayed = **replayedMade;
  const std::vector<std::vector<int32_t>> steps = {
      {0, 3}, {1, 2}, {2, 0}, {3, 1}};
  for (size_t step = 0; step < steps.size(); ++step) {
    SCOPED_TRACE(step);
    // New inputs every step: a replay must read the buffers' contents now.
    for (Executor *executor : {&eager, &replayed}) {
      io::HostTensor q(io::DType::F32, {2, 1, 2, 2}),
          k(io::DType::F32, {2, 1, 1, 2}), v(io::DType::F32, {2, 1, 1, 2});
      Status status =
          decodeStep(*executor, steps[step], int(step) * 7 + 3, &q, &k, &v);
      ASSERT_TRUE(status.isOk()) << status.toString();
    }
    for (uint32_t buffer : {0u, 1u, 6u}) { // caches and attention output
      const io::HostTensor got = replayed.read(buffer).value();
      EXPECT_TRUE(got.bitwiseEquals(eager.read(buffer).value()))
          << "buffer " << buffer;
    }
  }
  const PreparedFunction &decode = *replayed.function("decode").value();
  // Call 1 eager (the warm-up), call 2 recorded and replayed, 3 and 4
  // replayed: 3 instructions launched eagerly once.
  EXPECT_EQ(recorder.recordings, 1);
  EXPECT_EQ(replayed.replays(decode), 3);
  EXPECT_EQ(recorder.eagerLaunches, 3);
  EXPECT_EQ(eager.replays(*eager.function("decode").value()), 0);
}

TEST(ExecutorTest, DecodeWritesTheCacheAndAttendsItsPrefix) {
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  auto made = cacheExecutorFor(CacheSpec(), device);
  ASSERT_TRUE(made.isOk()) << made.status().toString();
  Executor &executor = **made;
  // Sequence 0 decodes positions 0, 1, 2; sequence 1 positions 3, 2, 0
  // (rewriting its cache as a new sequence would).
  const std::vector<std::vector<int32_t>> steps = {{0, 3}, {1, 2}, {2, 0}};
  // The keys and values each sequence holds at each position, as written.
  float keys[2][4][2] = {}, values[2][4][2] = {};
  for (size_t step = 0; step < steps.size(); ++step) {
    SCOPED_TRACE(step);
    io::HostTensor q(io::DType::F32, {2, 1, 2, 2}),
        k(io::DType::F32, {2, 1, 1, 2}), v(io::DType::F32, {2, 1, 1, 2});
    Status status =
        decodeStep(executor, steps[step], int(step) * 11 + 1, &q, &k, &v);
    ASSERT_TRUE(status.isOk()) << status.toString();
    const io::HostTensor out = executor.read(6).value();
    const io::HostTensor keyCache = executor.read(0).value();
    for (int b = 0; b < 2; ++b) {
      const int position = steps[step][b];
      for (int d = 0; d < 2; ++d) {
        keys[b][position][d] = k.data<float>()[b * 2 + d];
        values[b][position][d] = v.data<float>()[b * 2 + d];
        EXPECT_EQ(keyCache.data<float>()[(b * 4 + position) * 2 + d],
                  keys[b][position][d]);
      }
      // Both heads read the one group: softmax over positions 0..position.
      for (int h = 0; h < 2; ++h) {
        const float *qh = q.data<float>() + (b * 2 + h) * 2;
        double scores[4], max = -INFINITY, sum = 0.0;
        for (int t = 0; t <= position; ++t) {
          scores[t] = 0.5 * (double(qh[0]) * keys[b][t][0] +
                             double(qh[1]) * keys[b][t][1]);
          max = std::max(max, scores[t]);
        }
        for (int t = 0; t <= position; ++t)
          sum += std::exp(scores[t] - max);
        for (int e = 0; e < 2; ++e) {
          double expected = 0.0;
          for (int t = 0; t <= position; ++t)
            expected += std::exp(scores[t] - max) / sum * values[b][t][e];
          EXPECT_NEAR(out.data<float>()[(b * 2 + h) * 2 + e], expected, 1e-5)
              << "b=" << b << " h=" << h << " e=" << e;
        }
      }
    }
  }
}

TEST(ExecutorTest, PositionsOutsideTheCacheAreRejectedBeforeAnyWrite) {
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  auto made = cacheExecutorFor(CacheSpec(), device);
  ASSERT_TRUE(made.isOk()) << made.status().toString();
  Executor &executor = **made;
  const io::HostTensor before = executor.read(0).value();
  io::HostTensor q(io::DType::F32, {2, 1, 2, 2}),
      k(io::DType::F32, {2, 1, 1, 2}), v(io::DType::F32, {2, 1, 1, 2});
  for (const std::vector<int32_t> &positions :
       {std::vector<int32_t>{0, 4}, std::vector<int32_t>{-1, 0}}) {
    Status status = decodeStep(executor, positions, 5, &q, &k, &v);
    ASSERT_FALSE(status.isOk());
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    const std::string bad = std::to_string(positions[0] < 0 ? -1 : 4);
    const std::string sequence = positions[0] < 0 ? "0" : "1";
    EXPECT_NE(status.message().find(
                  "function decode: instruction 0 (cache_write at "
                  "layers.0.attention.key_cache): position " +
                  bad + " of sequence " + sequence +
                  " (token 0 of the call) is outside the KV cache of 4 "
                  "positions [0, 4)"),
              std::string::npos)
        << status.message();
    // Sequence 0's valid position was not written either.
    EXPECT_TRUE(executor.read(0).value().bitwiseEquals(before));
  }
}

TEST(ExecutorTest, PagedTableEntriesOutsideThePoolAreRejectedBeforeAnyWrite) {
  std::unique_ptr<Backend> backend = cpuTestBackend();
  CacheSpec spec;
  spec.paged = true; // 3 blocks of 2 positions, 2 table entries per row
  auto made = cacheExecutorFor(spec, *backend);
  ASSERT_TRUE(made.isOk()) << made.status().toString();
  Executor &executor = **made;
  const io::HostTensor before = executor.read(0).value();
  io::HostTensor q(io::DType::F32, {2, 1, 2, 2}),
      k(io::DType::F32, {2, 1, 1, 2}), v(io::DType::F32, {2, 1, 1, 2});
  io::HostTensor table(io::DType::I32, {2, 2});
  // Row 1's second block (positions 2..3) is 5, outside [0, 3); row 0's
  // entries are fine and its write must not happen either.
  const int32_t entries[] = {0, 1, 2, 5};
  std::copy(entries, entries + 4, table.data<int32_t>());
  ASSERT_TRUE(executor.write(7, table).isOk());
  Status status = decodeStep(executor, {1, 2}, 3, &q, &k, &v);
  ASSERT_FALSE(status.isOk());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find(
                "function decode: instruction 0 (cache_write at "
                "layers.0.attention.key_cache): block table entry [1, 1] = "
                "5 for position 2 of sequence 1 (token 0 of the call) is "
                "outside the KV cache's 3 blocks [0, 3)"),
            std::string::npos)
      << status.message();
  EXPECT_TRUE(executor.read(0).value().bitwiseEquals(before));
  // A position past the table's W * N = 4 positions is refused as well.
  table.data<int32_t>()[3] = 2;
  ASSERT_TRUE(executor.write(7, table).isOk());
  status = decodeStep(executor, {1, 4}, 3, &q, &k, &v);
  EXPECT_NE(status.message().find("position 4 of sequence 1 (token 0 of the "
                                  "call) is outside the KV cache of 4 "
                                  "positions [0, 4)"),
            std::string::npos)
      << status.message();
  EXPECT_TRUE(executor.read(0).value().bitwiseEquals(before));
  // The table is fine now: row 0's key (position 1) lands in block 0, row
  // 1 of the pool's rows [block * 2 + position % 2]; row 1's (position 2)
  // in block 2, pool row 4. Two floats per pool row.
  ASSERT_TRUE(decodeStep(executor, {1, 2}, 3, &q, &k, &v).isOk());
  const io::HostTensor cache = executor.read(0).value();
  EXPECT_EQ(cache.data<float>()[1 * 2], k.data<float>()[0]);
  EXPECT_EQ(cache.data<float>()[4 * 2], k.data<float>()[2]);
}

TEST(ExecutorTest, CacheKernelsNeedKVCacheBuffers) {
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  CacheSpec spec;
  spec.cacheCategory = artifact::BufferCategory::Activation;
  auto made = cacheExecutorFor(spec, device);
  ASSERT_FALSE(made.isOk());
  EXPECT_NE(made.status().message().find(
                "c.strata: function decode, instruction 0 (cache_write at "
                "layers.0.attention.key_cache): result 0 "
                "'layers.0.attention.key_cache' is not a KV cache"),
            std::string::npos)
      << made.status().message();

  spec = CacheSpec();
  spec.attentionOperands = {2, 3, 4, 5}; // this call's keys, not the caches
  made = cacheExecutorFor(spec, device);
  ASSERT_FALSE(made.isOk());
  EXPECT_NE(made.status().message().find(
                "instruction 2 (cached_attention at layers.0.attention.core): "
                "operand 1 'k' is not a KV cache"),
            std::string::npos)
      << made.status().message();

  spec = CacheSpec();
  spec.causal = 0;
  made = cacheExecutorFor(spec, device);
  ASSERT_FALSE(made.isOk());
  EXPECT_NE(made.status().message().find("cached attention with causal = 0"),
            std::string::npos)
      << made.status().message();
}

//===----------------------------------------------------------------------===//
// Gradient buckets (format 0.9)
//===----------------------------------------------------------------------===//

/// Rank 1 of dp 2 whose peer holds the same gradients: sums double.
class DoublingPeer final : public FakePeerCommunicator {
public:
  Status allReduce(void *data, size_t count, ElementType, ReduceOp) override {
    auto *x = static_cast<float *>(data);
    for (size_t i = 0; i < count; ++i)
      x[i] *= 2.0f;
    return Status::ok();
  }
};

/// buildArtifact over dp 2 with a reduce_gradients function.
Spec dataParallel() {
  Spec spec;
  spec.meshAxes = {"dp"};
  spec.meshShape = {2};
  spec.reduceGradients = true;
  return spec;
}

StatusOr<std::vector<PreparedFunction>> prepared(const Spec &spec) {
  STRATA_ASSIGN_OR_RETURN(
      LoadedArtifact artifact,
      loadArtifactFromBytes(buildArtifact(spec), "t.strata"));
  return prepareProgram(artifact, {1});
}

std::string preparationError(const Spec &spec) {
  auto functions = prepared(spec);
  return functions.isOk() ? "ok" : functions.status().message();
}

TEST(ExecutorTest, GradientBucketIsAnArenaBufferNotScratch) {
  auto functions = prepared(dataParallel());
  ASSERT_TRUE(functions.isOk()) << functions.status().toString();
  const KernelDescriptor *reduce = nullptr;
  for (const PreparedFunction &function : *functions)
    if (function.name == "reduce_gradients")
      reduce = &function.instructions.at(0);
  ASSERT_NE(reduce, nullptr);
  EXPECT_EQ(reduce->scratchBytes, 0u);
  const auto &shape = reduce->as<CollectiveShape>();
  EXPECT_EQ(shape.bucket.buffer, 7u);
  EXPECT_EQ(shape.bucket.offset, 896u);
  EXPECT_EQ(shape.bucketBytes, 128u); // the one 32-float gradient slot

  // Run as rank 1 of dp 2: the gradient doubles through the bucket, and
  // the workspace is what the program without it needs.
  std::unique_ptr<Backend> backend = cpuTestBackend();
  DoublingPeer peer;
  RankMesh mesh;
  mesh.axes = {"dp"};
  mesh.shape = {2};
  mesh.coords = {1};
  mesh.communicators = {&peer};
  ExecutorOptions options;
  options.mesh = &mesh;
  auto create = [&](const Spec &spec) {
    auto artifact = loadArtifactFromBytes(buildArtifact(spec), "t.strata");
    EXPECT_TRUE(artifact.isOk());
    return Executor::create(std::move(*artifact), *backend, options);
  };
  auto executor = create(dataParallel());
  ASSERT_TRUE(executor.isOk()) << executor.status().toString();
  Spec without = dataParallel();
  without.reduceGradients = false;
  auto plain = create(without);
  ASSERT_TRUE(plain.isOk()) << plain.status().toString();
  EXPECT_EQ((*executor)->scratchBytes(), (*plain)->scratchBytes());
  io::HostTensor grad(io::DType::F32, {4, 8});
  for (int i = 0; i < 32; ++i)
    grad.data<float>()[i] = float(i);
  ASSERT_TRUE((*executor)->write(1, grad).isOk());
  ASSERT_TRUE((*executor)->run("reduce_gradients").isOk());
  auto summed = (*executor)->read(1);
  ASSERT_TRUE(summed.isOk());
  for (int i = 0; i < 32; ++i)
    EXPECT_EQ(summed->data<float>()[i], 2.0f * float(i));
}

TEST(ExecutorTest, GradientBucketIsCheckedBeforeRunning) {
  const std::string at = "t.strata: function reduce_gradients, instruction 0 "
                         "(reduce_gradients at gradients): ";
  Spec spec = dataParallel();
  spec.bucketElements = 16;
  EXPECT_EQ(preparationError(spec),
            at + "operand 0 'bucket' [16] holds 64 bytes, fewer than the 128 "
                 "bytes of the largest bucket of 1 slots");
  spec = dataParallel();
  spec.bucketCategory = artifact::BufferCategory::Activation;
  EXPECT_EQ(preparationError(spec),
            at + "operand 0 'bucket' [32] is not a gradient bucket (category "
                 "Activation)");
  spec = dataParallel();
  spec.bucketDType = artifact::DType::F64;
  spec.bucketElements = 16;
  EXPECT_EQ(preparationError(spec),
            at + "operand 0 'bucket' [16] is F64 but the slots it packs are "
                 "F32");
  // A larger bucket than the slots need is fine.
  spec = dataParallel();
  spec.arenaSize = 2048;
  spec.bucketElements = 64;
  EXPECT_EQ(preparationError(spec), "ok");
}

//===----------------------------------------------------------------------===//
// Send and Recv between pipeline stages
//===----------------------------------------------------------------------===//

/// The pp axis of a two-stage pipeline in one process: sendAsync queues a
/// copy for the peer, recv takes the oldest message of (peer, tag) or fails
/// (the stages run one after the other, so a missing message is a bug).
struct Mailboxes {
  std::map<std::tuple<int, int, int>, std::deque<std::vector<uint8_t>>>
      queues; // (from, to, tag)
  int completeSendsCalls = 0;
};

class LoopbackCommunicator final : public Communicator {
public:
  LoopbackCommunicator(Mailboxes &mail, int rank, int size)
      : mail_(mail), rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Status allReduce(void *, size_t, ElementType, ReduceOp) override {
    return unused();
  }
  Status allGather(const void *, void *, size_t, ElementType) override {
    return unused();
  }
  Status reduceScatter(const void *, void *, size_t, ElementType,
                       ReduceOp) override {
    return unused();
  }
  Status send(const void *data, size_t bytes, int peer, int tag) override {
    return sendAsync(data, bytes, peer, tag);
  }
  Status sendAsync(const void *data, size_t bytes, int peer, int tag) override {
    const auto *begin = static_cast<const uint8_t *>(data);
    mail_.queues[{rank_, peer, tag}].emplace_back(begin, begin + bytes);
    return Status::ok();
  }
  Status completeSends() override {
    ++mail_.completeSendsCalls;
    return Status::ok();
  }
  Status recv(void *data, size_t bytes, int peer, int tag) override {
    auto &queue = mail_.queues[{peer, rank_, tag}];
    if (queue.empty())
      return Status::unavailable("nothing from rank " + std::to_string(peer) +
                                 " with tag " + std::to_string(tag));
    if (queue.front().size() != bytes)
      return Status::invalidArgument(
          "the peer sent " + std::to_string(queue.front().size()) + " bytes");
    std::memcpy(data, queue.front().data(), bytes);
    queue.pop_front();
    return Status::ok();
  }
  Status barrier() override { return unused(); }

private:
  static Status unused() { return Status::internal("not used by the test"); }
  Mailboxes &mail_;
  int rank_, size_;
};

/// A stage program on a dp=1 x pp=2 x tp=1 mesh: function "send" sends x
/// [2,3] (buffer 0) and "recv" receives y [2,3] (buffer 1), both over
/// |axes| with |offset| and tag 7 (the Recv's offset is the opposite).
std::vector<uint8_t> buildStageArtifact(int64_t axes, int64_t offset,
                                        int64_t tag = 7) {
  namespace fb = ::strata::artifact;
  flatbuffers::FlatBufferBuilder b;
  std::vector<int64_t> shape = {2, 3};
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers = {
      fb::CreateBufferDirect(b, "x", fb::BufferCategory::Input, fb::DType::F32,
                             &shape, 0, 24),
      fb::CreateBufferDirect(b, "y", fb::BufferCategory::Output, fb::DType::F32,
                             &shape, 64, 24)};
  std::vector<uint32_t> x = {0}, y = {1};
  std::vector<int64_t> sendInts = {axes, offset, tag},
                       recvInts = {axes, -offset, tag};
  using Instructions = std::vector<flatbuffers::Offset<fb::Instruction>>;
  Instructions send = {fb::CreateInstructionDirect(
      b, fb::Kernel::Send, &x, nullptr, &sendInts, nullptr, "stage.output")};
  Instructions recv = {fb::CreateInstructionDirect(
      b, fb::Kernel::Recv, nullptr, &y, &recvInts, nullptr, "stage.input")};
  std::vector<flatbuffers::Offset<fb::Function>> functions = {
      fb::CreateFunctionDirect(b, "send", &x, nullptr, &send),
      fb::CreateFunctionDirect(b, "recv", nullptr, &y, &recv)};
  std::vector<uint64_t> peaks(8, 0);
  auto plan = fb::CreateMemoryPlanDirect(b, 128, &peaks, 0, 0);
  std::vector<flatbuffers::Offset<flatbuffers::String>> axisNames = {
      b.CreateString("dp"), b.CreateString("pp"), b.CreateString("tp")};
  std::vector<int64_t> meshShape = {1, 2, 1};
  std::vector<flatbuffers::Offset<fb::Parameter>> parameters;
  auto root = fb::CreateArtifactDirect(
      b, kArtifactVersionMajor, kArtifactVersionMinor, "stage", "model: {}",
      "{}", "{}", 1, &buffers, &parameters, &functions, plan, &axisNames,
      &meshShape);
  fb::FinishSizePrefixedArtifactBuffer(b, root);
  std::vector<uint8_t> bytes(b.GetBufferPointer(),
                             b.GetBufferPointer() + b.GetSize());
  appendArtifactChecksum(bytes);
  return bytes;
}

/// The two stages of a pp=2 mesh, communicating through |mail|.
struct TwoStages {
  explicit TwoStages(Mailboxes &mail) {
    for (int stage = 0; stage < 2; ++stage) {
      pp[stage] = std::make_unique<LoopbackCommunicator>(mail, stage, 2);
      mesh[stage].axes = {"dp", "pp", "tp"};
      mesh[stage].shape = {1, 2, 1};
      mesh[stage].coords = {0, stage, 0};
      mesh[stage].communicators = {&single, pp[stage].get(), &single};
    }
  }
  StatusOr<std::unique_ptr<Executor>>
  executor(int stage, const std::vector<uint8_t> &bytes,
           Backend &device) const {
    STRATA_ASSIGN_OR_RETURN(LoadedArtifact artifact,
                            loadArtifactFromBytes(bytes, "stage.strata"));
    ExecutorOptions options;
    options.mesh = &mesh[stage];
    return Executor::create(std::move(artifact), device, options);
  }
  SingleProcessCommunicator single;
  std::unique_ptr<LoopbackCommunicator> pp[2];
  RankMesh mesh[2];
};

io::HostTensor filled(float first) {
  io::HostTensor t(io::DType::F32, {2, 3});
  for (int i = 0; i < 6; ++i)
    t.data<float>()[i] = first + float(i);
  return t;
}

TEST(ExecutorTest, SendAndRecvMoveBuffersBetweenStages) {
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  Mailboxes mail;
  TwoStages stages(mail);
  // Offset +1: stage 0 sends to stage 1, and stage 1 (wrapping around, as
  // the interleaved schedule's last stage does) to stage 0.
  const std::vector<uint8_t> bytes = buildStageArtifact(/*axes=*/2, +1);
  auto first = stages.executor(0, bytes, device);
  auto second = stages.executor(1, bytes, device);
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  ASSERT_TRUE(second.isOk()) << second.status().toString();
  ASSERT_TRUE((*first)->write(0, filled(10.0f)).isOk());
  ASSERT_TRUE((*second)->write(0, filled(20.0f)).isOk());
  ASSERT_TRUE((*first)->run("send").isOk());
  // The arena may be reused at once: the message holds a copy.
  ASSERT_TRUE((*first)->write(0, filled(-1.0f)).isOk());
  ASSERT_TRUE((*second)->run("send").isOk());
  EXPECT_EQ(mail.queues[std::make_tuple(0, 1, 7)].size(), 1u);
  EXPECT_EQ(mail.queues[std::make_tuple(1, 0, 7)].size(), 1u);
  ASSERT_TRUE((*first)->run("recv").isOk());
  ASSERT_TRUE((*second)->run("recv").isOk());
  EXPECT_TRUE((*first)->read(1).value().bitwiseEquals(filled(20.0f)));
  EXPECT_TRUE((*second)->read(1).value().bitwiseEquals(filled(10.0f)));
  ASSERT_TRUE((*first)->completeSends().isOk());
  EXPECT_EQ(mail.completeSendsCalls, 1);

  // A Recv with nothing to receive fails naming the instruction.
  Status nothing = (*first)->run("recv");
  EXPECT_EQ(nothing.code(), StatusCode::kUnavailable);
  EXPECT_NE(nothing.message().find("instruction 0 (recv at stage.input)"),
            std::string::npos)
      << nothing.message();
  EXPECT_NE(nothing.message().find("nothing from rank 1 with tag 7"),
            std::string::npos)
      << nothing.message();
}

TEST(ExecutorTest, SendAndRecvAreCheckedBeforeRunning) {
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  Mailboxes mail;
  TwoStages stages(mail);
  auto refused = [&](const std::vector<uint8_t> &bytes) {
    auto executor = stages.executor(0, bytes, device);
    EXPECT_FALSE(executor.isOk());
    return executor.isOk() ? std::string() : executor.status().message();
  };
  // Offset 2 on an axis of 2 ranks: the rank itself.
  std::string self = refused(buildStageArtifact(2, 2));
  EXPECT_NE(self.find("instruction 0 (send at stage.output): offset 2 along "
                      "mesh axis 1 of size 2 names this rank itself"),
            std::string::npos)
      << self;
  std::string tag = refused(buildStageArtifact(2, 1, -1));
  EXPECT_NE(tag.find("tag -1 is outside [0, 2147483647]"), std::string::npos)
      << tag;
  std::string axes = refused(buildStageArtifact(8, 1));
  EXPECT_NE(axes.find("collective over axes mask 8 of a mesh with 3 axes"),
            std::string::npos)
      << axes;
}

} // namespace
} // namespace strata::runtime

//===- gemm_autotune.cc - choosing a GEMM's cuBLASLt algorithm ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/gemm_autotune.h"

#include "runtime/backends/cuda/cuda_check.h"
#include "runtime/backends/cuda/kernels/gemm.h"
#include "runtime/backends/gemm_tuning/candidate_choice.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <type_traits>
#include <vector>

namespace strata::runtime::cuda::kernels {

namespace {

//===----------------------------------------------------------------------===//
// The process's tuning state
//===----------------------------------------------------------------------===//

void warn(const std::string &message) {
  std::fprintf(stderr, "strata: warning: %s\n", message.c_str());
  std::fflush(stderr);
}

/// STRATA_GEMM_TUNING: on (default) or off, read once.
StatusOr<bool> tuningEnabled() {
  static const std::optional<bool> enabled = []() -> std::optional<bool> {
    const char *value = std::getenv("STRATA_GEMM_TUNING");
    if (!value || !*value || std::strcmp(value, "on") == 0 ||
        std::strcmp(value, "1") == 0)
      return true;
    if (std::strcmp(value, "off") == 0 || std::strcmp(value, "0") == 0)
      return false;
    return std::nullopt;
  }();
  if (!enabled)
    return Status::invalidArgument(
        std::string("STRATA_GEMM_TUNING=") + std::getenv("STRATA_GEMM_TUNING") +
        ": expected on (time cuBLASLt's candidates once per GEMM and cache "
        "the fastest) or off (the heuristic's first choice)");
  return *enabled;
}

/// The cache file and the GPUs' names, for every GEMM of the process.
struct TuningState {
  std::mutex mutex;
  /// Warnings about the file already printed (it is re-read per record).
  std::set<std::string> warned;
  std::string path; // empty: the default, resolved on first use
  std::unique_ptr<GemmTuningCache> cache;
  std::map<int, std::string> gpus;
  bool warnedWrite = false;
  bool warnedCapture = false;
};

TuningState &state() {
  static TuningState *const instance = new TuningState; // never destroyed
  return *instance;
}

/// The cache, loaded on first use (the caller holds the state's mutex).
GemmTuningCache &cacheOf(TuningState &s) {
  if (!s.cache) {
    s.cache = std::make_unique<GemmTuningCache>(
        s.path.empty() ? defaultGemmTuningCachePath() : s.path);
    for (const std::string &warning : s.cache->load())
      if (s.warned.insert(warning).second)
        warn(warning);
  }
  return *s.cache;
}

/// "NVIDIA H100 80GB HBM3, 132 SMs, sm_90": what a tuning applies to.
StatusOr<std::string> gpuOf(TuningState &s, int device) {
  auto it = s.gpus.find(device);
  if (it != s.gpus.end())
    return it->second;
  cudaDeviceProp prop{};
  STRATA_RETURN_IF_ERROR(
      check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties"));
  std::string name = prop.name;
  for (char &ch : name)
    if (ch == '\t' || ch == '\n' || ch == '\r')
      ch = ' ';
  name += ", " + std::to_string(prop.multiProcessorCount) + " SMs, sm_" +
          std::to_string(prop.major * 10 + prop.minor);
  return s.gpus.emplace(device, name).first->second;
}

//===----------------------------------------------------------------------===//
// Candidates and timing
//===----------------------------------------------------------------------===//

template <typename V>
Status setPreference(cublasLtMatmulPreference_t preference,
                     cublasLtMatmulPreferenceAttributes_t attribute, V value) {
  return checkLt(cublasLtMatmulPreferenceSetAttribute(preference, attribute,
                                                      &value, sizeof(value)),
                 "cublasLtMatmulPreferenceSetAttribute");
}

/// The heuristic's algorithms for |plan|, best first: within
/// kGemmWorkspaceBytes and the operands' alignments, split-K reductions
/// summing in f32 (CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE), or any
/// reduction when no algorithm has that.
StatusOr<std::vector<cublasLtMatmulHeuristicResult_t>>
heuristicCandidates(cublasLtHandle_t handle, const GemmKey &key,
                    const GemmPlan &plan) {
  cublasLtMatmulPreference_t preference = nullptr;
  STRATA_RETURN_IF_ERROR(checkLt(cublasLtMatmulPreferenceCreate(&preference),
                                 "cublasLtMatmulPreferenceCreate"));
  std::unique_ptr<std::remove_pointer_t<cublasLtMatmulPreference_t>,
                  cublasStatus_t (*)(cublasLtMatmulPreference_t)>
      owned(preference, &cublasLtMatmulPreferenceDestroy);
  using Attribute = cublasLtMatmulPreferenceAttributes_t;
  STRATA_RETURN_IF_ERROR(setPreference(preference,
                                       CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                       uint64_t(kGemmWorkspaceBytes)));
  const GemmDescriptor &g = key.gemm;
  const std::pair<Attribute, uint32_t> alignments[] = {
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, g.alignB}, // our B
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, g.alignA}, // our A
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, g.alignC},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, g.alignC}};
  for (const auto &[attribute, bytes] : alignments)
    STRATA_RETURN_IF_ERROR(setPreference(preference, attribute, bytes));
  for (uint32_t reductions : {uint32_t(CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE),
                              uint32_t(CUBLASLT_REDUCTION_SCHEME_MASK)}) {
    STRATA_RETURN_IF_ERROR(setPreference(
        preference, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, reductions));
    std::vector<cublasLtMatmulHeuristicResult_t> results(kGemmCandidates);
    int found = 0;
    STRATA_RETURN_IF_ERROR(checkLt(
        cublasLtMatmulAlgoGetHeuristic(handle, plan.operation, plan.a, plan.b,
                                       plan.c, plan.c, preference,
                                       kGemmCandidates, results.data(), &found),
        "cublasLtMatmulAlgoGetHeuristic for " + key.text()));
    results.resize(size_t(std::max(found, 0)));
    // Only entries whose state is a success hold an algorithm.
    results.erase(std::remove_if(results.begin(), results.end(),
                                 [](const auto &r) {
                                   return r.state != CUBLAS_STATUS_SUCCESS;
                                 }),
                  results.end());
    if (!results.empty())
      return results;
  }
  return Status::internal("cuBLASLt has no algorithm for the GEMM " +
                          key.text());
}

std::array<uint64_t, 8> wordsOf(const cublasLtMatmulAlgo_t &algorithm) {
  std::array<uint64_t, 8> words{};
  static_assert(sizeof(algorithm.data) == sizeof(words));
  std::memcpy(words.data(), algorithm.data, sizeof(words));
  return words;
}

/// Device memory at an address of alignment exactly |alignment| (at most
/// 256), freed in stream order.
class ScratchBuffer {
public:
  static StatusOr<ScratchBuffer> allocate(size_t bytes, uint32_t alignment,
                                          cudaStream_t stream) {
    void *raw = nullptr;
    STRATA_RETURN_IF_ERROR(
        check(cudaMallocAsync(&raw, bytes + 2 * kMaxGemmAlignment, stream),
              "cudaMallocAsync of " + std::to_string(bytes) +
                  " bytes to time GEMM algorithms in"));
    const uintptr_t start =
        (reinterpret_cast<uintptr_t>(raw) + kMaxGemmAlignment - 1) /
        kMaxGemmAlignment * kMaxGemmAlignment;
    const uintptr_t at =
        start + (alignment < kMaxGemmAlignment ? alignment : 0);
    return ScratchBuffer(raw, reinterpret_cast<void *>(at), stream);
  }
  ScratchBuffer(ScratchBuffer &&other) noexcept
      : raw_(other.raw_), at_(other.at_), stream_(other.stream_) {
    other.raw_ = nullptr;
  }
  ScratchBuffer(const ScratchBuffer &) = delete;
  ScratchBuffer &operator=(const ScratchBuffer &) = delete;
  ScratchBuffer &operator=(ScratchBuffer &&) = delete;
  ~ScratchBuffer() {
    if (raw_)
      cudaFreeAsync(raw_, stream_);
  }
  void *get() const { return at_; }

private:
  ScratchBuffer(void *raw, void *at, cudaStream_t stream)
      : raw_(raw), at_(at), stream_(stream) {}
  void *raw_;
  void *at_;
  cudaStream_t stream_;
};

bool overlaps(const void *p, size_t pBytes, const void *q, size_t qBytes) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  const auto b = reinterpret_cast<uintptr_t>(q);
  return a < b + qBytes && b < a + pBytes;
}

/// cudaEvents with timing, destroyed with the object.
class EventPair {
public:
  EventPair() = default;
  EventPair(const EventPair &) = delete;
  EventPair &operator=(const EventPair &) = delete;
  ~EventPair() {
    if (start)
      cudaEventDestroy(start);
    if (stop)
      cudaEventDestroy(stop);
  }
  Status create() {
    STRATA_RETURN_IF_ERROR(check(cudaEventCreate(&start), "cudaEventCreate"));
    return check(cudaEventCreate(&stop), "cudaEventCreate");
  }
  cudaEvent_t start = nullptr, stop = nullptr;
};

/// Milliseconds per call of |algorithm| over |reps| calls after
/// kGemmWarmups, or nullopt when a call fails to launch. An error when
/// the GPU itself failed (a fault is sticky: nothing else would run).
StatusOr<std::optional<double>>
timeAlgorithm(cublasLtHandle_t handle, const GemmPlan &plan,
              const cublasLtMatmulAlgo_t &algorithm,
              const GemmOperands &operands, int reps, EventPair &events) {
  for (int i = 0; i < kGemmWarmups; ++i)
    if (launchGemm(handle, plan, algorithm, operands) != CUBLAS_STATUS_SUCCESS)
      return std::optional<double>();
  STRATA_RETURN_IF_ERROR(
      check(cudaEventRecord(events.start, operands.stream), "cudaEventRecord"));
  bool launched = true;
  for (int i = 0; i < reps && launched; ++i)
    launched =
        launchGemm(handle, plan, algorithm, operands) == CUBLAS_STATUS_SUCCESS;
  STRATA_RETURN_IF_ERROR(
      check(cudaEventRecord(events.stop, operands.stream), "cudaEventRecord"));
  STRATA_RETURN_IF_ERROR(check(cudaEventSynchronize(events.stop),
                               "timing GEMM algorithms: the GPU failed"));
  if (!launched)
    return std::optional<double>();
  float ms = 0.0f;
  STRATA_RETURN_IF_ERROR(
      check(cudaEventElapsedTime(&ms, events.start, events.stop),
            "cudaEventElapsedTime"));
  return std::optional<double>(double(ms) / reps);
}

/// Times every candidate on |operands| (C replaced by a scratch C when it
/// overlaps A or B) and returns the entry of the fastest.
StatusOr<GemmTuningEntry>
tune(cublasLtHandle_t handle, const GemmKey &key, const GemmPlan &plan,
     const std::vector<cublasLtMatmulHeuristicResult_t> &candidates,
     GemmOperands operands, int reps) {
  const GemmDescriptor &g = key.gemm;
  std::optional<ScratchBuffer> scratchC;
  const size_t bytesC = operandBytesC(g);
  if (overlaps(operands.c, bytesC, operands.a, operandBytesA(g)) ||
      overlaps(operands.c, bytesC, operands.b, operandBytesB(g))) {
    STRATA_ASSIGN_OR_RETURN(
        ScratchBuffer buffer,
        ScratchBuffer::allocate(bytesC, g.alignC, operands.stream));
    scratchC.emplace(std::move(buffer));
    operands.c = scratchC->get();
  }
  EventPair events;
  STRATA_RETURN_IF_ERROR(events.create());
  std::vector<TimedCandidate> timed(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    timed[i].algorithm = wordsOf(candidates[i].algo);
    STRATA_ASSIGN_OR_RETURN(timed[i].ms,
                            timeAlgorithm(handle, plan, candidates[i].algo,
                                          operands, reps, events));
  }
  return chooseFastestCandidate(key.text(), timed);
}

/// The candidate whose words are |words|, or null.
const cublasLtMatmulHeuristicResult_t *
candidateWith(const std::vector<cublasLtMatmulHeuristicResult_t> &candidates,
              const std::array<uint64_t, 8> &words) {
  for (const cublasLtMatmulHeuristicResult_t &candidate : candidates)
    if (wordsOf(candidate.algo) == words)
      return &candidate;
  return nullptr;
}

} // namespace

void setGemmTuningCachePath(const std::string &path) {
  TuningState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.cache && s.cache->path() != path)
    s.cache.reset(); // read the new file on next use
  s.path = path;
}

Status chooseAlgorithm(cublasLtHandle_t handle, const GemmKey &key,
                       GemmPlan &plan, const GemmOperands &operands, int reps,
                       GemmTuningReport *report) {
  STRATA_ASSIGN_OR_RETURN(const bool enabled, tuningEnabled());
  STRATA_ASSIGN_OR_RETURN(
      const std::vector<cublasLtMatmulHeuristicResult_t> candidates,
      heuristicCandidates(handle, key, plan));
  plan.algorithm = candidates[0].algo;
  if (!enabled)
    return report ? Status::failedPrecondition(
                        "STRATA_GEMM_TUNING=off switches GEMM autotuning "
                        "off: unset it to tune")
                  : Status::ok();

  TuningState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  GemmTuningCache &cache = cacheOf(s);
  STRATA_ASSIGN_OR_RETURN(const std::string gpu, gpuOf(s, key.device));
  const uint64_t version = cublasLtGetVersion();
  if (report)
    report->cachePath = cache.path();
  GemmTuningCache::Merge merge = GemmTuningCache::Merge::KeepExisting;
  if (const GemmTuningEntry *cached = cache.find(gpu, version, key.text())) {
    if (const auto *candidate = candidateWith(candidates, cached->algorithm)) {
      plan.algorithm = candidate->algo;
      if (report) {
        report->entry = *cached;
        report->cached = true;
      }
      return Status::ok();
    }
    warn(cache.path() + ": the algorithm cached for the GEMM " + key.text() +
         " is not among cuBLASLt's candidates for it: tuning it again");
    merge = GemmTuningCache::Merge::Replace;
  }

  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  STRATA_RETURN_IF_ERROR(check(cudaStreamIsCapturing(operands.stream, &capture),
                               "cudaStreamIsCapturing"));
  if (capture != cudaStreamCaptureStatusNone) {
    if (!s.warnedCapture)
      warn("the GEMM " + key.text() +
           " first runs inside a CUDA graph capture, where it cannot be "
           "timed: it keeps cuBLASLt's heuristic choice (run strata-run "
           "tune-gemms on the artifact first)");
    s.warnedCapture = true;
    return Status::ok();
  }

  STRATA_ASSIGN_OR_RETURN(GemmTuningEntry measured,
                          tune(handle, key, plan, candidates, operands, reps));
  measured.gpu = gpu;
  measured.libraryVersion = version;
  GemmTuningEntry used = measured;
  std::vector<std::string> warnings;
  StatusOr<GemmTuningEntry> kept = cache.record(measured, merge, warnings);
  for (const std::string &warning : warnings)
    if (s.warned.insert(warning).second)
      warn(warning);
  if (!kept.isOk()) {
    if (!s.warnedWrite)
      warn(kept.status().message() +
           ": GEMM tunings are used by this process only");
    s.warnedWrite = true;
  } else if (candidateWith(candidates, kept->algorithm)) {
    // Another process may have recorded this GEMM first: use its choice,
    // so that every process runs the same algorithm.
    used = *kept;
  }
  const cublasLtMatmulHeuristicResult_t *chosen =
      candidateWith(candidates, used.algorithm);
  plan.algorithm = chosen->algo;
  if (report) {
    report->entry = used;
    report->cached = !(used == measured);
  }
  return Status::ok();
}

} // namespace strata::runtime::cuda::kernels

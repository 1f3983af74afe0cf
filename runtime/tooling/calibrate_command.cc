//===- calibrate_command.cc - strata-run calibrate ------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/calibrate_command.h"

#include "runtime/artifact/artifact_loader.h"
#include "runtime/artifact/kernel_signatures.h"
#include "runtime/backends/conformance/kernel_cases.h"
#include "runtime/executor/executor.h"
#include "runtime/io/file_io.h"
#include "runtime/tooling/rank_setup.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

namespace strata::runtime {

namespace {

using artifact::Kernel;
using conformance::KernelCase;
using Clock = std::chrono::steady_clock;

Status lineError(const std::string &path, int line, const std::string &what) {
  return Status::invalidArgument(path + ":" + std::to_string(line) + ": " +
                                 what);
}

/// |words| as |count| positive integers, or an error naming the value at
/// fault.
StatusOr<std::vector<int64_t>>
positiveFields(const std::vector<std::string> &words, size_t count,
               const std::string &path, int line, const std::string &usage) {
  if (words.size() != count)
    return lineError(path, line,
                     "expected " + std::to_string(count) + " numbers, got " +
                         std::to_string(words.size()) + " (" + usage + ")");
  std::vector<int64_t> values;
  for (const std::string &word : words) {
    char *end = nullptr;
    const long long value = std::strtoll(word.c_str(), &end, 10);
    if (*end != '\0' || value <= 0)
      return lineError(path, line,
                       "'" + word + "' is not a positive integer (" + usage +
                           ")");
    values.push_back(value);
  }
  return values;
}

/// The GEMM kernels a shapes file names, by their artifact names.
constexpr Kernel kGemmKernels[] = {Kernel::Matmul, Kernel::MatmulGradInput,
                                   Kernel::MatmulGradWeight};

std::string kernelName(Kernel kernel) {
  return std::string(lookupKernelSignature(kernel)->name);
}

StatusOr<DType> parseDType(const std::string &name) {
  if (name == "f32")
    return DType::F32;
  if (name == "bf16")
    return DType::BF16;
  if (name == "f16")
    return DType::F16;
  return Status::invalidArgument("--dtype '" + name +
                                 "': expected f32, bf16 or f16");
}

/// Seconds per call of each kernel of |c| on |backend|: one warm-up call,
/// then calls until |minSeconds| have passed (at least 5, at most
/// |maxReps|), each timed by the executor's per-kernel profile; the median
/// call, since a VM's hiccups only ever add time.
StatusOr<std::map<std::string, double>>
timeCase(const KernelCase &c, DType dtype, Backend &backend,
         const CalibrateOptions &options) {
  STRATA_ASSIGN_OR_RETURN(
      LoadedArtifact artifact,
      loadArtifactFromBytes(
          conformance::buildCaseArtifact(c, dtype, backend.device().kind()),
          c.name));
  ExecutorOptions executorOptions;
  executorOptions.dropout = false;
  executorOptions.profile = true;
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<Executor> executor,
      Executor::create(std::move(artifact), backend, executorOptions));
  for (uint32_t i = 0; i < c.buffers.size(); ++i)
    STRATA_RETURN_IF_ERROR(executor->zero(i));
  STRATA_RETURN_IF_ERROR(executor->run("run"));
  std::map<std::string, std::pair<int64_t, double>> before;
  for (const KernelProfile &k : executor->profile())
    before[k.kernel] = {k.calls, k.seconds};
  std::map<std::string, std::vector<double>> perCall;
  const Clock::time_point start = Clock::now();
  for (int rep = 0; rep < std::max(options.maxReps, 5); ++rep) {
    STRATA_RETURN_IF_ERROR(executor->run("run"));
    for (const KernelProfile &k : executor->profile()) {
      auto &[calls, seconds] = before[k.kernel];
      if (k.calls > calls)
        perCall[k.kernel].push_back((k.seconds - seconds) /
                                    double(k.calls - calls));
      calls = k.calls;
      seconds = k.seconds;
    }
    const double elapsed =
        std::chrono::duration<double>(Clock::now() - start).count();
    if (rep >= 4 && elapsed >= options.minSeconds)
      break;
  }
  std::map<std::string, double> median;
  for (auto &[kernel, times] : perCall) {
    std::sort(times.begin(), times.end());
    median[kernel] = times[times.size() / 2];
  }
  return median;
}

StatusOr<double> secondsOf(const std::map<std::string, double> &perCall,
                           const std::string &kernel, const KernelCase &c) {
  auto it = perCall.find(kernel);
  if (it == perCall.end())
    return Status::internal("calibrate: the profile of " + c.name + " has no " +
                            kernel + " kernel");
  return it->second;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.6g", value);
  return text;
}

/// Times every shape on this rank's device and appends the profile's
/// kernel arrays to |json|; progress on stderr.
Status timeKernels(const CalibrationShapes &shapes, DType dtype,
                   Backend &backend, const CalibrateOptions &options,
                   std::string &json) {
  const size_t total = shapes.gemms.size() + shapes.attention.size() +
                       shapes.crossEntropy.size() + shapes.elementwise.size();
  size_t done = 0;
  auto progress = [&](const std::string &what) {
    ++done;
    std::fprintf(stderr, "calibrate: [%zu/%zu] %s\n", done, total,
                 what.c_str());
  };

  json += "  \"gemm\": [";
  for (size_t i = 0; i < shapes.gemms.size(); ++i) {
    const GemmToTime &g = shapes.gemms[i];
    const KernelCase c = conformance::gemmCase(g.kernel, g.m, g.n, g.k);
    STRATA_ASSIGN_OR_RETURN(auto perCall, timeCase(c, dtype, backend, options));
    STRATA_ASSIGN_OR_RETURN(double seconds,
                            secondsOf(perCall, kernelName(g.kernel), c));
    json += std::string(i ? ",\n" : "\n") + "    {\"kernel\": \"" +
            kernelName(g.kernel) + "\", \"m\": " + std::to_string(g.m) +
            ", \"n\": " + std::to_string(g.n) +
            ", \"k\": " + std::to_string(g.k) +
            ", \"seconds\": " + number(seconds) + "}";
    progress(c.name + " " + number(seconds * 1e3) + " ms");
  }
  json += "\n  ],\n  \"attention\": [";
  for (size_t i = 0; i < shapes.attention.size(); ++i) {
    const AttentionToTime &a = shapes.attention[i];
    const conformance::AttentionSizes sizes{a.batch,  a.querySeq, a.keySeq,
                                            a.heads,  a.kvHeads,  a.headDim,
                                            a.causal, 0.0};
    // The backward case runs the forward first: both from one profile.
    const KernelCase c = conformance::attentionCase(
        "attention_grad/" + std::to_string(a.batch) + "x" +
            std::to_string(a.querySeq) + "x" + std::to_string(a.heads) + "x" +
            std::to_string(a.headDim),
        sizes, /*backward=*/true);
    STRATA_ASSIGN_OR_RETURN(auto perCall, timeCase(c, dtype, backend, options));
    STRATA_ASSIGN_OR_RETURN(double forward, secondsOf(perCall, "attention", c));
    STRATA_ASSIGN_OR_RETURN(double backward,
                            secondsOf(perCall, "attention_grad", c));
    json += std::string(i ? ",\n" : "\n") +
            "    {\"batch\": " + std::to_string(a.batch) +
            ", \"query_seq\": " + std::to_string(a.querySeq) +
            ", \"key_seq\": " + std::to_string(a.keySeq) +
            ", \"heads\": " + std::to_string(a.heads) +
            ", \"kv_heads\": " + std::to_string(a.kvHeads) +
            ", \"head_dim\": " + std::to_string(a.headDim) +
            ", \"causal\": " + (a.causal ? "true" : "false") +
            ", \"forward_seconds\": " + number(forward) +
            ", \"backward_seconds\": " + number(backward) + "}";
    progress(c.name + " " + number(forward * 1e3) + " + " +
             number(backward * 1e3) + " ms");
  }
  json += "\n  ],\n  \"cross_entropy\": [";
  for (size_t i = 0; i < shapes.crossEntropy.size(); ++i) {
    const CrossEntropyToTime &x = shapes.crossEntropy[i];
    double seconds[2] = {0, 0};
    for (int backward = 0; backward < 2; ++backward) {
      const KernelCase c =
          conformance::crossEntropyCase(x.rows, x.vocab, backward != 0);
      STRATA_ASSIGN_OR_RETURN(auto perCall,
                              timeCase(c, dtype, backend, options));
      STRATA_ASSIGN_OR_RETURN(
          seconds[backward],
          secondsOf(perCall, backward ? "cross_entropy_grad" : "cross_entropy",
                    c));
    }
    json += std::string(i ? ",\n" : "\n") +
            "    {\"rows\": " + std::to_string(x.rows) +
            ", \"vocab\": " + std::to_string(x.vocab) +
            ", \"forward_seconds\": " + number(seconds[0]) +
            ", \"backward_seconds\": " + number(seconds[1]) + "}";
    progress("cross_entropy/" + std::to_string(x.rows) + "x" +
             std::to_string(x.vocab) + " " + number(seconds[0] * 1e3) + " + " +
             number(seconds[1] * 1e3) + " ms");
  }
  json += "\n  ],\n  \"elementwise\": [";
  for (size_t i = 0; i < shapes.elementwise.size(); ++i) {
    const int64_t count = shapes.elementwise[i];
    const KernelCase c = conformance::addCase(count);
    STRATA_ASSIGN_OR_RETURN(auto perCall, timeCase(c, dtype, backend, options));
    STRATA_ASSIGN_OR_RETURN(double seconds, secondsOf(perCall, "add", c));
    const double bytes = 3.0 * double(count) * double(dtypeSize(dtype));
    json += std::string(i ? ",\n" : "\n") +
            "    {\"elements\": " + std::to_string(count) +
            ", \"bytes\": " + number(bytes) +
            ", \"seconds\": " + number(seconds) + "}";
    progress(c.name + " " + number(bytes / seconds / 1e9) + " GB/s");
  }
  json += "\n  ],\n";
  return Status::ok();
}

/// Times an f32 all-reduce of each payload over |world| (every rank calls
/// it); appends the profile's all_reduce array to |json| on every rank.
Status timeAllReduces(const std::vector<int64_t> &payloads, Communicator &world,
                      const CalibrateOptions &options, std::string &json) {
  json += "  \"all_reduce\": [";
  std::vector<float> data;
  for (size_t i = 0; i < payloads.size(); ++i) {
    const size_t count = size_t(std::max<int64_t>(payloads[i] / 4, 1));
    data.assign(count, 1.0f);
    STRATA_RETURN_IF_ERROR(
        world.allReduce(data.data(), count, DType::F32, ReduceOp::Sum));
    STRATA_RETURN_IF_ERROR(world.barrier());
    // Every rank runs the same number of calls: rank 0 decides.
    int reps = 0;
    const Clock::time_point start = Clock::now();
    double elapsed = 0;
    float more = 1.0f;
    while (more > 0.0f) {
      data.assign(count, 1.0f);
      STRATA_RETURN_IF_ERROR(
          world.allReduce(data.data(), count, DType::F32, ReduceOp::Sum));
      ++reps;
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      more = world.rank() == 0 && (reps < 3 || (elapsed < options.minSeconds &&
                                                reps < options.maxReps))
                 ? 1.0f
                 : 0.0f;
      STRATA_RETURN_IF_ERROR(
          world.allReduce(&more, 1, DType::F32, ReduceOp::Max));
    }
    // Each rep also ran the one-element vote: time it alone and subtract.
    const Clock::time_point voteStart = Clock::now();
    for (int r = 0; r < reps; ++r) {
      float vote = 0.0f;
      STRATA_RETURN_IF_ERROR(
          world.allReduce(&vote, 1, DType::F32, ReduceOp::Max));
    }
    const double votes =
        std::chrono::duration<double>(Clock::now() - voteStart).count();
    const double seconds = std::max(elapsed - votes, 0.0) / reps;
    json += std::string(i ? ",\n" : "\n") +
            "    {\"ranks\": " + std::to_string(world.size()) +
            ", \"bytes\": " + std::to_string(count * 4) +
            ", \"seconds\": " + number(seconds) + "}";
    if (world.rank() == 0)
      std::fprintf(stderr,
                   "calibrate: all_reduce of %zu bytes over %d ranks "
                   "%s ms\n",
                   count * 4, world.size(), number(seconds * 1e3).c_str());
  }
  json += "\n  ]\n";
  return Status::ok();
}

} // namespace

StatusOr<CalibrationShapes> parseCalibrationShapes(const std::string &text,
                                                   const std::string &path) {
  CalibrationShapes shapes;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (size_t hash = line.find('#'); hash != std::string::npos)
      line.resize(hash);
    std::istringstream fields(line);
    std::string item;
    if (!(fields >> item))
      continue;
    std::vector<std::string> words;
    for (std::string word; fields >> word;)
      words.push_back(word);
    if (item == "gemm") {
      const std::string kernel = words.empty() ? "" : words.front();
      const Kernel *k =
          std::find_if(std::begin(kGemmKernels), std::end(kGemmKernels),
                       [&](Kernel g) { return kernelName(g) == kernel; });
      if (k == std::end(kGemmKernels))
        return lineError(path, number,
                         "unknown GEMM kernel '" + kernel +
                             "' (matmul, matmul_grad_input or "
                             "matmul_grad_weight)");
      STRATA_ASSIGN_OR_RETURN(std::vector<int64_t> v,
                              positiveFields({words.begin() + 1, words.end()},
                                             3, path, number,
                                             "gemm KERNEL M N K"));
      shapes.gemms.push_back({*k, v[0], v[1], v[2]});
    } else if (item == "attention") {
      const char *usage =
          "attention BATCH QUERY_SEQ KEY_SEQ HEADS KV_HEADS HEAD_DIM CAUSAL";
      if (words.size() != 7 || (words[6] != "0" && words[6] != "1"))
        return lineError(path, number,
                         std::string("expected 6 sizes and 0 or 1 (") + usage +
                             ")");
      STRATA_ASSIGN_OR_RETURN(std::vector<int64_t> v,
                              positiveFields({words.begin(), words.begin() + 6},
                                             6, path, number, usage));
      if (v[3] % v[4] != 0)
        return lineError(path, number,
                         "KV_HEADS " + std::to_string(v[4]) +
                             " does not divide HEADS " + std::to_string(v[3]));
      shapes.attention.push_back(
          {v[0], v[1], v[2], v[3], v[4], v[5], words[6] == "1"});
    } else if (item == "cross_entropy") {
      STRATA_ASSIGN_OR_RETURN(
          std::vector<int64_t> v,
          positiveFields(words, 2, path, number, "cross_entropy ROWS VOCAB"));
      shapes.crossEntropy.push_back({v[0], v[1]});
    } else if (item == "elementwise") {
      STRATA_ASSIGN_OR_RETURN(
          std::vector<int64_t> v,
          positiveFields(words, 1, path, number, "elementwise ELEMENTS"));
      shapes.elementwise.push_back(v[0]);
    } else if (item == "all_reduce") {
      STRATA_ASSIGN_OR_RETURN(
          std::vector<int64_t> v,
          positiveFields(words, 1, path, number, "all_reduce BYTES"));
      shapes.allReduceBytes.push_back(v[0]);
    } else {
      return lineError(path, number,
                       "unknown item '" + item +
                           "' (gemm, attention, cross_entropy, elementwise, "
                           "all_reduce)");
    }
  }
  return shapes;
}

Status runCalibrateCommand(const CalibrateOptions &options) {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                          io::readWholeFile(options.shapes));
  STRATA_ASSIGN_OR_RETURN(
      CalibrationShapes shapes,
      parseCalibrationShapes(std::string(bytes.begin(), bytes.end()),
                             options.shapes));
  STRATA_ASSIGN_OR_RETURN(DType dtype, parseDType(options.dtype));
  STRATA_ASSIGN_OR_RETURN(Backend * backend,
                          rankSetup().backend(options.threads));

  std::string json =
      "{\n  \"format\": \"strata-calibration-1\",\n"
      "  \"device\": \"" +
      backend->device().kind() + "\",\n  \"device_name\": \"" +
      backend->device().name() + "\",\n  \"dtype\": \"" + options.dtype +
      "\",\n  \"threads\": " + std::to_string(options.threads) +
      ",\n  \"ranks\": " + std::to_string(rankSetup().worldSize()) + ",\n";

  // Links first, every rank; then rank 0 times the kernels while the others
  // wait (sleeping, not spinning, after a moment) at a barrier bounded
  // generously: the kernels may take minutes.
  std::unique_ptr<Communicator> world;
  if (rankSetup().worldSize() > 1) {
    STRATA_ASSIGN_OR_RETURN(world, rankSetup().worldCommunicator(3600.0));
    STRATA_RETURN_IF_ERROR(
        timeAllReduces(shapes.allReduceBytes, *world, options, json));
  } else {
    json += "  \"all_reduce\": []\n";
  }
  std::string kernels;
  if (rankSetup().isFirstRank())
    STRATA_RETURN_IF_ERROR(
        timeKernels(shapes, dtype, *backend, options, kernels));
  if (world)
    STRATA_RETURN_IF_ERROR(world->barrier());
  if (!rankSetup().isFirstRank())
    return Status::ok();
  // The kernel arrays go before all_reduce (which closes the object).
  const size_t links = json.find("  \"all_reduce\"");
  json.insert(links, kernels);
  json += "}\n";
  STRATA_RETURN_IF_ERROR(
      io::writeFileAtomically(options.out, json.data(), json.size()));
  std::cout << "calibration of " << shapes.gemms.size() << " GEMMs, "
            << shapes.attention.size() << " attention, "
            << shapes.crossEntropy.size() << " cross-entropy, "
            << shapes.elementwise.size() << " elementwise shapes and "
            << (world ? shapes.allReduceBytes.size() : 0)
            << " all-reduce sizes on " << backend->device().name() << " -> "
            << options.out << "\n";
  return Status::ok();
}

} // namespace strata::runtime

//===- pipeline_mpi_test.cc - transfers between pipeline stages -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Run by ctest under mpirun with 2 ranks (pp 2) and 4 (pp 2 x tp 2, and
// dp 2 x pp 2), over hand-built pipeline artifacts whose stages each hold
// one weight (artifact_test_support.h): checkpoints gather every stage's
// parameters to the first rank and every stage takes its own from a global
// map; the gradients of a parameter two stages share are summed, to the
// same bits on both. Like mpi_communicator_test.cc, not GoogleTest: every
// rank runs every check in order and the failures are summed at the end.
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/mpi_test_session.h"
#include "runtime/artifact/artifact_test_support.h"
#include "runtime/backends/cpu_test_backend.h"
#include "runtime/executor/mesh_communicators.h"
#include "runtime/executor/mpi_communicator.h"
#include "runtime/executor/mpi_session.h"
#include "runtime/executor/parameters.h"
#include "runtime/executor/shared_gradients.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace strata;
using namespace strata::runtime;
namespace ts = strata::runtime::testing_support;

namespace {

int rank = 0;
int failures = 0;

void check(bool ok, const char *expr, int line, const std::string &detail) {
  if (ok)
    return;
  ++failures;
  std::fprintf(stderr, "[rank %d] pipeline_mpi_test.cc:%d: %s%s%s\n", rank,
               line, expr, detail.empty() ? "" : ": ", detail.c_str());
}

#define CHECK(cond) check((cond), #cond, __LINE__, "")
#define CHECK_OK(expr)                                                         \
  do {                                                                         \
    Status check_status_ = (expr);                                             \
    check(check_status_.isOk(), #expr, __LINE__, check_status_.toString());    \
  } while (false)

/// One rank's mesh and its stage's executor.
struct Stage {
  std::unique_ptr<MeshCommunicators> communicators;
  RankMesh mesh;
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  std::unique_ptr<Executor> executor;
  int64_t stage = 0, tp = 0, tpSize = 1;
};

/// The stage of this rank in |shape| from the pipeline artifact |bytes|.
std::unique_ptr<Stage> makeStage(const MpiSession &session,
                                 const MeshShape &shape,
                                 const std::vector<uint8_t> &bytes) {
  auto out = std::make_unique<Stage>();
  auto communicators = MeshCommunicators::create(shape, session);
  CHECK_OK(communicators.status());
  if (!communicators.isOk())
    return nullptr;
  out->communicators = std::move(*communicators);
  for (MeshAxis axis : kMeshAxes) {
    out->mesh.axes.push_back(meshAxisName(axis));
    out->mesh.shape.push_back(shape.extent(axis));
    out->mesh.coords.push_back(
        out->communicators->coordinates().coordinate(axis));
    out->mesh.communicators.push_back(&out->communicators->communicator(axis));
  }
  out->stage = out->communicators->coordinates().coordinate(MeshAxis::PP);
  out->tp = out->communicators->coordinates().coordinate(MeshAxis::TP);
  out->tpSize = shape.tp;
  auto root = loadArtifactFromBytes(bytes, "p.strata");
  CHECK_OK(root.status());
  if (!root.isOk())
    return nullptr;
  auto program = root->pipelineStage(out->stage);
  CHECK_OK(program.status());
  ExecutorOptions options;
  options.mesh = &out->mesh;
  auto executor = Executor::create(std::move(*program), out->device, options);
  CHECK_OK(executor.status());
  if (!executor.isOk())
    return nullptr;
  out->executor = std::move(*executor);
  return out;
}

std::vector<int64_t> shapeFor(const MeshShape &shape) {
  return {shape.dp, shape.pp, shape.tp};
}

/// Stage s holds w<s>, split by rows over tp: the first rank's checkpoint
/// gets both whole, and each rank takes its block of its stage's.
void testCheckpointGather(const MpiSession &session, const MeshShape &shape) {
  ts::PipelineSpec spec;
  spec.meshShape = shapeFor(shape);
  for (int32_t s = 0; s < shape.pp; ++s) {
    ts::Spec stage = ts::stageSpec(spec, s);
    if (shape.tp > 1) {
      stage.weightGlobalShape = {4 * shape.tp, 8};
      stage.splitDim = 0;
      stage.splitAxis = 2;
    }
    spec.stages.push_back(ts::buildArtifact(stage));
  }
  std::unique_ptr<Stage> stage =
      makeStage(session, shape, ts::buildPipelineArtifact(spec));
  if (!stage)
    return;
  io::TensorMap global;
  for (int32_t s = 0; s < shape.pp; ++s) {
    io::HostTensor w(io::DType::F32, {4 * shape.tp, 8});
    for (int64_t i = 0; i < w.numElements(); ++i)
      w.data<float>()[i] = float(s == 0 ? i + 0.5 : -i);
    global.emplace("w" + std::to_string(s), w);
  }
  CHECK_OK(writeParameters(*stage->executor, global, "global"));
  // This rank's block: rows [4 tp, 4 tp + 4) of its stage's weight.
  const io::HostTensor local = stage->executor->read(0).value();
  const float *block = local.data<float>();
  const float *whole =
      global.at("w" + std::to_string(stage->stage)).data<float>();
  CHECK(std::memcmp(block, whole + stage->tp * 32, 32 * sizeof(float)) == 0);

  StatusOr<io::TensorMap> read = readParameters(*stage->executor);
  CHECK_OK(read.status());
  if (!read.isOk())
    return;
  const std::string own = "w" + std::to_string(stage->stage);
  if (rank == 0) {
    CHECK(read->size() == global.size());
    for (const auto &[name, tensor] : global) {
      auto it = read->find(name);
      check(it != read->end() && it->second.shape() == tensor.shape() &&
                std::memcmp(it->second.bytes(), tensor.bytes(),
                            tensor.byteSize()) == 0,
            "the first rank's copy equals the global tensor", __LINE__, name);
    }
  } else {
    // The other ranks hold what their stage owns.
    CHECK(read->size() == 1 && read->count(own) == 1);
    if (read->count(own))
      CHECK(std::memcmp(read->at(own).bytes(), global.at(own).bytes(),
                        global.at(own).byteSize()) == 0);
  }
}

/// Both stages hold "e": their gradients are summed to the same bits, and
/// the checkpoint holds "e" once.
void testSharedGradients(const MpiSession &session, const MeshShape &shape) {
  ts::PipelineSpec spec;
  spec.meshShape = shapeFor(shape);
  const int32_t last = shape.pp - 1;
  for (int32_t s = 0; s <= last; ++s) {
    ts::Spec stage = ts::stageSpec(spec, s);
    if (s == 0 || s == last) {
      stage.weightName = "e";
      stage.sharedWithStage = s == 0 ? last : 0;
    }
    spec.stages.push_back(ts::buildArtifact(stage));
  }
  std::unique_ptr<Stage> stage =
      makeStage(session, shape, ts::buildPipelineArtifact(spec));
  if (!stage)
    return;
  auto part = [](int64_t stage, int i) {
    return stage == 0 ? 0.1f * float(i) + 0.3f : 1.0f / float(i + 3);
  };
  std::vector<float> grad(32);
  for (int i = 0; i < 32; ++i)
    grad[i] = part(stage->stage, i);
  CHECK_OK(stage->executor->writeBytes(1, grad.data(), 32 * sizeof(float)));
  CHECK_OK(sumSharedGradients(*stage->executor));
  CHECK_OK(stage->executor->readBytes(1, grad.data(), 32 * sizeof(float)));
  bool equal = true;
  for (int i = 0; i < 32; ++i) {
    const float expected = stage->stage == 0 || stage->stage == last
                               ? part(0, i) + part(last, i)
                               : part(stage->stage, i);
    equal &= std::memcmp(&grad[i], &expected, sizeof(float)) == 0;
  }
  check(equal, "both copies hold lower + higher", __LINE__,
        "stage " + std::to_string(stage->stage));
  StatusOr<io::TensorMap> grads = readGradients(*stage->executor);
  CHECK_OK(grads.status());
  if (grads.isOk() && rank == 0)
    CHECK(grads->size() == size_t(last) && grads->count("e") == 1);
}

} // namespace

int main() {
  std::unique_ptr<MpiSession> session = startMpiTest("StrataPipelineMpiTest");
  rank = session->worldRank();
  const int n = session->worldSize();
  std::vector<MeshShape> shapes = {{1, n, 1}};
  if (n == 4)
    shapes = {{1, 2, 2}, {2, 2, 1}, {1, 4, 1}};
  for (const MeshShape &shape : shapes) {
    testCheckpointGather(*session, shape);
    testSharedGradients(*session, shape);
  }
  {
    auto world = MpiCommunicator::duplicate(MPI_COMM_WORLD, "world",
                                            session->commTimeoutSeconds());
    double total = failures;
    if (!world.isOk() ||
        !(*world)->allReduce(&total, 1, ElementType::F64, ReduceOp::Sum).isOk())
      session->abort(1);
    if (rank == 0)
      std::printf("%s: %d failed checks over %d ranks\n",
                  total == 0 ? "PASSED" : "FAILED", int(total), n);
    if (total != 0)
      return 1;
  }
  return 0;
}

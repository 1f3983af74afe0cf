//===- mpi_communicator_test.cc - collectives and the mesh under mpirun ---===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Run by ctest under mpirun with 2 and 4 ranks (ctest -L mpi). Not
// GoogleTest: a failed ASSERT would make one rank skip collectives the
// others then wait for. Here every rank runs every check in the same order,
// prints its own failures, and the counts are summed at the end, so the exit
// code (and mpirun's) is non-zero when any check failed on any rank.
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/mpi_test_session.h"
#include "runtime/executor/mesh_communicators.h"
#include "runtime/executor/mpi_communicator.h"
#include "runtime/executor/mpi_session.h"
#include "runtime/support/half_float.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

using namespace strata;
using namespace strata::runtime;

namespace {

int rank = 0;
int failures = 0;

void check(bool ok, const char *expr, int line, const std::string &detail) {
  if (ok)
    return;
  ++failures;
  std::fprintf(stderr, "[rank %d] mpi_communicator_test.cc:%d: %s%s%s\n",
               rank, line, expr, detail.empty() ? "" : ": ",
               detail.c_str());
}

#define CHECK(cond) check((cond), #cond, __LINE__, "")
#define CHECK_OK(expr)                                                         \
  do {                                                                         \
    Status check_status_ = (expr);                                             \
    check(check_status_.isOk(), #expr, __LINE__, check_status_.toString());    \
  } while (false)
#define CHECK_CONTAINS(text, part)                                             \
  checkContains((text), (part), __LINE__)

void checkContains(const std::string &text, const std::string &part,
                   int line) {
  check(text.find(part) != std::string::npos,
        ("message contains '" + part + "'").c_str(), line, text);
}

std::unique_ptr<MpiCommunicator> duplicateWorld(const char *name,
                                                double timeout) {
  auto comm = MpiCommunicator::duplicate(MPI_COMM_WORLD, name, timeout);
  CHECK_OK(comm.status());
  return comm.isOk() ? std::move(*comm) : nullptr;
}

void testAllReduce(Communicator &world) {
  const int n = world.size();
  const size_t count = 4099; // not a multiple of any algorithm's chunking
  std::vector<float> sum(count);
  for (size_t i = 0; i < count; ++i)
    sum[i] = float(rank) + 0.5f * float(i % 7);
  CHECK_OK(world.allReduce(sum.data(), count, ElementType::F32,
                           ReduceOp::Sum));
  bool sumOk = true;
  for (size_t i = 0; i < count; ++i)
    sumOk &= sum[i] == float(n * (n - 1) / 2) + 0.5f * float(n) * float(i % 7);
  CHECK(sumOk);

  std::vector<double> max(count);
  for (size_t i = 0; i < count; ++i)
    max[i] = double((rank * 3 + int(i)) % n) - 0.25 * double(i);
  CHECK_OK(world.allReduce(max.data(), count, ElementType::F64,
                           ReduceOp::Max));
  bool maxOk = true;
  for (size_t i = 0; i < count; ++i)
    maxOk &= max[i] == double(n - 1) - 0.25 * double(i);
  CHECK(maxOk);

  std::vector<float> maxF32 = {float(-rank), float(rank)};
  CHECK_OK(world.allReduce(maxF32.data(), 2, ElementType::F32, ReduceOp::Max));
  CHECK(maxF32 == (std::vector<float>{0.0f, float(n - 1)}));
  std::vector<double> sumF64 = {1.0, double(rank)};
  CHECK_OK(world.allReduce(sumF64.data(), 2, ElementType::F64, ReduceOp::Sum));
  CHECK(sumF64 == (std::vector<double>{double(n), double(n * (n - 1) / 2)}));
}

void testAllGather(Communicator &world) {
  const int n = world.size();
  std::vector<double> send = {rank * 10.0, rank * 10.0 + 1, rank * 10.0 + 2};
  std::vector<double> recv(3 * n, -1.0), expected;
  for (int r = 0; r < n; ++r)
    for (int i = 0; i < 3; ++i)
      expected.push_back(r * 10.0 + i);
  CHECK_OK(world.allGather(send.data(), recv.data(), 3, ElementType::F64));
  CHECK(recv == expected);

  // In place: this rank's elements already sit in its slot of the output.
  std::vector<float> inPlace(2 * n, -1.0f);
  inPlace[2 * rank] = float(rank);
  inPlace[2 * rank + 1] = float(rank) + 0.5f;
  CHECK_OK(world.allGather(inPlace.data() + 2 * rank, inPlace.data(), 2,
                           ElementType::F32));
  bool inPlaceOk = true;
  for (int r = 0; r < n; ++r)
    inPlaceOk &= inPlace[2 * r] == float(r) && inPlace[2 * r + 1] == r + 0.5f;
  CHECK(inPlaceOk);

  // Aliased elsewhere (the send buffer is the output's start): a copy.
  std::vector<float> aliased(2 * n, 0.0f);
  aliased[0] = float(rank);
  aliased[1] = float(rank) * 2;
  CHECK_OK(world.allGather(aliased.data(), aliased.data(), 2,
                           ElementType::F32));
  bool aliasedOk = true;
  for (int r = 0; r < n; ++r)
    aliasedOk &= aliased[2 * r] == float(r) && aliased[2 * r + 1] == r * 2.0f;
  CHECK(aliasedOk);
}

void testReduceScatter(Communicator &world) {
  const int n = world.size();
  const int count = 5;
  // Rank q contributes q + 100 r + i to element i of rank r's block.
  std::vector<float> send(count * n);
  for (int r = 0; r < n; ++r)
    for (int i = 0; i < count; ++i)
      send[r * count + i] = float(rank + 100 * r + i);
  std::vector<float> recv(count, -1.0f), expectSum(count), expectMax(count);
  for (int i = 0; i < count; ++i) {
    expectSum[i] = float(n * (n - 1) / 2 + n * (100 * rank + i));
    expectMax[i] = float(n - 1 + 100 * rank + i);
  }
  CHECK_OK(world.reduceScatter(send.data(), recv.data(), count,
                               ElementType::F32, ReduceOp::Sum));
  CHECK(recv == expectSum);
  CHECK_OK(world.reduceScatter(send.data(), recv.data(), count,
                               ElementType::F32, ReduceOp::Max));
  CHECK(recv == expectMax);

  // In place (send == recv): the result is the buffer's first block.
  std::vector<double> inPlace(count * n);
  for (int r = 0; r < n; ++r)
    for (int i = 0; i < count; ++i)
      inPlace[r * count + i] = double(rank + 100 * r + i);
  CHECK_OK(world.reduceScatter(inPlace.data(), inPlace.data(), count,
                               ElementType::F64, ReduceOp::Sum));
  bool inPlaceOk = true;
  for (int i = 0; i < count; ++i)
    inPlaceOk &= inPlace[i] == double(expectSum[i]);
  CHECK(inPlaceOk);
}

/// BF16 and F16 sums and maxima (MPI has no such type: operations of
/// ours), with values every 16-bit type holds exactly.
template <typename Half> void testHalfReductions(Communicator &world) {
  const int n = world.size();
  const DType type = std::is_same_v<Half, bf16> ? DType::BF16 : DType::F16;
  const size_t count = 1031;
  std::vector<Half> sum(count), max(count);
  for (size_t i = 0; i < count; ++i) {
    sum[i] = Half(float(rank) + 0.25f * float(i % 5));
    max[i] = Half(float((rank + int(i)) % n) - 0.5f * float(i % 3));
  }
  CHECK_OK(world.allReduce(sum.data(), count, type, ReduceOp::Sum));
  CHECK_OK(world.allReduce(max.data(), count, type, ReduceOp::Max));
  bool sumOk = true, maxOk = true;
  for (size_t i = 0; i < count; ++i) {
    sumOk &= float(sum[i]) ==
             float(n * (n - 1) / 2) + 0.25f * float(n) * float(i % 5);
    maxOk &= float(max[i]) == float(n - 1) - 0.5f * float(i % 3);
  }
  check(sumOk, "16-bit all-reduce sum", __LINE__, toString(type));
  check(maxOk, "16-bit all-reduce max", __LINE__, toString(type));

  std::vector<Half> send(3 * n), recv(3);
  for (int r = 0; r < n; ++r)
    for (int i = 0; i < 3; ++i)
      send[r * 3 + i] = Half(float(rank + 8 * r + i));
  CHECK_OK(world.reduceScatter(send.data(), recv.data(), 3, type,
                               ReduceOp::Sum));
  bool scatterOk = true;
  for (int i = 0; i < 3; ++i)
    scatterOk &= float(recv[i]) == float(n * (n - 1) / 2 + n * (8 * rank + i));
  check(scatterOk, "16-bit reduce-scatter", __LINE__, toString(type));
}

void testSendRecv(Communicator &world) {
  const int n = world.size();
  if (n % 2 != 0)
    return;
  // Pairs (0,1), (2,3): the even rank sends first so that a large
  // (rendezvous) message cannot leave both waiting in send.
  const int peer = rank ^ 1;
  for (size_t bytes : {size_t(16), size_t(1) << 20}) {
    std::vector<unsigned char> mine(bytes), theirs(bytes, 0);
    for (size_t i = 0; i < bytes; ++i)
      mine[i] = static_cast<unsigned char>(rank * 31 + i);
    if (rank % 2 == 0) {
      CHECK_OK(world.send(mine.data(), bytes, peer, 7));
      CHECK_OK(world.recv(theirs.data(), bytes, peer, 7));
    } else {
      CHECK_OK(world.recv(theirs.data(), bytes, peer, 7));
      CHECK_OK(world.send(mine.data(), bytes, peer, 7));
    }
    bool ok = true;
    for (size_t i = 0; i < bytes; ++i)
      ok &= theirs[i] == static_cast<unsigned char>(peer * 31 + i);
    CHECK(ok);
  }

  // A shorter message than the receive expects is reported, not ignored.
  std::vector<float> values = {1.0f, 2.0f, 3.0f, 4.0f};
  if (rank % 2 == 0) {
    CHECK_OK(world.send(values.data(), 2 * sizeof(float), peer, 8));
  } else {
    Status got = world.recv(values.data(), 4 * sizeof(float), peer, 8);
    CHECK(got.code() == StatusCode::kInvalidArgument);
    CHECK_CONTAINS(got.message(), "the peer sent 8 bytes");
  }

  // Bad peers are refused without communicating.
  Status self = world.send(values.data(), 4, rank, 0);
  CHECK(self.code() == StatusCode::kInvalidArgument);
  CHECK_CONTAINS(self.message(), "must be another rank");
  CHECK(world.recv(values.data(), 4, n, 0).code() ==
        StatusCode::kInvalidArgument);
  CHECK(world.send(values.data(), 4, -1, 0).code() ==
        StatusCode::kInvalidArgument);
}

std::vector<unsigned char> pattern(size_t bytes, int seed) {
  std::vector<unsigned char> data(bytes);
  for (size_t i = 0; i < bytes; ++i)
    data[i] = static_cast<unsigned char>(seed * 37 + i * 7 + (i >> 10));
  return data;
}

// sendAsync returns before the peer receives: neighbours that both send
// first (1F1B stages do) cannot deadlock, whatever the payload size.
void testSendAsync(MpiCommunicator &world) {
  const int n = world.size();
  const size_t large = size_t(1) << 20; // past any eager limit: rendezvous

  // Pairs (0,1), (2,3): both send, then both receive.
  if (n % 2 == 0) {
    const int peer = rank ^ 1;
    std::vector<unsigned char> mine = pattern(large, rank), theirs(large, 0);
    CHECK_OK(world.sendAsync(mine.data(), large, peer, 1));
    // The payload was copied out: overwriting the source changes nothing.
    std::fill(mine.begin(), mine.end(), 0xEE);
    CHECK_OK(world.recv(theirs.data(), large, peer, 1));
    CHECK(theirs == pattern(large, peer));
    CHECK_OK(world.completeSends());
    CHECK(world.pendingSends() == 0);
  }

  // A ring (the interleaved schedule's last stage sends to the first):
  // every rank sends to its successor before receiving from its predecessor.
  const int next = (rank + 1) % n, previous = (rank + n - 1) % n;
  std::vector<unsigned char> forward = pattern(large, 10 + rank),
                             fromPrevious(large, 0);
  CHECK_OK(world.sendAsync(forward.data(), large, next, 2));
  CHECK_OK(world.recv(fromPrevious.data(), large, previous, 2));
  CHECK(fromPrevious == pattern(large, 10 + previous));
  CHECK_OK(world.completeSends());

  // Many tags, received in the reverse order, from one reused source
  // buffer. Sizes differ (staging buffers are matched by size) and all are
  // rendezvous, so no send completes before the last is posted: each round
  // holds exactly |tags| staging buffers.
  const int tags = 12;
  auto sizeOf = [](int t) { return (size_t(64) << 10 << (t % 4)) + 8 * t; };
  std::vector<unsigned char> source;
  for (int round = 0; round < 2; ++round) {
    for (int t = 0; t < tags; ++t) {
      source = pattern(sizeOf(t), rank * 100 + t);
      CHECK_OK(world.sendAsync(source.data(), source.size(), next, 100 + t));
    }
    bool inOrder = true;
    for (int t = tags - 1; t >= 0; --t) {
      std::vector<unsigned char> got(sizeOf(t), 0);
      CHECK_OK(world.recv(got.data(), got.size(), previous, 100 + t));
      inOrder &= got == pattern(sizeOf(t), previous * 100 + t);
    }
    CHECK(inOrder);
    CHECK_OK(world.completeSends());
    CHECK(world.pendingSends() == 0);
    // Every staging buffer is free again, and the second round reused the
    // first round's (and the two earlier 1 MiB ones) instead of adding more.
    check(world.freeStagingBuffers() == size_t(tags), "staging reused",
          __LINE__, std::to_string(world.freeStagingBuffers()) + " buffers");
  }

  // Messages of one peer and tag arrive in the order they were sent, from
  // sendAsync and send alike.
  std::vector<int> values = {1, 2, 3};
  for (int &value : values) {
    int payload = value * 10 + rank;
    CHECK_OK(world.sendAsync(&payload, sizeof(payload), next, 3));
  }
  bool ordered = true;
  for (int value : values) {
    int got = -1;
    CHECK_OK(world.recv(&got, sizeof(got), previous, 3));
    ordered &= got == value * 10 + previous;
  }
  CHECK(ordered);
  CHECK_OK(world.completeSends());
  CHECK_OK(world.completeSends()); // nothing pending: returns at once

  // Bad peers are refused without communicating.
  Status self = world.sendAsync(values.data(), 4, rank, 0);
  CHECK(self.code() == StatusCode::kInvalidArgument);
  CHECK_CONTAINS(self.message(), "send to rank " + std::to_string(rank));
  CHECK_CONTAINS(self.message(), "must be another rank");
  CHECK(world.sendAsync(values.data(), 4, n, 0).code() ==
        StatusCode::kInvalidArgument);
  CHECK_OK(world.barrier());
}

// completeSends gives up on a send nobody receives, naming it; the message
// still arrives once the peer receives (its staging stays valid). A
// communicator destroyed with a send in flight returns at once.
void testSendAsyncTimeout(Communicator &world) {
  const double timeout = 1.0;
  const size_t bytes = size_t(1) << 20;
  {
    auto quick = duplicateWorld("pp", timeout);
    if (!quick)
      return;
    if (rank == 0) {
      std::vector<unsigned char> data = pattern(bytes, 7);
      CHECK_OK(quick->sendAsync(data.data(), bytes, 1, 3));
      auto start = std::chrono::steady_clock::now();
      Status late = quick->completeSends();
      double waited = std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - start)
                          .count();
      CHECK(late.code() == StatusCode::kUnavailable);
      const std::string ranks = std::to_string(world.size());
      std::string prefix =
          "complete_sends: send to rank 1 over 'pp' (rank 0 of " + ranks +
          ", 1048576 bytes, tag 3) did not complete within 1 s";
      check(late.message().rfind(prefix, 0) == 0, "timeout message", __LINE__,
            late.message());
      check(waited >= timeout && waited < timeout + 2.0, "bounded wait",
            __LINE__, std::to_string(waited) + " s");
      Status after = quick->sendAsync(data.data(), 4, 1, 4);
      CHECK(after.code() == StatusCode::kUnavailable);
      CHECK_CONTAINS(after.message(), "an earlier operation failed");
    }
    CHECK_OK(world.barrier());
    if (rank == 1) {
      std::vector<unsigned char> got(bytes, 0);
      CHECK_OK(quick->recv(got.data(), bytes, 0, 3));
      CHECK(got == pattern(bytes, 7));
    }
    CHECK_OK(world.barrier());
  }
  {
    auto quick = duplicateWorld("pp", timeout);
    if (!quick)
      return;
    if (rank == 0) {
      std::vector<unsigned char> data = pattern(bytes, 8);
      CHECK_OK(quick->sendAsync(data.data(), bytes, 1, 5));
      auto start = std::chrono::steady_clock::now();
      quick.reset();
      double took = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count();
      check(took < 0.5, "destructor returns at once", __LINE__,
            std::to_string(took) + " s");
    }
    CHECK_OK(world.barrier());
    if (rank == 1) {
      std::vector<unsigned char> got(bytes, 0);
      CHECK_OK(quick->recv(got.data(), bytes, 0, 5));
      CHECK(got == pattern(bytes, 8));
    }
    CHECK_OK(world.barrier());
  }
}

// A communicator whose operation times out reports it and refuses all later
// work; the peers, who join late, still complete theirs.
void testTimeout(Communicator &world) {
  const double timeout = 1.0;
  auto quick = duplicateWorld("tp", timeout);
  if (!quick)
    return;
  std::vector<float> data(4096, 1.0f);
  if (rank == 0) {
    auto start = std::chrono::steady_clock::now();
    Status late = quick->allReduce(data.data(), data.size(), ElementType::F32,
                                   ReduceOp::Sum);
    double waited = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    CHECK(late.code() == StatusCode::kUnavailable);
    std::string prefix = "all_reduce over 'tp' (rank 0 of " +
                         std::to_string(world.size()) +
                         ", 4096 f32) did not complete within 1 s";
    check(late.message().rfind(prefix, 0) == 0, "timeout message", __LINE__,
          late.message());
    CHECK_CONTAINS(late.message(), "a peer rank has likely died");
    check(waited >= timeout && waited < timeout + 2.0, "bounded wait",
          __LINE__, std::to_string(waited) + " s");
    Status after = quick->barrier();
    CHECK(after.code() == StatusCode::kUnavailable);
    CHECK_CONTAINS(after.message(), "an earlier operation failed");
  }
  CHECK_OK(world.barrier());
  if (rank != 0) // rank 0's abandoned request still completes theirs
    CHECK_OK(quick->allReduce(data.data(), data.size(), ElementType::F32,
                              ReduceOp::Sum));
  CHECK_OK(world.barrier());
}

void checkAxis(MeshCommunicators &mesh, MeshAxis axis,
               const std::vector<int> &expected) {
  const MeshShape &shape = mesh.shape();
  Communicator &comm = mesh.communicator(axis);
  std::string name = meshAxisName(axis);
  CHECK(comm.size() == shape.extent(axis));
  CHECK(comm.rank() == mesh.coordinates().coordinate(axis));
  check(meshAxisGroup(shape, rank, axis) == expected, "expected group",
        __LINE__, name);
  // Who is in the group, in communicator order: its members' world ranks.
  double me = rank;
  std::vector<double> members(comm.size(), -1.0);
  CHECK_OK(comm.allGather(&me, members.data(), 1, ElementType::F64));
  std::vector<double> want(expected.begin(), expected.end());
  check(members == want, "members of the axis communicator", __LINE__, name);
  // A sum over the axis covers the group and nothing else.
  double sum = rank, wantSum = 0;
  for (int member : expected)
    wantSum += member;
  CHECK_OK(comm.allReduce(&sum, 1, ElementType::F64, ReduceOp::Sum));
  check(sum == wantSum, "sum over the axis", __LINE__, name);
}

void testMesh(const MpiSession &session) {
  const int n = session.worldSize();
  std::vector<MeshShape> shapes;
  if (n == 4)
    shapes = {{1, 2, 2}, {2, 1, 2}, {4, 1, 1}, {1, 4, 1}};
  else
    shapes = {{1, 1, n}, {n, 1, 1}};
  for (const MeshShape &shape : shapes) {
    auto mesh = MeshCommunicators::create(shape, session);
    CHECK_OK(mesh.status());
    if (!mesh.isOk())
      continue;
    CHECK(mesh.value()->world().size() == n);
    CHECK(mesh.value()->coordinates() == meshCoordinates(shape, rank));
    for (MeshAxis axis : kMeshAxes)
      checkAxis(**mesh, axis, meshAxisGroup(shape, rank, axis));
  }

  if (n == 4) {
    // The brief's example: on dp=1 x pp=2 x tp=2, rank 3's tp group is
    // {2, 3} and its pp group {1, 3}.
    auto mesh = MeshCommunicators::create({1, 2, 2}, session);
    CHECK_OK(mesh.status());
    if (mesh.isOk() && rank == 3) {
      CHECK(meshAxisGroup(mesh.value()->shape(), 3, MeshAxis::TP) ==
            (std::vector<int>{2, 3}));
      CHECK(mesh.value()->coordinates() == (MeshCoordinates{0, 1, 1}));
    }
    if (mesh.isOk())
      checkAxis(**mesh, MeshAxis::TP, rank < 2 ? std::vector<int>{0, 1}
                                               : std::vector<int>{2, 3});
  }

  // A mesh of the wrong size fails on every rank, before any collective.
  MeshShape wrong{1, 2, n};
  auto refused = MeshCommunicators::create(wrong, session);
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);
  CHECK_CONTAINS(refused.status().message(),
                 "the artifact's mesh dp=1 x pp=2 x tp=" + std::to_string(n) +
                     " needs " + std::to_string(2 * n) +
                     " ranks; the launcher started " + std::to_string(n));
}

} // namespace

int main() {
  std::unique_ptr<MpiSession> session = startMpiTest("StrataMpiCommunicatorTest");
  rank = session->worldRank();
  {
    auto world = duplicateWorld("world", session->commTimeoutSeconds());
    if (!world)
      session->abort(1);
    CHECK(world->size() == session->worldSize());
    CHECK(world->rank() == rank);
    testAllReduce(*world);
    testAllGather(*world);
    testReduceScatter(*world);
    testHalfReductions<bf16>(*world);
    testHalfReductions<f16>(*world);
    testSendRecv(*world);
    testSendAsync(*world);
    CHECK_OK(world->barrier());
    testTimeout(*world);
    testSendAsyncTimeout(*world);
    testMesh(*session);

    double total = failures;
    Status summed = world->allReduce(&total, 1, ElementType::F64,
                                     ReduceOp::Sum);
    if (!summed.isOk()) {
      std::fprintf(stderr, "[rank %d] %s\n", rank, summed.toString().c_str());
      session->abort(1);
    }
    if (rank == 0)
      std::printf("%s: %d failed checks over %d ranks\n",
                  total == 0 ? "PASSED" : "FAILED", int(total),
                  session->worldSize());
    if (total != 0)
      return 1;
  }
  return 0;
}

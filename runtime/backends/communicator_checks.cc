//===- communicator_checks.cc - what every device communicator must do ----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/communicator_checks.h"

#include "runtime/support/half_float.h"

#include <algorithm>
#include <cstring>

namespace strata::runtime {

namespace {

/// Host values of one type, converted from and to double.
std::vector<uint8_t> encode(const std::vector<double> &values, DType type) {
  std::vector<uint8_t> bytes(values.size() * dtypeSize(type));
  for (size_t i = 0; i < values.size(); ++i) {
    uint8_t *at = bytes.data() + i * dtypeSize(type);
    switch (type) {
    case DType::F32: {
      const float v = float(values[i]);
      std::memcpy(at, &v, sizeof(v));
      break;
    }
    case DType::F64:
      std::memcpy(at, &values[i], sizeof(double));
      break;
    case DType::BF16: {
      const bf16 v(values[i]);
      std::memcpy(at, &v.bits, 2);
      break;
    }
    default: {
      const f16 v(values[i]);
      std::memcpy(at, &v.bits, 2);
      break;
    }
    }
  }
  return bytes;
}

std::vector<double> decode(const std::vector<uint8_t> &bytes, DType type) {
  const size_t element = dtypeSize(type);
  std::vector<double> values(bytes.size() / element);
  for (size_t i = 0; i < values.size(); ++i) {
    const uint8_t *at = bytes.data() + i * element;
    switch (type) {
    case DType::F32: {
      float v;
      std::memcpy(&v, at, sizeof(v));
      values[i] = v;
      break;
    }
    case DType::F64:
      std::memcpy(&values[i], at, sizeof(double));
      break;
    case DType::BF16: {
      uint16_t bits;
      std::memcpy(&bits, at, 2);
      values[i] = double(bf16::fromBits(bits));
      break;
    }
    default: {
      uint16_t bits;
      std::memcpy(&bits, at, 2);
      values[i] = double(f16::fromBits(bits));
      break;
    }
    }
  }
  return values;
}

class Checks {
public:
  Checks(Device &device, DeviceCommunicator &comm,
         const std::function<void(const std::string &)> &fail)
      : device_(device), comm_(comm), stream_(device.defaultStream()),
        fail_(fail), rank_(comm.rank()), n_(comm.size()) {}

  CommunicatorCheckResult run(const CommunicatorCheckOptions &options) {
    for (DType type : options.types) {
      allReduce(type);
      allGather(type);
      reduceScatter(type);
      noisyAllReduce(type);
    }
    allGatherInPlace();
    if (options.pointToPoint) {
      sendRecv();
      sendAsyncThenOverwrite();
    }
    expectOk(device_.synchronize(stream_), "synchronize");
    return std::move(result_);
  }

private:
  void failed(const std::string &what) {
    ++result_.failures;
    fail_(what);
  }
  bool expectOk(const Status &status, const std::string &what) {
    if (!status.isOk())
      failed(what + ": " + status.toString());
    return status.isOk();
  }

  /// Device memory holding |bytes| (zeros when empty).
  DeviceMemory upload(const std::vector<uint8_t> &bytes, size_t size = 0) {
    size = std::max(size, bytes.size());
    StatusOr<DeviceMemory> memory = device_.allocate(size, 256);
    if (!expectOk(memory.status(), "allocate"))
      return DeviceMemory();
    if (!bytes.empty())
      expectOk(device_.copyToDevice(memory->base(), bytes.data(),
                                    bytes.size(), stream_),
               "copy to the device");
    return std::move(*memory);
  }
  /// |bytes| at |from|, also recorded as an output.
  std::vector<uint8_t> download(DevicePtr from, size_t bytes) {
    std::vector<uint8_t> out(bytes);
    expectOk(device_.copyToHost(out.data(), from, bytes, stream_),
             "copy to the host");
    result_.outputs.push_back(out);
    return out;
  }
  void expectValues(const std::vector<uint8_t> &got, DType type,
                    const std::vector<double> &expected,
                    const std::string &what) {
    const std::vector<double> values = decode(got, type);
    for (size_t i = 0; i < expected.size(); ++i)
      if (i >= values.size() || values[i] != expected[i]) {
        failed(what + " in " + std::string(toString(type)) + ": element " +
               std::to_string(i) + " is " +
               (i < values.size() ? std::to_string(values[i]) : "missing") +
               ", expected " + std::to_string(expected[i]));
        return;
      }
  }

  void allReduce(DType type) {
    // Odd count: no chunking of any algorithm divides it.
    const size_t count = 1031;
    std::vector<double> sum(count), max(count), sumExpected(count),
        maxExpected(count);
    for (size_t i = 0; i < count; ++i) {
      sum[i] = rank_ + 0.25 * double(i % 5);
      sumExpected[i] = n_ * (n_ - 1) / 2 + 0.25 * n_ * double(i % 5);
      max[i] = double((rank_ + int(i)) % n_) - 0.5 * double(i % 3);
      maxExpected[i] = double(n_ - 1) - 0.5 * double(i % 3);
    }
    DeviceMemory a = upload(encode(sum, type));
    DeviceMemory b = upload(encode(max, type));
    if (!a.size() || !b.size())
      return;
    expectOk(comm_.allReduce(a.base(), count, type, ReduceOp::Sum, stream_),
             "all_reduce sum");
    expectOk(comm_.allReduce(b.base(), count, type, ReduceOp::Max, stream_),
             "all_reduce max");
    expectValues(download(a.base(), a.size()), type, sumExpected,
                 "all_reduce sum");
    expectValues(download(b.base(), b.size()), type, maxExpected,
                 "all_reduce max");
  }

  /// Values whose sum depends on the order of the additions: only the
  /// comparison between implementations judges them.
  void noisyAllReduce(DType type) {
    const size_t count = 777;
    std::vector<double> values(count);
    uint64_t state = 0x9e3779b97f4a7c15ull * uint64_t(rank_ + 1);
    for (double &v : values) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      v = double(int64_t(state >> 33) % 20001 - 10000) / 4096.0;
    }
    DeviceMemory a = upload(encode(values, type));
    if (!a.size())
      return;
    expectOk(comm_.allReduce(a.base(), count, type, ReduceOp::Sum, stream_),
             "noisy all_reduce");
    download(a.base(), a.size());
  }

  void allGather(DType type) {
    const size_t count = 333;
    std::vector<double> send(count), expected;
    for (size_t i = 0; i < count; ++i)
      send[i] = 16 * rank_ + double(i % 16);
    for (int r = 0; r < n_; ++r)
      for (size_t i = 0; i < count; ++i)
        expected.push_back(16 * r + double(i % 16));
    DeviceMemory a = upload(encode(send, type));
    DeviceMemory b = upload({}, count * n_ * dtypeSize(type));
    if (!a.size() || !b.size())
      return;
    expectOk(comm_.allGather(a.base(), b.base(), count, type, stream_),
             "all_gather");
    expectValues(download(b.base(), b.size()), type, expected, "all_gather");
  }

  /// The send buffer is this rank's slot of the receive buffer.
  void allGatherInPlace() {
    const size_t count = 64;
    const DType type = DType::F32;
    std::vector<double> whole(count * n_, -1.0), expected;
    for (size_t i = 0; i < count; ++i)
      whole[rank_ * count + i] = rank_ + 0.5 * double(i % 4);
    for (int r = 0; r < n_; ++r)
      for (size_t i = 0; i < count; ++i)
        expected.push_back(r + 0.5 * double(i % 4));
    DeviceMemory a = upload(encode(whole, type));
    if (!a.size())
      return;
    const DevicePtr mine = a.base() + rank_ * count * dtypeSize(type);
    expectOk(comm_.allGather(mine, a.base(), count, type, stream_),
             "all_gather in place");
    expectValues(download(a.base(), a.size()), type, expected,
                 "all_gather in place");
  }

  void reduceScatter(DType type) {
    const size_t count = 129;
    std::vector<double> send(count * n_), expected(count);
    for (int r = 0; r < n_; ++r)
      for (size_t i = 0; i < count; ++i)
        send[r * count + i] = rank_ + 4 * r + double(i % 8);
    for (size_t i = 0; i < count; ++i)
      expected[i] = n_ * (n_ - 1) / 2 + n_ * (4 * rank_ + double(i % 8));
    DeviceMemory a = upload(encode(send, type));
    DeviceMemory b = upload({}, count * dtypeSize(type));
    if (!a.size() || !b.size())
      return;
    expectOk(comm_.reduceScatter(a.base(), b.base(), count, type,
                                 ReduceOp::Sum, stream_),
             "reduce_scatter");
    expectValues(download(b.base(), b.size()), type, expected,
                 "reduce_scatter");
  }

  /// Bytes |seed| + i of a message, an odd length.
  static std::vector<uint8_t> message(size_t bytes, int seed) {
    std::vector<uint8_t> out(bytes);
    for (size_t i = 0; i < bytes; ++i)
      out[i] = uint8_t(seed * 31 + i * 7);
    return out;
  }

  /// Two messages to the next rank before receiving two from the previous
  /// one (every rank sends first: blocking sends would deadlock).
  void sendRecv() {
    const size_t bytes = 4099;
    const int next = (rank_ + 1) % n_, previous = (rank_ + n_ - 1) % n_;
    DeviceMemory first = upload(message(bytes, rank_));
    DeviceMemory second = upload(message(bytes, rank_ + 100));
    DeviceMemory in1 = upload({}, bytes), in2 = upload({}, bytes);
    if (!first.size() || !second.size() || !in1.size() || !in2.size())
      return;
    expectOk(comm_.sendAsync(first.base(), bytes, next, 3, stream_),
             "send 1");
    expectOk(comm_.sendAsync(second.base(), bytes, next, 3, stream_),
             "send 2");
    expectOk(comm_.recv(in1.base(), bytes, previous, 3, stream_), "recv 1");
    expectOk(comm_.recv(in2.base(), bytes, previous, 3, stream_), "recv 2");
    expectOk(comm_.completeSends(), "completeSends");
    if (download(in1.base(), bytes) != message(bytes, previous))
      failed("recv 1: not the bytes rank " + std::to_string(previous) +
             " sent first");
    if (download(in2.base(), bytes) != message(bytes, previous + 100))
      failed("recv 2: not the bytes rank " + std::to_string(previous) +
             " sent second");
  }

  /// The buffer of a sendAsync may be overwritten once the stream passes
  /// the send: the peer still gets what it held.
  void sendAsyncThenOverwrite() {
    const size_t bytes = 1 << 20;
    const int next = (rank_ + 1) % n_, previous = (rank_ + n_ - 1) % n_;
    DeviceMemory out = upload(message(bytes, rank_ + 7));
    DeviceMemory in = upload({}, bytes);
    if (!out.size() || !in.size())
      return;
    expectOk(comm_.sendAsync(out.base(), bytes, next, 5, stream_),
             "send of 1 MiB");
    expectOk(device_.zero(out.base(), bytes, stream_), "overwrite");
    expectOk(comm_.recv(in.base(), bytes, previous, 5, stream_),
             "recv of 1 MiB");
    expectOk(comm_.completeSends(), "completeSends");
    if (download(in.base(), bytes) != message(bytes, previous + 7))
      failed("recv of 1 MiB: not the bytes rank " + std::to_string(previous) +
             " held when it sent them");
  }

  Device &device_;
  DeviceCommunicator &comm_;
  Stream &stream_;
  const std::function<void(const std::string &)> &fail_;
  const int rank_, n_;
  CommunicatorCheckResult result_;
};

} // namespace

CommunicatorCheckResult
runCommunicatorChecks(Device &device, DeviceCommunicator &comm,
                      const CommunicatorCheckOptions &options,
                      const std::function<void(const std::string &)> &fail) {
  return Checks(device, comm, fail).run(options);
}

} // namespace strata::runtime

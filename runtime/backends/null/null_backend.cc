//===- null_backend.cc - a backend that runs nothing ----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/null/null_backend.h"

#include "runtime/backends/cpu/cpu_device.h"
#include "runtime/backends/registry.h"

namespace strata::runtime {

namespace {

/// Host memory stands in for device memory: a new backend replaces the
/// device with its own first, then adds kernels to supports() and run().
class NullDevice final : public Device {
public:
  std::string name() const override { return "null"; }
  /// Host memory, so the artifacts of CPU targets load up to the kernels
  /// (which it then refuses); a real backend names its own kind.
  std::string kind() const override { return "cpu"; }
  StatusOr<DeviceMemory> allocate(size_t bytes, size_t alignment) override {
    return host_.allocate(bytes, alignment);
  }
  StatusOr<HostMemory> allocateHost(size_t bytes) override {
    return host_.allocateHost(bytes);
  }
  Stream &defaultStream() override { return host_.defaultStream(); }
  StatusOr<std::unique_ptr<Stream>> createStream() override {
    return host_.createStream();
  }
  StatusOr<std::unique_ptr<Event>> createEvent() override {
    return host_.createEvent();
  }
  Status record(Event &e, Stream &s) override { return host_.record(e, s); }
  Status wait(Stream &s, Event &e) override { return host_.wait(s, e); }
  Status synchronize(Stream &s) override { return host_.synchronize(s); }
  Status copyToDevice(DevicePtr dst, const void *src, size_t bytes,
                      Stream &s) override {
    return host_.copyToDevice(dst, src, bytes, s);
  }
  Status copyToHost(void *dst, DevicePtr src, size_t bytes,
                    Stream &s) override {
    return host_.copyToHost(dst, src, bytes, s);
  }
  Status copy(DevicePtr dst, DevicePtr src, size_t bytes, Stream &s) override {
    return host_.copy(dst, src, bytes, s);
  }
  Status copy2D(DevicePtr dst, size_t dstPitch, DevicePtr src, size_t srcPitch,
                size_t rowBytes, size_t rows, Stream &s) override {
    return host_.copy2D(dst, dstPitch, src, srcPitch, rowBytes, rows, s);
  }
  Status zero(DevicePtr dst, size_t bytes, Stream &s) override {
    return host_.zero(dst, bytes, s);
  }

private:
  CpuDevice host_;
};

class NullBackend final : public Backend {
public:
  std::string name() const override { return "null"; }
  Device &device() override { return device_; }
  bool supports(Kernel, DType) const override { return false; }
  size_t workspaceBytes(const KernelDescriptor &) const override { return 0; }
  Status run(const KernelDescriptor &descriptor, const KernelRunContext &,
             Stream &) override {
    return unsupportedKernel(descriptor, *this);
  }
  StatusOr<std::unique_ptr<DeviceCommunicator>>
  adaptCommunicator(Communicator &) override {
    return Status::unimplemented(
        "the null backend has no communicator; it runs no program");
  }

private:
  NullDevice device_;
};

} // namespace

StatusOr<std::unique_ptr<Backend>> createNullBackend(const BackendOptions &) {
  return std::unique_ptr<Backend>(new NullBackend());
}

} // namespace strata::runtime

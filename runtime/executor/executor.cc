//===- executor.cc - arena, scratch and the instruction loop --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/executor.h"

#include "runtime/artifact/kernel_signatures.h"
#include "runtime/executor/collectives.h"
#include "runtime/executor/parameter_split.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>

namespace strata::runtime {

namespace {
/// Random streams of one call: offsets rngBase + stream, stream < 2^16.
constexpr uint64_t kStreamsPerCall = uint64_t(1) << 16;

/// "dp=1 x pp=2 x tp=2"
std::string describeMesh(const std::vector<std::string> &axes,
                         const std::vector<int64_t> &shape) {
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? " x " : "") + (i < axes.size() ? axes[i] : "?") + "=" +
            std::to_string(shape[i]);
  return text;
}
} // namespace

Status Executor::setUpMesh(const RankMesh *given) {
  const auto &root = this->root();
  std::vector<std::string> axes;
  std::vector<int64_t> shape;
  if (root.mesh_shape() && root.mesh_axes()) {
    for (const auto *axis : *root.mesh_axes())
      axes.push_back(axis->str());
    shape.assign(root.mesh_shape()->begin(), root.mesh_shape()->end());
  }
  int64_t ranks = 1;
  for (int64_t size : shape) {
    if (size < 1)
      return Status::dataLoss(artifact_.path() + ": mesh " +
                              describeMesh(axes, shape) +
                              " has an axis of size < 1");
    ranks *= size;
  }
  if (given) {
    if (given->shape != shape)
      return Status::failedPrecondition(
          artifact_.path() + " was compiled for the mesh " +
          describeMesh(axes, shape) + " but this rank was set up for " +
          describeMesh(given->axes, given->shape));
    mesh_ = *given;
    return Status::ok();
  }
  if (ranks != 1)
    return Status::failedPrecondition(
        artifact_.path() + " was compiled for " + std::to_string(ranks) +
        " ranks (" + describeMesh(axes, shape) + "); start it with mpirun -np " +
        std::to_string(ranks));
  mesh_.axes = axes;
  mesh_.shape = shape;
  mesh_.coords.assign(shape.size(), 0);
  for (size_t i = 0; i < shape.size(); ++i) {
    ownedCommunicators_.push_back(std::make_unique<SingleProcessCommunicator>());
    mesh_.communicators.push_back(ownedCommunicators_.back().get());
  }
  return Status::ok();
}

Status Executor::checkTarget() const {
  // Artifacts before format 0.6 name no target: they were compiled for the
  // CPU.
  const std::string target = root().target() && root().target()->size()
                                 ? root().target()->str()
                                 : "cpu";
  const std::string kind = target.substr(0, target.find(':'));
  if (kind != backend_->device().kind())
    return Status::failedPrecondition(
        artifact_.path() + " was compiled for target '" + target +
        "' and cannot run on device '" + backend_->device().name() +
        "'; compile it with strata-compile --target " +
        backend_->device().kind() + ", or run it with --device " + kind);
  return Status::ok();
}

Status Executor::checkBackendRunsEverything() {
  for (const PreparedFunction &function : functions_)
    for (const KernelDescriptor &instruction : function.instructions) {
      if (isCollective(instruction.kernel))
        continue;
      if (!backend_->supports(instruction.kernel, instruction.dtype))
        return unsupportedKernel(instruction, *backend_)
            .withContext(artifact_.path() + ": function " + function.name);
    }
  return Status::ok();
}

StatusOr<std::unique_ptr<Executor>>
Executor::create(LoadedArtifact artifact, Backend &backend,
                 const ExecutorOptions &options) {
  // A pipeline root has no program; each rank runs its stage's
  // (RankSetup::loadArtifact picks it).
  if (artifact.isPipelineRoot())
    return Status::failedPrecondition(
        artifact.path() + " is a pipeline-parallel artifact of " +
        std::to_string(artifact.pipelineStages().size()) +
        " stages; a rank runs the program of its stage");
  std::unique_ptr<Executor> executor(
      new Executor(std::move(artifact), backend, options));
  STRATA_RETURN_IF_ERROR(executor->checkTarget());
  STRATA_RETURN_IF_ERROR(executor->setUpMesh(options.mesh));
  executor->options_.mesh = &executor->mesh_;
  STRATA_ASSIGN_OR_RETURN(
      executor->functions_,
      prepareProgram(executor->artifact_, executor->mesh_.coords));
  STRATA_RETURN_IF_ERROR(executor->checkBackendRunsEverything());
  size_t workspace = 0;
  for (const PreparedFunction &function : executor->functions_)
    for (const KernelDescriptor &instruction : function.instructions) {
      const size_t own = isCollective(instruction.kernel)
                             ? 0
                             : backend.workspaceBytes(instruction);
      workspace = std::max(workspace, instruction.scratchBytes + own);
      if (instruction.rngStream >= static_cast<int64_t>(kStreamsPerCall))
        return Status::dataLoss(executor->artifact_.path() + ": " +
                                instruction.where + ": random stream " +
                                std::to_string(instruction.rngStream) +
                                " is beyond the 65536 streams of a call");
    }
  const auto &root = executor->root();
  if (root.parameters())
    for (const artifact::Parameter *parameter : *root.parameters()) {
      const auto *shape = root.buffers()->Get(parameter->value())->shape();
      StatusOr<ParameterSplit> split = splitOf(
          *parameter, std::vector<int64_t>(shape->begin(), shape->end()),
          executor->mesh_);
      if (!split.isOk())
        return split.status().withContext(executor->artifact_.path());
    }
  for (Communicator *host : executor->mesh_.communicators) {
    if (!host) {
      executor->deviceCommunicatorList_.push_back(nullptr);
      continue;
    }
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<DeviceCommunicator> adapted,
                            backend.adaptCommunicator(*host));
    executor->deviceCommunicatorList_.push_back(adapted.get());
    executor->deviceCommunicators_.push_back(std::move(adapted));
  }
  const uint64_t arenaSize = root.plan()->arena_size();
  Device &device = backend.device();
  StatusOr<DeviceMemory> arena =
      device.allocate(arenaSize, kArtifactBufferAlignment);
  if (!arena.isOk())
    return arena.status().withContext(executor->artifact_.path() +
                                      ": the memory plan's arena");
  executor->arena_ = std::move(*arena);
  STRATA_ASSIGN_OR_RETURN(executor->workspace_, device.allocate(workspace, 64));
  return executor;
}

const PreparedFunction *Executor::findFunction(std::string_view name) const {
  for (const PreparedFunction &function : functions_)
    if (function.name == name)
      return &function;
  return nullptr;
}

StatusOr<const PreparedFunction *>
Executor::function(std::string_view name) const {
  if (const PreparedFunction *found = findFunction(name))
    return found;
  std::ostringstream os;
  os << artifact_.path() << " has no function '" << name << "'; it has:";
  for (const PreparedFunction &function : functions_)
    os << ' ' << function.name;
  if (name == "forward_backward" || name == "optimizer_step")
    os << " (compile with --compile-to=training for a training artifact)";
  return Status::failedPrecondition(os.str());
}

Status Executor::run(std::string_view name) {
  STRATA_ASSIGN_OR_RETURN(const PreparedFunction *found, function(name));
  return run(*found);
}

Status Executor::run(const PreparedFunction &function) {
  KernelRunContext context;
  context.arena = arena_.base();
  context.workspace = workspace_.base();
  context.workspaceBytes = workspace_.size();
  context.dropout = options_.dropout;
  context.seed = options_.seed;
  context.rngBase = rngCounter_ * kStreamsPerCall;
  if (function.usesRandomness && options_.dropout)
    ++rngCounter_;
  Device &device = backend_->device();
  Stream &stream = device.defaultStream();
  bool replayed = false;
  if (replayable(function)) {
    StatusOr<bool> done = replays_.run(
        function, context, *backend_, stream,
        [&] { return queueInstructions(function, context, stream); });
    if (!done.isOk())
      return done.status().withContext("function " + function.name);
    replayed = *done;
  }
  if (!replayed)
    if (Status status = queueInstructions(function, context, stream);
        !status.isOk())
      return status.withContext("function " + function.name);
  Status status = device.synchronize(stream);
  return status.isOk() ? status
                       : status.withContext("function " + function.name);
}

bool Executor::replayable(const PreparedFunction &function) const {
  if (!options_.replayDecode || options_.profile || function.name != "decode")
    return false;
  // Collectives wait on peers and may stage through the host: not
  // recordable.
  return std::none_of(function.instructions.begin(),
                      function.instructions.end(),
                      [](const KernelDescriptor &instruction) {
                        return isCollective(instruction.kernel);
                      });
}

Status Executor::queueInstructions(const PreparedFunction &function,
                                   const KernelRunContext &context,
                                   Stream &stream) {
  Device &device = backend_->device();
  const CollectiveContext collectives{device, stream, arena_.base(),
                                      workspace_.base(),
                                      deviceCommunicatorList_};
  for (const KernelDescriptor &instruction : function.instructions) {
    const auto start = options_.profile ? std::chrono::steady_clock::now()
                                        : std::chrono::steady_clock::time_point();
    STRATA_RETURN_IF_ERROR(isCollective(instruction.kernel)
                               ? runCollective(instruction, collectives)
                               : backend_->run(instruction, context, stream));
    if (options_.profile) {
      // Time the kernel itself, not its queueing.
      STRATA_RETURN_IF_ERROR(device.synchronize(stream));
      const size_t kernel = static_cast<size_t>(instruction.kernel);
      if (kernel >= kernelSeconds_.size()) {
        kernelSeconds_.resize(kernel + 1, 0.0);
        kernelCalls_.resize(kernel + 1, 0);
      }
      kernelSeconds_[kernel] += std::chrono::duration<double>(
                                    std::chrono::steady_clock::now() - start)
                                    .count();
      ++kernelCalls_[kernel];
    }
  }
  return Status::ok();
}

Status Executor::completeSends() {
  for (DeviceCommunicator *comm : deviceCommunicatorList_)
    if (comm)
      STRATA_RETURN_IF_ERROR(comm->completeSends());
  return Status::ok();
}

std::vector<KernelProfile> Executor::profile() const {
  std::vector<KernelProfile> out;
  for (size_t k = 0; k < kernelSeconds_.size(); ++k)
    if (kernelCalls_[k] > 0) {
      const KernelSignature *signature =
          lookupKernelSignature(static_cast<artifact::Kernel>(k));
      out.push_back({signature ? std::string(signature->name) : "?",
                     kernelCalls_[k], kernelSeconds_[k]});
    }
  std::sort(out.begin(), out.end(),
            [](const KernelProfile &a, const KernelProfile &b) {
              return a.seconds > b.seconds;
            });
  return out;
}

StatusOr<DevicePtr> Executor::addressOf(uint32_t id, size_t bytes) const {
  const auto *buffers = root().buffers();
  if (!buffers || id >= buffers->size())
    return Status::internal(artifact_.path() + ": no buffer " +
                            std::to_string(id));
  const artifact::Buffer &b = buffer(id);
  if (bytes > b.size())
    return Status::internal("buffer '" + b.name()->str() + "' holds " +
                            std::to_string(b.size()) + " bytes, not " +
                            std::to_string(bytes));
  return arena_.at(b.offset());
}

Status Executor::write(uint32_t id, const io::HostTensor &tensor) {
  const artifact::Buffer &b = buffer(id);
  const std::vector<int64_t> shape(b.shape()->begin(), b.shape()->end());
  if (tensor.dtype() != toIoDType(b.dtype()) || tensor.shape() != shape)
    return Status::invalidArgument(
        std::string("buffer '") + b.name()->str() + "' is " +
        io::toString(toIoDType(b.dtype())) + " " + io::shapeToString(shape) +
        ", got " + io::toString(tensor.dtype()) + " " +
        io::shapeToString(tensor.shape()));
  return writeBytes(id, tensor.bytes(), tensor.byteSize());
}

Status Executor::writeBytes(uint32_t id, const void *data, size_t bytes) {
  STRATA_ASSIGN_OR_RETURN(DevicePtr at, addressOf(id, bytes));
  Device &device = backend_->device();
  return device.copyToDevice(at, data, bytes, device.defaultStream());
}

StatusOr<io::HostTensor> Executor::read(uint32_t id) const {
  const artifact::Buffer &b = buffer(id);
  io::HostTensor tensor(toIoDType(b.dtype()),
                        std::vector<int64_t>(b.shape()->begin(),
                                             b.shape()->end()));
  STRATA_RETURN_IF_ERROR(readBytes(id, tensor.bytes(), tensor.byteSize()));
  return tensor;
}

Status Executor::readBytes(uint32_t id, void *data, size_t bytes) const {
  STRATA_ASSIGN_OR_RETURN(DevicePtr at, addressOf(id, bytes));
  Device &device = backend_->device();
  return device.copyToHost(data, at, bytes, device.defaultStream());
}

Status Executor::zero(uint32_t id) {
  const size_t bytes = buffer(id).size();
  STRATA_ASSIGN_OR_RETURN(DevicePtr at, addressOf(id, bytes));
  Device &device = backend_->device();
  return device.zero(at, bytes, device.defaultStream());
}

namespace {
ParameterSplit resultSplit(const io::HostTensor &local, int dim, int axis,
                           const RankMesh &mesh) {
  ParameterSplit split;
  split.localShape = split.globalShape = local.shape();
  if (dim < 0 || axis < 0)
    return split;
  split.dim = dim;
  split.axis = axis;
  split.blocks = mesh.shape[axis];
  split.block = mesh.coords[axis];
  split.globalShape[dim] *= split.blocks;
  return split;
}
} // namespace

StatusOr<io::HostTensor> Executor::readResult(const PreparedFunction &function,
                                              size_t index) const {
  STRATA_ASSIGN_OR_RETURN(io::HostTensor local, read(function.results[index]));
  const ParameterSplit split =
      resultSplit(local, function.resultSplitDims[index],
                  function.resultSplitAxes[index], mesh_);
  return gatherBlocks(local, split, mesh_);
}

int64_t Executor::resultDimension(const PreparedFunction &function,
                                  size_t index, int dim) const {
  const artifact::Buffer &b = buffer(function.results[index]);
  const int64_t local = b.shape()->Get(dim);
  const int axis = function.resultSplitAxes[index];
  return function.resultSplitDims[index] == dim && axis >= 0
             ? local * mesh_.shape[axis]
             : local;
}

} // namespace strata::runtime

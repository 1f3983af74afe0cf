//===- parameters.cc - parameters in and out of the arena -----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/parameters.h"

#include "runtime/executor/model_parameters.h"
#include "runtime/executor/parameter_split.h"
#include "runtime/executor/pipeline_group.h"
#include "runtime/executor/prompt_tables.h"
#include "runtime/executor/weight_quantization.h"

#include "runtime/kernels/cpu/philox.h"


#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <sstream>

namespace strata::runtime {

namespace {

std::vector<int64_t> shapeOf(const artifact::Buffer &buffer) {
  return std::vector<int64_t>(buffer.shape()->begin(), buffer.shape()->end());
}

uint64_t fnv1a(const std::string &text) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

/// Standard normal number |index| of stream (seed, offset): Box-Muller on
/// two 32-bit Philox words, u1 in (0, 1] so the logarithm is finite.
double standardNormal(uint64_t seed, uint64_t offset, uint64_t index) {
  const uint32_t a = cpu::philoxBits(seed, offset, 2 * index);
  const uint32_t b = cpu::philoxBits(seed, offset, 2 * index + 1);
  const double u1 = (double(a) + 1.0) * 0x1p-32;
  const double u2 = double(b) * 0x1p-32;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

/// Fills this rank's block of |parameter|: element i gets the value of its
/// global element, so every split draws the single-rank initialization.
template <typename T>
void fill(T *out, int64_t n, const artifact::Parameter &parameter,
          const ParameterSplit &split, uint64_t seed) {
  switch (parameter.init()) {
  case artifact::InitKind::Zeros:
    std::fill(out, out + n, T(0));
    return;
  case artifact::InitKind::Ones:
    std::fill(out, out + n, T(1));
    return;
  case artifact::InitKind::Normal: {
    const uint64_t offset = fnv1a(parameter.name()->str());
    const double std = parameter.init_std();
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i)
      out[i] =
          T(std * standardNormal(seed, offset, split.globalIndex(uint64_t(i))));
    return;
  }
  }
}

/// Mixed precision O2: the main parameter of |parameter| (the rank's
/// optimizer block under the distributed optimizer) from |value|, its local
/// value in F32. Nothing for a parameter without one.
Status writeMainParameter(Executor &executor,
                          const artifact::Parameter &parameter,
                          const io::HostTensor &value) {
  if (parameter.main_value() < 0)
    return Status::ok();
  const ParameterSplit split = optimizerSplitOf(
      parameter, shapeOf(executor.buffer(parameter.value())), executor.mesh());
  const io::HostTensor block = optimizerBlock(value, split);
  return executor.writeBytes(uint32_t(parameter.main_value()), block.bytes(),
                             block.byteSize());
}

/// Every main parameter as its widened parameter (after a checkpoint gave
/// the parameters only): the parameter stays the main parameter's rounding.
Status mainParametersFromValues(Executor &executor) {
  if (!executor.root().parameters())
    return Status::ok();
  for (const artifact::Parameter *parameter : *executor.root().parameters()) {
    if (parameter->main_value() < 0)
      continue;
    STRATA_ASSIGN_OR_RETURN(io::HostTensor value,
                            executor.read(parameter->value()));
    STRATA_ASSIGN_OR_RETURN(io::HostTensor wide,
                            io::convertTensor(value, io::DType::F32));
    STRATA_RETURN_IF_ERROR(writeMainParameter(executor, *parameter, wide));
  }
  return Status::ok();
}

Status zeroSlot(Executor &executor, int32_t id) {
  return id >= 0 ? executor.zero(static_cast<uint32_t>(id)) : Status::ok();
}

Status zeroTrainingState(Executor &executor) {
  for (const artifact::Parameter *parameter : *executor.root().parameters()) {
    STRATA_RETURN_IF_ERROR(zeroSlot(executor, parameter->grad()));
    STRATA_RETURN_IF_ERROR(zeroSlot(executor, parameter->adam_m()));
    STRATA_RETURN_IF_ERROR(zeroSlot(executor, parameter->adam_v()));
  }
  return Status::ok();
}

} // namespace

io::ParameterTable parameterTable(const LoadedArtifact &artifact) {
  // Checkpoints hold an int8 weight as the float tensor it is quantized
  // from, and no scales (weight_quantization.h).
  std::set<std::string> quantized, scales;
  for (const QuantizedWeight &w : quantizedWeightsOf(artifact)) {
    quantized.insert(w.weight);
    scales.insert(w.scales);
  }
  io::ParameterTable table;
  for (const ModelParameter &parameter : modelParameters(artifact))
    if (!scales.count(parameter.name))
      table.push_back({parameter.name, parameter.globalShape,
                       quantized.count(parameter.name) ? io::DType::F32
                                                       : parameter.dtype});
  return table;
}

StatusOr<io::HfFamily> hfFamilyOf(const LoadedArtifact &artifact) {
  const artifact::Artifact &root = artifact.root();
  if (root.version_minor() < 10)
    return Status::failedPrecondition(
        artifact.path() + ": format " + std::to_string(root.version_major()) +
        "." + std::to_string(root.version_minor()) +
        " does not record the model family that names checkpoint tensors "
        "(format 0.10 does); recompile the model");
  switch (root.model_family()) {
  case artifact::ModelFamily::Gpt2:
    return io::HfFamily::Gpt2;
  case artifact::ModelFamily::Llama:
    return io::HfFamily::Llama;
  case artifact::ModelFamily::None:
    break;
  }
  return Status::invalidArgument(
      artifact.path() +
      ": the model has no Hugging Face checkpoint family (its "
      "normalization, activation and position embedding are neither "
      "GPT-2's nor Llama's, or it was compiled from a tfm module that "
      "names none), so its parameters have no checkpoint names");
}

int64_t realVocabSize(const LoadedArtifact &artifact) {
  return std::max<int64_t>(artifact.root().vocab_size(), 0);
}

namespace {

/// Int8 weights from the f32 draw of the whole tensor, quantized before the
/// rank takes its block (a row split over ranks has one scale).
Status initializeQuantized(Executor &executor,
                           const std::vector<QuantizedWeight> &weights,
                           uint64_t seed) {
  io::TensorMap tensors;
  std::set<std::string> names;
  for (const artifact::Parameter *parameter : *executor.root().parameters())
    for (const QuantizedWeight &w : weights)
      if (parameter->name()->str() == w.weight) {
        ParameterSplit whole;
        whole.globalShape.assign(parameter->global_shape()->begin(),
                                 parameter->global_shape()->end());
        whole.localShape = whole.globalShape;
        io::HostTensor draw(io::DType::F32, whole.globalShape);
        fill(draw.data<float>(), draw.numElements(), *parameter, whole, seed);
        tensors.emplace(w.weight, std::move(draw));
        names.insert({w.weight, w.scales});
      }
  STRATA_RETURN_IF_ERROR(quantizeWeights(tensors, weights, "initialization"));
  return writeSelectedParameters(
      executor, tensors, "initialization",
      [&](const std::string &name) { return names.count(name) > 0; });
}

} // namespace

Status initializeParameters(Executor &executor, uint64_t seed) {
  const auto &root = executor.root();
  if (!root.parameters())
    return Status::ok();
  // Each value is filled on the host, in f64 or f32, and copied in: the
  // values are a pure function of (seed, name, global index) whatever the
  // device.
  io::HostTensor host;
  const std::vector<QuantizedWeight> quantized =
      quantizedWeightsOf(executor.artifact());
  std::set<std::string> quantizedNames;
  for (const QuantizedWeight &w : quantized)
    quantizedNames.insert({w.weight, w.scales});
  for (const artifact::Parameter *parameter : *root.parameters()) {
    if (quantizedNames.count(parameter->name()->str()))
      continue;
    const artifact::Buffer &value = executor.buffer(parameter->value());
    const ParameterSplit split =
        acceptedSplitOf(*parameter, shapeOf(value), executor.mesh());
    const bool isDouble = value.dtype() == artifact::DType::F64;
    host = io::HostTensor(isDouble ? io::DType::F64 : io::DType::F32,
                          shapeOf(value));
    if (isDouble)
      fill(host.data<double>(), host.numElements(), *parameter, split, seed);
    else
      fill(host.data<float>(), host.numElements(), *parameter, split, seed);
    // O2: the main parameter is the F32 draw, the parameter its rounding.
    STRATA_RETURN_IF_ERROR(writeMainParameter(executor, *parameter, host));
    if (host.dtype() != toIoDType(value.dtype())) {
      STRATA_ASSIGN_OR_RETURN(
          host, io::convertTensor(host, toIoDType(value.dtype())));
    }
    STRATA_RETURN_IF_ERROR(executor.write(parameter->value(), host));
  }
  if (!quantized.empty())
    STRATA_RETURN_IF_ERROR(initializeQuantized(executor, quantized, seed));
  return zeroTrainingState(executor);
}

namespace {

/// The global tensor of slot |id| of |parameter| (gathered from every rank
/// of its axis when it is split: collective). Under the distributed
/// optimizer the moments and the reduce-scattered gradient hold one block
/// each: gathered over the optimizer's axis first.
StatusOr<io::HostTensor> readGlobal(const Executor &executor,
                                    const artifact::Parameter &parameter,
                                    uint32_t id) {
  STRATA_ASSIGN_OR_RETURN(io::HostTensor local, executor.read(id));
  const std::vector<int64_t> shape =
      shapeOf(executor.buffer(parameter.value()));
  if (id != parameter.value()) {
    STRATA_ASSIGN_OR_RETURN(
        local, gatherOptimizerBlocks(
                   local, int64_t(id) == parameter.grad(),
                   optimizerSplitOf(parameter, shape, executor.mesh()), shape,
                   executor.mesh()));
  }
  const ParameterSplit split =
      acceptedSplitOf(parameter, local.shape(), executor.mesh());
  return gatherBlocks(local, split, executor.mesh());
}

/// Every parameter's slot |slotOf| (-1: none) as global tensors, named by
/// |nameOf|. Under pipeline parallelism each stage reads the parameters it
/// owns and the ranks beside the first send theirs to it, all in the model's
/// parameter order, so the first rank ends with every tensor once.
template <typename SlotOf, typename NameOf>
StatusOr<io::TensorMap> readSlots(const Executor &executor, SlotOf slotOf,
                                  NameOf nameOf) {
  io::TensorMap out;
  const PipelineGroup group = pipelineGroupOf(executor.mesh());
  for (const ModelParameter &parameter : modelParameters(executor.artifact())) {
    // Every rank sees the owner's entry, so all agree on what moves.
    const int64_t id = slotOf(*parameter.owner);
    if (id < 0)
      continue;
    const std::string name = nameOf(*parameter.owner);
    if (parameter.ownerStage == group.stage) {
      STRATA_ASSIGN_OR_RETURN(
          io::HostTensor tensor,
          readGlobal(executor, *parameter.owner, static_cast<uint32_t>(id)));
      if (!group.isFirstStage() && group.besideFirst)
        STRATA_RETURN_IF_ERROR(
            sendToStage(group, tensor.bytes(), tensor.byteSize(), 0,
                        PipelineTag::Parameter)
                .withContext("sending " + name + " to the first rank"));
      out.emplace(name, std::move(tensor));
    } else if (group.isFirstRank()) {
      io::HostTensor tensor(slotDType(parameter, uint32_t(id)),
                            parameter.globalShape);
      STRATA_RETURN_IF_ERROR(
          recvFromStage(group, tensor.bytes(), tensor.byteSize(),
                        parameter.ownerStage, PipelineTag::Parameter)
              .withContext("receiving " + name + " from pipeline stage " +
                           std::to_string(parameter.ownerStage)));
      out.emplace(name, std::move(tensor));
    }
  }
  return out;
}

std::string nameOf(const artifact::Parameter &parameter) {
  return parameter.name()->str();
}

} // namespace

StatusOr<io::TensorMap> readParameters(const Executor &executor) {
  return readSlots(
      executor, [](const artifact::Parameter &p) { return int64_t(p.value()); },
      nameOf);
}

StatusOr<io::TensorMap> readSelectedParameters(
    const Executor &executor,
    const std::function<bool(const std::string &name)> &select) {
  return readSlots(
      executor,
      [&](const artifact::Parameter &p) {
        return select(nameOf(p)) ? int64_t(p.value()) : int64_t(-1);
      },
      nameOf);
}

StatusOr<io::TensorMap> readGradients(const Executor &executor) {
  return readSlots(
      executor, [](const artifact::Parameter &p) { return int64_t(p.grad()); },
      nameOf);
}

StatusOr<io::TensorMap> readOptimizerState(const Executor &executor) {
  auto bothMoments = [](const artifact::Parameter &p) {
    return p.adam_m() < 0 || p.adam_v() < 0 ? int64_t(-1) : int64_t(p.adam_m());
  };
  STRATA_ASSIGN_OR_RETURN(
      io::TensorMap state,
      readSlots(executor, bothMoments, [](const artifact::Parameter &p) {
        return nameOf(p) + ".exp_avg";
      }));
  STRATA_ASSIGN_OR_RETURN(io::TensorMap second,
                          readSlots(
                              executor,
                              [&](const artifact::Parameter &p) {
                                return bothMoments(p) < 0 ? int64_t(-1)
                                                          : int64_t(p.adam_v());
                              },
                              [](const artifact::Parameter &p) {
                                return nameOf(p) + ".exp_avg_sq";
                              }));
  state.merge(second);
  // Mixed precision O2: the F32 main parameters the optimizer updates (the
  // parameters are their rounding, so a resume needs them bit for bit).
  STRATA_ASSIGN_OR_RETURN(
      io::TensorMap main,
      readSlots(
          executor,
          [](const artifact::Parameter &p) { return int64_t(p.main_value()); },
          [](const artifact::Parameter &p) { return nameOf(p) + ".main_param"; }));
  state.merge(main);
  return state;
}

namespace {

/// Writes |tensors| into the named buffers: every target's name (each of
/// the buffer's shape, converted to its dtype) and nothing but those and
/// the |expected| names (other stages' tensors); one error lists
/// everything.
struct Target {
  std::string name;
  uint32_t id;
  const artifact::Parameter *parameter;
};

Status writeNamed(Executor &executor, const std::vector<Target> &targets,
                  const io::TensorMap &tensors, const std::string &source,
                  std::set<std::string> expected) {
  std::vector<std::string> problems;
  for (const auto &[name, id, parameter] : targets) {
    expected.insert(name);
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      problems.push_back("missing " + name);
      continue;
    }
    const artifact::Buffer &buffer = executor.buffer(id);
    const std::vector<int64_t> local =
        shapeOf(executor.buffer(parameter->value()));
    const ParameterSplit split =
        acceptedSplitOf(*parameter, local, executor.mesh());
    const std::vector<int64_t> &shape = split.globalShape;
    if (it->second.shape() != shape) {
      problems.push_back(name + " has shape " +
                         io::shapeToString(it->second.shape()) + ", expected " +
                         io::shapeToString(shape));
      continue;
    }
    StatusOr<io::HostTensor> converted =
        io::convertTensor(it->second, toIoDType(buffer.dtype()));
    if (!converted.isOk()) {
      problems.push_back(name + ": " + converted.status().message());
      continue;
    }
    // A moment under the distributed optimizer: the rank's block of it.
    const io::HostTensor block =
        id == parameter->value()
            ? localBlock(*converted, split)
            : optimizerBlock(
                  localBlock(*converted, split),
                  optimizerSplitOf(*parameter, local, executor.mesh()));
    if (Status status =
            executor.writeBytes(id, block.bytes(), block.byteSize());
        !status.isOk()) {
      problems.push_back(name + ": " + status.message());
      continue;
    }
  }
  for (const auto &[name, tensor] : tensors)
    if (!expected.count(name))
      problems.push_back("unexpected " + name + " " +
                         io::shapeToString(tensor.shape()));
  if (problems.empty())
    return Status::ok();
  std::ostringstream os;
  os << source << " does not fit " << executor.artifact().path() << ":";
  for (const std::string &problem : problems)
    os << "\n  " << problem;
  return Status::invalidArgument(os.str());
}

bool hasMoments(const artifact::Parameter &parameter) {
  return parameter.adam_m() >= 0 && parameter.adam_v() >= 0;
}

} // namespace

Status writeParameters(Executor &executor, const io::TensorMap &params,
                       const std::string &source) {
  return writeSelectedParameters(executor, params, source,
                                 [](const std::string &) { return true; });
}

Status writeSelectedParameters(
    Executor &executor, const io::TensorMap &params, const std::string &source,
    const std::function<bool(const std::string &name)> &select) {
  std::vector<Target> targets;
  const auto &root = executor.root();
  if (root.parameters())
    for (const artifact::Parameter *parameter : *root.parameters())
      if (select(parameter->name()->str()))
        targets.push_back(
            {parameter->name()->str(), parameter->value(), parameter});
  // Other stages' parameters are expected in |params| too (global files).
  std::set<std::string> known;
  for (const ModelParameter &parameter : modelParameters(executor.artifact()))
    if (select(parameter.name))
      known.insert(parameter.name);
  STRATA_RETURN_IF_ERROR(
      writeNamed(executor, targets, params, source, std::move(known)));
  return mainParametersFromValues(executor);
}

Status writeOptimizerState(Executor &executor, const io::TensorMap &state,
                           const std::string &source) {
  std::vector<Target> targets;
  const auto &root = executor.root();
  if (root.parameters())
    for (const artifact::Parameter *parameter : *root.parameters()) {
      if (!hasMoments(*parameter))
        continue;
      const std::string name = parameter->name()->str();
      targets.push_back({name + ".exp_avg",
                         static_cast<uint32_t>(parameter->adam_m()),
                         parameter});
      targets.push_back({name + ".exp_avg_sq",
                         static_cast<uint32_t>(parameter->adam_v()),
                         parameter});
      if (parameter->main_value() >= 0)
        targets.push_back({name + ".main_param",
                           static_cast<uint32_t>(parameter->main_value()),
                           parameter});
    }
  std::set<std::string> known;
  for (const ModelParameter &parameter : modelParameters(executor.artifact()))
    if (hasMoments(*parameter.owner)) {
      known.insert(parameter.name + ".exp_avg");
      known.insert(parameter.name + ".exp_avg_sq");
      if (parameter.owner->main_value() >= 0)
        known.insert(parameter.name + ".main_param");
    }
  return writeNamed(executor, targets, state, source, std::move(known));
}

Status loadHfCheckpoint(Executor &executor, const std::string &path) {
  const LoadedArtifact &artifact = executor.artifact();
  STRATA_ASSIGN_OR_RETURN(io::HfFamily family, hfFamilyOf(artifact));
  // Prompt learning's tensors that are not parameters (p-tuning's tables
  // or encoders, LoRA to merge) are read too, then fitted.
  STRATA_ASSIGN_OR_RETURN(
      io::ParameterTable table,
      checkpointTable(artifact, parameterTable(artifact), path));
  STRATA_ASSIGN_OR_RETURN(
      io::TensorMap params,
      io::loadCheckpoint(path, table, family, /*metadata=*/nullptr,
                         realVocabSize(artifact)));
  STRATA_RETURN_IF_ERROR(fitCheckpointTensors(artifact, params, path));
  STRATA_RETURN_IF_ERROR(writeParameters(executor, params, path));
  return zeroTrainingState(executor);
}

Status saveHfCheckpoint(Executor &executor, const std::string &path,
                        const io::SafetensorsMetadata &metadata) {
  STRATA_ASSIGN_OR_RETURN(io::HfFamily family, hfFamilyOf(executor.artifact()));
  // Every rank gathers its split parameters; the first one writes.
  STRATA_ASSIGN_OR_RETURN(io::TensorMap params, readParameters(executor));
  STRATA_ASSIGN_OR_RETURN(io::TensorMap tables, computePromptTables(executor));
  params.merge(tables);
  if (!executor.mesh().isFirst())
    return Status::ok();
  return io::saveCheckpoint(path, params, family, metadata);
}

} // namespace strata::runtime

//===- artifact_loader.cc - reading and checking a .strata file -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/artifact/artifact_loader.h"

#include "runtime/artifact/artifact_checksum.h"

#include "runtime/artifact/kernel_signatures.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <sstream>

namespace strata::runtime {

using artifact::Artifact;
using artifact::BufferCategory;

DType toRuntimeDType(artifact::DType dtype) {
  switch (dtype) {
  case artifact::DType::F32:
    return DType::F32;
  case artifact::DType::F64:
    return DType::F64;
  case artifact::DType::BF16:
    return DType::BF16;
  case artifact::DType::F16:
    return DType::F16;
  case artifact::DType::I32:
    return DType::I32;
  case artifact::DType::I64:
    return DType::I64;
  case artifact::DType::I8:
    return DType::I8;
  }
  return DType::F32;
}

uint64_t dtypeSize(artifact::DType dtype) {
  switch (dtype) {
  case artifact::DType::F32: return 4;
  case artifact::DType::F64: return 8;
  case artifact::DType::BF16: return 2;
  case artifact::DType::F16: return 2;
  case artifact::DType::I32: return 4;
  case artifact::DType::I64: return 8;
  case artifact::DType::I8: return 1;
  }
  return 0;
}

namespace {

/// FlatBuffers 2.0.8's verifier checks a vector's 4-byte length but not
/// that 8-byte elements are 8-byte aligned; reading a misaligned one is
/// undefined behaviour, so the checker refuses it first.
template <typename T> bool isAligned(const flatbuffers::Vector<T> *vector) {
  return !vector || vector->size() == 0 ||
         reinterpret_cast<uintptr_t>(vector->Data()) % alignof(T) == 0;
}

/// Builds "file: message" statuses for one artifact.
class Checker {
public:
  Checker(const std::string &path, const Artifact &root, bool allowStages)
      : path(path), root(root), allowStages(allowStages) {}

  Status check();

private:
  template <typename... Parts> Status error(const Parts &...parts) const {
    std::ostringstream os;
    os << path << ": ";
    (os << ... << parts);
    return Status::dataLoss(os.str());
  }

  Status checkPipelineRoot();
  Status checkBuffers();
  Status checkParameters();
  Status checkScales(const artifact::Parameter &p, const std::string &where);
  Status checkFunctions();
  Status checkStash();
  Status checkSlotVariant(const artifact::Function &base,
                          const artifact::Function &variant, bool forward,
                          std::vector<uint32_t> &saved) const;
  const artifact::Function *function(const std::string &name) const;
  Status checkBufferIndex(uint32_t index, const std::string &where) const;
  Status checkInstruction(const artifact::Function &function, size_t index,
                          const artifact::Instruction &instruction);
  const artifact::Buffer &buffer(uint32_t index) const {
    return *root.buffers()->Get(index);
  }

  const std::string &path;
  const Artifact &root;
  /// False for a stage's program: stages do not nest.
  bool allowStages;
  uint64_t arenaSize = 0;
};

Status Checker::check() {
  if (root.version_major() != kArtifactVersionMajor ||
      root.version_minor() > kArtifactVersionMinor)
    return Status::failedPrecondition(
        path + ": format version " + std::to_string(root.version_major()) +
        "." + std::to_string(root.version_minor()) +
        " is not readable by this runtime, which reads " +
        std::to_string(kArtifactVersionMajor) + ".0 to " +
        std::to_string(kArtifactVersionMajor) + "." +
        std::to_string(kArtifactVersionMinor) + "; recompile the model");
  if (root.pipeline_stages() && root.pipeline_stages()->size() > 0) {
    if (!allowStages)
      return error("holds pipeline stages of its own");
    return checkPipelineRoot();
  }
  if (!root.buffers() || !root.functions() || !root.plan())
    return error("missing ", !root.buffers() ? "buffers"
                             : !root.functions() ? "functions"
                                                 : "memory plan");
  if (!isAligned(root.plan()->peak_by_category()))
    return error("the memory plan's peaks are misaligned");
  arenaSize = root.plan()->arena_size();
  STRATA_RETURN_IF_ERROR(checkBuffers());
  STRATA_RETURN_IF_ERROR(checkParameters());
  STRATA_RETURN_IF_ERROR(checkFunctions());
  return checkStash();
}

/// A pipeline root holds only what every stage shares (the model, the mesh,
/// micro-batches); a program of its own beside stages would leave it open
/// which one a rank runs.
Status Checker::checkPipelineRoot() {
  const std::string stages =
      std::to_string(root.pipeline_stages()->size()) + " pipeline stages";
  auto count = [](const auto *vector) -> uint32_t {
    return vector ? vector->size() : 0;
  };
  if (count(root.buffers()) || count(root.functions()) ||
      count(root.parameters()))
    return error("holds ", stages, " and also a program of its own (",
                 count(root.buffers()), " buffers, ", count(root.functions()),
                 " functions, ", count(root.parameters()), " parameters)");
  if (root.pipeline_stage() != -1)
    return error("holds ", stages, " but is itself pipeline stage ",
                 root.pipeline_stage());
  if (!root.mesh_axes() || !root.mesh_shape() ||
      root.mesh_axes()->size() != root.mesh_shape()->size() ||
      !isAligned(root.mesh_shape()))
    return error("holds ", stages, " but no valid mesh");
  for (uint32_t i = 0; i < root.mesh_axes()->size(); ++i)
    if (root.mesh_axes()->Get(i)->str() == "pp") {
      if (root.mesh_shape()->Get(i) != int64_t(root.pipeline_stages()->size()))
        return error("holds ", stages, " but its mesh's pp axis has size ",
                     root.mesh_shape()->Get(i));
      return Status::ok();
    }
  return error("holds ", stages, " but its mesh has no pp axis");
}

Status Checker::checkBuffers() {
  for (uint32_t i = 0; i < root.buffers()->size(); ++i) {
    const artifact::Buffer &b = buffer(i);
    std::string name = b.name() ? b.name()->str() : "";
    std::string where = "buffer " + std::to_string(i) + " '" + name + "'";
    uint64_t elementSize = dtypeSize(b.dtype());
    if (elementSize == 0)
      return error(where, " has unknown element type ",
                   static_cast<int>(b.dtype()));
    if (static_cast<int>(b.category()) >
        static_cast<int>(BufferCategory::MAX))
      return error(where, " has unknown category ",
                   static_cast<int>(b.category()));
    if (!isAligned(b.shape()))
      return error(where, " has a misaligned shape");
    uint64_t bytes = elementSize;
    if (b.shape())
      for (int64_t dim : *b.shape()) {
        if (dim < 0)
          return error(where, " has negative dimension ", dim);
        if (dim != 0 &&
            bytes > std::numeric_limits<uint64_t>::max() / uint64_t(dim))
          return error(where, " has a shape whose size overflows");
        bytes *= uint64_t(dim);
      }
    if (bytes != b.size())
      return error(where, " declares ", b.size(),
                   " bytes but its shape and type need ", bytes);
    if (b.offset() % kArtifactBufferAlignment != 0)
      return error(where, " starts at offset ", b.offset(),
                   ", not a multiple of ", kArtifactBufferAlignment);
    if (b.offset() > arenaSize || b.size() > arenaSize - b.offset())
      return error(where, " spans [", b.offset(), ", ",
                   b.offset() + b.size(), ") beyond the arena of ", arenaSize,
                   " bytes");
  }
  return Status::ok();
}

Status Checker::checkBufferIndex(uint32_t index,
                                 const std::string &where) const {
  if (index >= root.buffers()->size())
    return error(where, " refers to buffer ", index, " of ",
                 root.buffers()->size());
  return Status::ok();
}

Status Checker::checkParameters() {
  if (!root.parameters())
    return Status::ok();
  for (uint32_t i = 0; i < root.parameters()->size(); ++i) {
    const artifact::Parameter &p = *root.parameters()->Get(i);
    std::string where = "parameter " + std::to_string(i) + " '" +
                        (p.name() ? p.name()->str() : "") + "'";
    if (!p.name())
      return error(where, " has no name");
    STRATA_RETURN_IF_ERROR(checkBufferIndex(p.value(), where));
    if (buffer(p.value()).category() != BufferCategory::Parameter)
      return error(where, " value buffer ", p.value(),
                   " is not in the parameter category");
    // The distributed optimizer: moments of one of S blocks of the value.
    uint64_t momentBlocks = 1;
    if (p.optimizer_split_axis() >= 0) {
      const uint32_t axes = root.mesh_shape() ? root.mesh_shape()->size() : 0;
      if (uint32_t(p.optimizer_split_axis()) >= axes)
        return error(where, " splits its optimizer state over mesh axis ",
                     p.optimizer_split_axis(), " of ", axes);
      const int64_t size = root.mesh_shape()->Get(p.optimizer_split_axis());
      if (size < 1)
        return error(where, " splits its optimizer state over an empty axis");
      momentBlocks = uint64_t(size);
    }
    // Mixed precision O2: an F32 main parameter beside a BF16/F16 value;
    // the gradient and moment slots then have the main parameter's type.
    const artifact::Buffer &value = buffer(p.value());
    artifact::DType slotType = value.dtype();
    if (p.main_value() >= 0) {
      if (!p.trainable())
        return error(where, " is frozen but has a main parameter");
      STRATA_RETURN_IF_ERROR(checkBufferIndex(uint32_t(p.main_value()), where));
      const artifact::Buffer &main = buffer(uint32_t(p.main_value()));
      if (main.category() != BufferCategory::MainParameter)
        return error(where, " main parameter buffer ", p.main_value(),
                     " is not in the main_parameter category");
      if (main.dtype() != artifact::DType::F32 ||
          (value.dtype() != artifact::DType::BF16 &&
           value.dtype() != artifact::DType::F16))
        return error(where, " has a ",
                     artifact::EnumNameDType(main.dtype()),
                     " main parameter for a ",
                     artifact::EnumNameDType(value.dtype()),
                     " value; expected F32 for BF16 or F16");
      slotType = main.dtype();
    }
    auto checkSlot = [&](int32_t slot, BufferCategory category,
                         const char *what) -> Status {
      if (slot < 0) {
        if (p.trainable())
          return error(where, " is trainable but has no ", what, " slot");
        return Status::ok();
      }
      if (!p.trainable())
        return error(where, " is frozen but has a ", what, " slot");
      STRATA_RETURN_IF_ERROR(checkBufferIndex(uint32_t(slot), where));
      const artifact::Buffer &slotBuffer = buffer(uint32_t(slot));
      if (slotBuffer.category() != category)
        return error(where, " ", what, " buffer ", slot,
                     " has the wrong category");
      const uint64_t blocks = category == BufferCategory::Gradient
                                  ? 1
                                  : momentBlocks;
      // Sizes compare in elements: the slots may be wider than the value.
      const uint64_t elements =
          value.size() / std::max<uint64_t>(1, dtypeSize(value.dtype()));
      const uint64_t slotElements =
          slotBuffer.size() / std::max<uint64_t>(1, dtypeSize(slotType));
      if (slotBuffer.dtype() != slotType)
        return error(where, " ", what, " buffer ", slot, " is ",
                     artifact::EnumNameDType(slotBuffer.dtype()), ", expected ",
                     artifact::EnumNameDType(slotType));
      if (elements % blocks != 0 || slotElements != elements / blocks)
        return error(where, " ", what, " buffer ", slot, " has ",
                     slotElements, " elements, the parameter ", elements,
                     blocks > 1 ? " in " + std::to_string(blocks) + " blocks"
                                : std::string());
      return Status::ok();
    };
    STRATA_RETURN_IF_ERROR(
        checkSlot(p.grad(), BufferCategory::Gradient, "gradient"));
    STRATA_RETURN_IF_ERROR(
        checkSlot(p.adam_m(), BufferCategory::OptimizerState, "first moment"));
    STRATA_RETURN_IF_ERROR(checkSlot(p.adam_v(), BufferCategory::OptimizerState,
                                     "second moment"));
    if (p.main_value() >= 0)
      STRATA_RETURN_IF_ERROR(checkSlot(
          p.main_value(), BufferCategory::MainParameter, "main parameter"));
    STRATA_RETURN_IF_ERROR(checkScales(p, where));
  }
  return Status::ok();
}

// Weight-only quantization: an I8 parameter, frozen, has F32 scales over
// its leading (output) dimensions; nothing else is I8.
Status Checker::checkScales(const artifact::Parameter &p,
                            const std::string &where) {
  const bool int8 = buffer(p.value()).dtype() == artifact::DType::I8;
  if (p.scales() < 0) {
    if (int8)
      return error(where, " is I8 but has no scales");
    return Status::ok();
  }
  const uint32_t numParameters = root.parameters()->size();
  if (!int8 || p.trainable() || uint32_t(p.scales()) >= numParameters)
    return error(where, " has scales ", p.scales(),
                 "; expected a frozen I8 parameter and one of the ",
                 numParameters, " parameters");
  const artifact::Parameter &s = *root.parameters()->Get(uint32_t(p.scales()));
  const auto *shape = p.global_shape(), *scaleShape = s.global_shape();
  bool prefix = shape && scaleShape && scaleShape->size() < shape->size() &&
                buffer(s.value()).dtype() == artifact::DType::F32;
  for (uint32_t d = 0; prefix && d < scaleShape->size(); ++d)
    prefix = scaleShape->Get(d) == shape->Get(d);
  if (!prefix)
    return error(where, " has scales '", s.name() ? s.name()->str() : "",
                 "' that are not F32 over its leading dimensions");
  return Status::ok();
}

Status Checker::checkInstruction(const artifact::Function &function,
                                 size_t index,
                                 const artifact::Instruction &instruction) {
  std::string where = "function '" + function.name()->str() +
                      "' instruction " + std::to_string(index);
  const KernelSignature *signature =
      lookupKernelSignature(instruction.kernel());
  if (!signature)
    return error(where, " uses unknown kernel ",
                 static_cast<int>(instruction.kernel()));
  where += " (" + std::string(signature->name) + ")";
  auto count = [](const auto *vector) -> uint32_t {
    return vector ? vector->size() : 0;
  };
  if (!isAligned(instruction.ints()) || !isAligned(instruction.floats()))
    return error(where, " has misaligned attributes");
  uint32_t operands = count(instruction.operands());
  uint32_t results = count(instruction.results());
  // Before format 0.9 the bucketed collectives had no bucket operand: the
  // runtime allocated one outside the arena.
  const bool bucketed =
      instruction.kernel() == artifact::Kernel::ReduceGradients ||
      instruction.kernel() == artifact::Kernel::ReduceScatterGradients ||
      instruction.kernel() == artifact::Kernel::GatherParameters;
  if (bucketed && operands == 0 && root.version_minor() < 9)
    return Status::failedPrecondition(
        path + ": " + where +
        " packs its gradient buckets outside the arena (artifact format 0." +
        std::to_string(root.version_minor()) + "); recompile the model");
  if (operands < signature->minOperands || operands > signature->maxOperands)
    return error(where, " has ", operands, " operands, expected ",
                 signature->minOperands,
                 signature->minOperands == signature->maxOperands
                     ? ""
                     : " to " + std::to_string(signature->maxOperands));
  if (results < signature->minResults || results > signature->maxResults)
    return error(where, " has ", results, " results, expected ",
                 signature->minResults,
                 signature->minResults == signature->maxResults
                     ? ""
                     : " to " + std::to_string(signature->maxResults));
  if (signature->intsEndInParameterList) {
    const uint32_t numParameters = count(root.parameters());
    const uint32_t fixed = uint32_t(signature->ints.size() - 1);
    if (count(instruction.ints()) < fixed)
      return error(where, " has ", count(instruction.ints()),
                   " integer attributes, expected at least ", fixed);
    for (uint32_t i = fixed; i < count(instruction.ints()); ++i)
      if (int64_t parameter = instruction.ints()->Get(i);
          parameter < 0 || parameter >= int64_t(numParameters) ||
            !root.parameters()->Get(uint32_t(parameter))->trainable())
          return error(where, " lists parameter ", parameter,
                       ", which is not one of the ", numParameters,
                       " parameters or is frozen");
  } else if (const uint32_t most = uint32_t(signature->ints.size()),
             least = most - signature->optionalInts;
             count(instruction.ints()) < least ||
             count(instruction.ints()) > most) {
    return error(where, " has ", count(instruction.ints()),
                 " integer attributes, expected ", least,
                 least == most ? "" : " to " + std::to_string(most));
  }
  if (count(instruction.floats()) != signature->floats.size())
    return error(where, " has ", count(instruction.floats()),
                 " float attributes, expected ", signature->floats.size());
  for (const auto *list : {instruction.operands(), instruction.results()})
    if (list)
      for (uint32_t b : *list)
        STRATA_RETURN_IF_ERROR(checkBufferIndex(b, where));
  if (instruction.kernel() == artifact::Kernel::AdamW ||
      instruction.kernel() == artifact::Kernel::ParamFromMain) {
    int64_t parameter = instruction.ints()->Get(0);
    uint32_t numParameters = count(root.parameters());
    if (parameter < 0 || parameter >= int64_t(numParameters))
      return error(where, " updates parameter ", parameter, " of ",
                   numParameters);
    const artifact::Parameter &updated =
        *root.parameters()->Get(uint32_t(parameter));
    if (!updated.trainable())
      return error(where, " updates frozen parameter ", parameter);
    if (instruction.kernel() == artifact::Kernel::ParamFromMain &&
        updated.main_value() < 0)
      return error(where, " rounds the main parameter of parameter ",
                   parameter, ", which has none");
  }
  return Status::ok();
}

Status Checker::checkFunctions() {
  std::set<std::string> names;
  for (uint32_t f = 0; f < root.functions()->size(); ++f) {
    const artifact::Function &function = *root.functions()->Get(f);
    if (!function.name())
      return error("function ", f, " has no name");
    if (!names.insert(function.name()->str()).second)
      return error("function '", function.name()->str(),
                   "' is defined twice");
    std::string where = "function '" + function.name()->str() + "'";
    for (const auto *list : {function.arguments(), function.results()})
      if (list)
        for (uint32_t b : *list)
          STRATA_RETURN_IF_ERROR(checkBufferIndex(b, where));
    const uint32_t results =
        function.results() ? function.results()->size() : 0;
    if (function.result_names() && function.result_names()->size() != results)
      return error(where, " has ", function.result_names()->size(),
                   " result names for ", results, " results");
    if (function.instructions())
      for (uint32_t i = 0; i < function.instructions()->size(); ++i)
        STRATA_RETURN_IF_ERROR(
            checkInstruction(function, i, *function.instructions()->Get(i)));
  }
  return Status::ok();
}

const artifact::Function *Checker::function(const std::string &name) const {
  for (const artifact::Function *f : *root.functions())
    if (f->name()->str() == name)
      return f;
  return nullptr;
}

/// Checks that |variant| is |base| with its saved values (its PipelineStash
/// results when |forward|, else arguments) in other buffers of the same
/// kind, and returns those in |saved|.
Status Checker::checkSlotVariant(const artifact::Function &base,
                                 const artifact::Function &variant,
                                 bool forward,
                                 std::vector<uint32_t> &saved) const {
  const std::string where = "function '" + variant.name()->str() + "'";
  auto savedOf = [&](const artifact::Function &f) {
    std::vector<uint32_t> ids;
    if (const auto *list = forward ? f.results() : f.arguments())
      for (uint32_t b : *list)
        if (buffer(b).category() == BufferCategory::PipelineStash)
          ids.push_back(b);
    return ids;
  };
  const std::vector<uint32_t> baseSaved = savedOf(base);
  saved = savedOf(variant);
  if (saved.size() != baseSaved.size())
    return error(where, " has ", saved.size(), " saved values, '",
                 base.name()->str(), "' ", baseSaved.size());
  std::map<uint32_t, uint32_t> slotBuffer;
  for (size_t i = 0; i < saved.size(); ++i) {
    const artifact::Buffer &a = buffer(baseSaved[i]), &b = buffer(saved[i]);
    if (a.size() != b.size() || a.dtype() != b.dtype())
      return error(where, " saves buffer ", saved[i], " of ", b.size(),
                   " bytes where '", base.name()->str(), "' saves buffer ",
                   baseSaved[i], " of ", a.size());
    slotBuffer[baseSaved[i]] = saved[i];
  }
  // Every buffer list is the base's, the saved values swapped.
  auto sameList = [&](const flatbuffers::Vector<uint32_t> *a,
                      const flatbuffers::Vector<uint32_t> *b) {
    const uint32_t n = a ? a->size() : 0;
    if (n != (b ? b->size() : 0))
      return false;
    for (uint32_t i = 0; i < n; ++i) {
      auto it = slotBuffer.find(a->Get(i));
      if (b->Get(i) != (it == slotBuffer.end() ? a->Get(i) : it->second))
        return false;
    }
    return true;
  };
  if (!sameList(base.arguments(), variant.arguments()) ||
      !sameList(base.results(), variant.results()))
    return error(where, " takes or returns other buffers than '",
                 base.name()->str(), "' besides the saved values");
  const uint32_t count = base.instructions() ? base.instructions()->size() : 0;
  if (count != (variant.instructions() ? variant.instructions()->size() : 0))
    return error(where, " has ",
                 variant.instructions() ? variant.instructions()->size() : 0,
                 " instructions, '", base.name()->str(), "' ", count);
  for (uint32_t i = 0; i < count; ++i) {
    const artifact::Instruction &a = *base.instructions()->Get(i);
    const artifact::Instruction &b = *variant.instructions()->Get(i);
    if (a.kernel() != b.kernel() || !sameList(a.operands(), b.operands()) ||
        !sameList(a.results(), b.results()))
      return error(where, " instruction ", i, " differs from '",
                   base.name()->str(), "' in more than the saved values");
  }
  return Status::ok();
}

/// Version 0.7: a training stage's stash. Chunk c's step functions come in
/// one variant per slot s (forward_step.c.s, backward_step.c.s), each slot
/// 0's with the saved values in other PipelineStash buffers; the backward
/// step reads the buffers its forward step saves, and the slots of every
/// chunk are disjoint in the arena.
Status Checker::checkStash() {
  const auto *slots = root.pipeline_stash_slots();
  if (!slots || slots->size() == 0)
    return Status::ok();
  if (root.pipeline_stage() < 0 || slots->size() != root.pipeline_chunks())
    return error("has the stash slots of ", slots->size(),
                 " chunks but is pipeline stage ", root.pipeline_stage(),
                 " of ", root.pipeline_chunks(), " chunks");
  // Each stash buffer and the (chunk, slot) it belongs to.
  std::map<uint32_t, std::pair<uint32_t, uint32_t>> owner;
  for (uint32_t c = 0; c < slots->size(); ++c) {
    if (slots->Get(c) < 1)
      return error("has no stash slot for chunk ", c);
    const std::string chunk = "." + std::to_string(c) + ".";
    const artifact::Function *forward0 = function("forward_step" + chunk + "0");
    const artifact::Function *backward0 =
        function("backward_step" + chunk + "0");
    for (uint32_t s = 0; s < slots->Get(c); ++s) {
      const std::string forwardName =
          "forward_step" + chunk + std::to_string(s);
      const std::string backwardName =
          "backward_step" + chunk + std::to_string(s);
      const artifact::Function *forward = function(forwardName);
      const artifact::Function *backward = function(backwardName);
      if (!forward || !backward || !forward0 || !backward0)
        return error("has ", slots->Get(c), " stash slots for chunk ", c,
                     " but no function '",
                     !forward ? forwardName : backwardName, "'");
      std::vector<uint32_t> saved, read;
      STRATA_RETURN_IF_ERROR(
          checkSlotVariant(*forward0, *forward, true, saved));
      STRATA_RETURN_IF_ERROR(
          checkSlotVariant(*backward0, *backward, false, read));
      if (saved != read)
        return error("function '", backwardName,
                     "' reads other saved values than '", forwardName,
                     "' writes");
      for (uint32_t b : saved) {
        auto [it, inserted] = owner.emplace(b, std::make_pair(c, s));
        if (!inserted)
          return error("buffer ", b, " is in stash slot ", s, " of chunk ", c,
                       " and slot ", it->second.second, " of chunk ",
                       it->second.first);
      }
    }
  }
  std::vector<uint32_t> byOffset;
  for (const auto &[b, place] : owner)
    if (buffer(b).size() > 0)
      byOffset.push_back(b);
  std::sort(byOffset.begin(), byOffset.end(), [&](uint32_t a, uint32_t b) {
    return std::make_pair(buffer(a).offset(), a) <
           std::make_pair(buffer(b).offset(), b);
  });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const artifact::Buffer &a = buffer(byOffset[i - 1]),
                           &b = buffer(byOffset[i]);
    if (a.offset() + a.size() > b.offset())
      return error("stash buffers ", byOffset[i - 1], " and ", byOffset[i],
                   " overlap in the arena");
  }
  return Status::ok();
}

} // namespace

const artifact::Function *
LoadedArtifact::findFunction(const std::string &name) const {
  if (!root_->functions())
    return nullptr;
  for (const artifact::Function *function : *root_->functions())
    if (function->name()->str() == name)
      return function;
  return nullptr;
}

bool LoadedArtifact::isPipelineRoot() const {
  return root_->pipeline_stages() && root_->pipeline_stages()->size() > 0;
}

const std::vector<LoadedArtifact> &LoadedArtifact::pipelineStages() const {
  static const std::vector<LoadedArtifact> none;
  return stages_ ? *stages_ : none;
}

StatusOr<LoadedArtifact> LoadedArtifact::pipelineStage(int64_t stage) const {
  if (!isPipelineRoot())
    return Status::failedPrecondition(path_ +
                                      " is not a pipeline-parallel artifact");
  if (stage < 0 || stage >= int64_t(stages_->size()))
    return Status::invalidArgument(path_ + ": pipeline stage " +
                                   std::to_string(stage) +
                                   " does not exist (the artifact has " +
                                   std::to_string(stages_->size()) + ")");
  LoadedArtifact selected = (*stages_)[size_t(stage)];
  selected.stages_ = stages_;
  return selected;
}

namespace {

std::vector<std::string> meshAxesOf(const Artifact &root) {
  std::vector<std::string> axes;
  if (root.mesh_axes())
    for (const auto *axis : *root.mesh_axes())
      axes.push_back(axis->str());
  return axes;
}

std::vector<int64_t> meshShapeOf(const Artifact &root) {
  if (!root.mesh_shape())
    return {};
  return std::vector<int64_t>(root.mesh_shape()->begin(),
                              root.mesh_shape()->end());
}

} // namespace

/// Builds LoadedArtifacts (their fields are private to it).
struct ArtifactReader {
  /// Checks |bytes| as one file; |allowStages| is false for a stage.
  static StatusOr<LoadedArtifact>
  load(std::vector<uint8_t> bytes, const std::string &path, bool allowStages);
  static StatusOr<std::vector<LoadedArtifact>>
  loadStages(const Artifact &root, const std::string &path);
};

StatusOr<LoadedArtifact> ArtifactReader::load(std::vector<uint8_t> bytes,
                                              const std::string &path,
                                              bool allowStages) {
  // A .strata file is a size-prefixed FlatBuffer: the 4-byte prefix lets a
  // truncated file be told from one that merely ends in padding.
  if (bytes.size() < 12)
    return Status::dataLoss(path + ": file of " + std::to_string(bytes.size()) +
                            " bytes is too short to be a Strata artifact");
  if (!flatbuffers::BufferHasIdentifier(bytes.data(),
                                        artifact::ArtifactIdentifier(),
                                        /*size_prefixed=*/true))
    return Status::dataLoss(
        path + ": not a Strata artifact (file identifier '" +
        std::string(reinterpret_cast<const char *>(bytes.data()) + 8, 4) +
        "', expected 'STRA')");
  const uint64_t declared = uint64_t(flatbuffers::GetPrefixedSize(bytes.data())) +
                            sizeof(flatbuffers::uoffset_t) +
                            kArtifactChecksumBytes;
  if (declared != bytes.size())
    return Status::dataLoss(path + ": the artifact declares " +
                            std::to_string(declared) + " bytes but the file has " +
                            std::to_string(bytes.size()) +
                            (declared > bytes.size() ? " (truncated)" : ""));
  const uint64_t computed =
      artifactChecksum(bytes.data(), bytes.size() - kArtifactChecksumBytes);
  if (computed != storedArtifactChecksum(bytes)) {
    char text[80];
    std::snprintf(text, sizeof(text), "stored %016llx, computed %016llx",
                  static_cast<unsigned long long>(storedArtifactChecksum(bytes)),
                  static_cast<unsigned long long>(computed));
    return Status::dataLoss(path + ": the artifact is corrupt: checksum "
                                   "mismatch (" +
                            text + ")");
  }
  bytes.resize(bytes.size() - kArtifactChecksumBytes);
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!artifact::VerifySizePrefixedArtifactBuffer(verifier))
    return Status::dataLoss(path +
                            ": the artifact is corrupt (the FlatBuffers "
                            "verifier rejected its " +
                            std::to_string(bytes.size()) + " bytes)");
  LoadedArtifact loaded;
  loaded.path_ = path;
  loaded.bytes_ = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  loaded.root_ = artifact::GetSizePrefixedArtifact(loaded.bytes_->data());
  STRATA_RETURN_IF_ERROR(Checker(path, *loaded.root_, allowStages).check());
  if (loaded.isPipelineRoot()) {
    STRATA_ASSIGN_OR_RETURN(std::vector<LoadedArtifact> stages,
                            loadStages(*loaded.root_, path));
    loaded.stages_ =
        std::make_shared<const std::vector<LoadedArtifact>>(std::move(stages));
  }
  return loaded;
}

/// Loads every stage of a checked pipeline root like a file of its own and
/// checks that it is the stage its place says and shares the root's mesh
/// and micro-batches (and the first stage's chunk count).
StatusOr<std::vector<LoadedArtifact>>
ArtifactReader::loadStages(const Artifact &root, const std::string &path) {
  std::vector<LoadedArtifact> stages;
  const auto &entries = *root.pipeline_stages();
  for (uint32_t s = 0; s < entries.size(); ++s) {
    const std::string stagePath =
        path + " (pipeline stage " + std::to_string(s) + ")";
    const auto *bytes = entries.Get(s)->artifact();
    if (!bytes || bytes->size() == 0)
      return Status::dataLoss(stagePath + ": the stage holds no program");
    StatusOr<LoadedArtifact> stage =
        load(std::vector<uint8_t>(bytes->begin(), bytes->end()), stagePath,
             /*allowStages=*/false);
    if (!stage.isOk())
      return stage.status();
    const Artifact &program = stage->root();
    auto bad = [&](const std::string &what) {
      return Status::dataLoss(stagePath + ": " + what);
    };
    if (program.pipeline_stage() != int32_t(s))
      return bad("declares pipeline_stage " +
                 std::to_string(program.pipeline_stage()) + ", expected " +
                 std::to_string(s));
    if (meshAxesOf(program) != meshAxesOf(root) ||
        meshShapeOf(program) != meshShapeOf(root))
      return bad("has another mesh than the pipeline artifact");
    if (program.micro_batches() != root.micro_batches())
      return bad("has " + std::to_string(program.micro_batches()) +
                 " micro-batches, the pipeline artifact " +
                 std::to_string(root.micro_batches()));
    const uint32_t chunks = program.pipeline_chunks();
    const uint32_t first = s > 0 ? stages.front().root().pipeline_chunks() : 1;
    if (chunks < 1 || (s > 0 && chunks != first))
      return bad("has " + std::to_string(chunks) + " model chunks" +
                 (s > 0 ? ", stage 0 has " + std::to_string(first) : ""));
    stages.push_back(std::move(*stage));
  }
  return stages;
}

StatusOr<LoadedArtifact> loadArtifactFromBytes(std::vector<uint8_t> bytes,
                                               const std::string &path) {
  return ArtifactReader::load(std::move(bytes), path, /*allowStages=*/true);
}

StatusOr<LoadedArtifact> loadArtifact(const std::string &path) {
  FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return Status::notFound(path + ": cannot open the artifact: " +
                            std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), file)) > 0)
    bytes.insert(bytes.end(), chunk, chunk + n);
  bool failed = std::ferror(file);
  std::fclose(file);
  if (failed)
    return Status::dataLoss(path + ": read error");
  return loadArtifactFromBytes(std::move(bytes), path);
}

} // namespace strata::runtime

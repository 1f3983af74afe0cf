//===- ArtifactEmitter.cpp - a planned module to a .strata file -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The kernel attributes written here must match
// runtime/artifact/kernel_signatures.cc, which the loader checks.
//
//===----------------------------------------------------------------------===//
#include "compiler/Lowering/ArtifactEmitter.h"

#include "compiler/Pipeline/StagePrograms.h"
#include "dialects/dist/IR/DistOps.h"
#include "dialects/tfm/IR/TfmOps.h"
#include "runtime/artifact/artifact_checksum.h"
#include "runtime/artifact/artifact_generated.h"
#include "runtime/artifact/artifact_version.h"
#include "common/model_family.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::strata;
namespace fb = ::strata::artifact;
namespace planning = ::strata::planning;

namespace {

fb::DType dtypeOf(Type element) {
  if (element.isF64())
    return fb::DType::F64;
  if (element.isBF16())
    return fb::DType::BF16;
  if (element.isF16())
    return fb::DType::F16;
  if (element.isInteger(32))
    return fb::DType::I32;
  if (element.isInteger(64))
    return fb::DType::I64;
  if (element.isInteger(8))
    return fb::DType::I8;
  return fb::DType::F32;
}

/// What one op becomes: a kernel and its attributes.
struct KernelCall {
  fb::Kernel kernel;
  std::vector<int64_t> ints;
  std::vector<double> floats;
};

int64_t streamOf(std::optional<uint64_t> stream) {
  return stream ? static_cast<int64_t>(*stream) : -1;
}

/// The module's mesh axes, outermost first (empty: one rank).
std::vector<std::string> meshAxesOf(ModuleOp module) {
  std::vector<std::string> axes;
  for (auto mesh : module.getOps<dist::MeshOp>())
    for (Attribute axis : mesh.getAxes())
      axes.push_back(cast<StringAttr>(axis).str());
  return axes;
}

int64_t axisIndex(const std::vector<std::string> &axes, StringRef axis) {
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] == axis)
      return static_cast<int64_t>(i);
  return -1;
}

/// Bit i set for each of |names| that is mesh axis i.
int64_t axisMask(const std::vector<std::string> &axes, ArrayAttr names) {
  int64_t mask = 0;
  for (Attribute name : names)
    if (int64_t i = axisIndex(axes, cast<StringAttr>(name).getValue()); i >= 0)
      mask |= int64_t(1) << i;
  return mask;
}

/// A cross-entropy kernel's integer attributes: |ints|, then valid_vocab
/// only when the op has it, so an unpadded model's artifact is unchanged.
std::vector<int64_t> withValidVocab(std::vector<int64_t> ints,
                                    std::optional<uint64_t> validVocab) {
  if (validVocab)
    ints.push_back(static_cast<int64_t>(*validVocab));
  return ints;
}

int64_t reductionOf(dist::ReductionKind kind) {
  return kind == dist::ReductionKind::max ? 1 : 0;
}

/// The mesh axis an op's computed block is selected by, or -1.
int64_t shardAxisOf(Operation *op, const std::vector<std::string> &axes) {
  StringAttr axis;
  if (auto o = dyn_cast<tfm::EmbeddingOp>(op))
    axis = o.getVocabShardAxisAttr();
  else if (auto o = dyn_cast<tfm::QuantizedEmbeddingOp>(op))
    axis = o.getVocabShardAxisAttr();
  else if (auto o = dyn_cast<tfm::EmbeddingGradOp>(op))
    axis = o.getVocabShardAxisAttr();
  else if (auto o = dyn_cast<tfm::AttentionOp>(op))
    axis = o.getHeadShardAxisAttr();
  else if (auto o = dyn_cast<tfm::AttentionGradOp>(op))
    axis = o.getHeadShardAxisAttr();
  else if (auto o = dyn_cast<tfm::VocabParallelStatsOp>(op))
    axis = o.getShardAxisAttr();
  else if (auto o = dyn_cast<tfm::VocabParallelCrossEntropyGradOp>(op))
    axis = o.getShardAxisAttr();
  else if (auto o = dyn_cast<tfm::DropoutOp>(op))
    axis = o.getMaskSplitAxisAttr();
  else if (auto o = dyn_cast<tfm::BiasDropoutAddOp>(op))
    axis = o.getMaskSplitAxisAttr();
  else if (auto o = dyn_cast<tfm::BiasDropoutAddGradOp>(op))
    axis = o.getMaskSplitAxisAttr();
  else if (auto o = dyn_cast<tfm::AdamWOp>(op))
    axis = o.getShardAxisAttr();
  else if (auto o = dyn_cast<tfm::GradSquareSumOp>(op))
    axis = o.getShardAxisAttr();
  else if (auto o = dyn_cast<tfm::ParamFromMainOp>(op))
    axis = o.getShardAxisAttr();
  return axis ? axisIndex(axes, axis.getValue()) : -1;
}

/// The split dimension of a dropout's tensor, or -1.
int64_t shardDimOf(Operation *op) {
  IntegerAttr dim;
  if (auto o = dyn_cast<tfm::DropoutOp>(op))
    dim = o.getMaskSplitDimAttr();
  else if (auto o = dyn_cast<tfm::BiasDropoutAddOp>(op))
    dim = o.getMaskSplitDimAttr();
  else if (auto o = dyn_cast<tfm::BiasDropoutAddGradOp>(op))
    dim = o.getMaskSplitDimAttr();
  return dim ? dim.getInt() : -1;
}

std::vector<int64_t> parameterList(ArrayAttr names,
                                   const llvm::StringMap<int64_t> &index) {
  std::vector<int64_t> list;
  for (Attribute name : names)
    list.push_back(
        index.lookup(cast<SymbolRefAttr>(name).getRootReference().getValue()));
  return list;
}

FailureOr<KernelCall> kernelFor(Operation *op,
                                const llvm::StringMap<int64_t> &parameterIndex,
                                const std::vector<std::string> &meshAxes) {
  using K = fb::Kernel;
  auto f64 = [](FloatAttr attr) {
    return attr ? attr.getValueAsDouble() : 0.0;
  };
  return llvm::TypeSwitch<Operation *, FailureOr<KernelCall>>(op)
      .Case([](tfm::EmbeddingOp) {
        return KernelCall{K::Embedding, {}, {}};
      })
      .Case([](tfm::EmbeddingGradOp) {
        return KernelCall{K::EmbeddingGrad, {}, {}};
      })
      .Case([](tfm::MatmulOp o) {
        return KernelCall{K::Matmul, {o.getNumContractingDims()}, {}};
      })
      .Case([](tfm::QuantizedMatmulOp o) {
        return KernelCall{K::QuantizedMatmul, {o.getNumContractingDims()}, {}};
      })
      .Case([](tfm::QuantizedEmbeddingOp) {
        return KernelCall{K::QuantizedEmbedding, {}, {}};
      })
      .Case([](tfm::MatmulGradInputOp o) {
        return KernelCall{
            K::MatmulGradInput, {static_cast<int64_t>(o.getOutputDims())}, {}};
      })
      .Case([](tfm::MatmulGradWeightOp o) {
        return KernelCall{
            K::MatmulGradWeight, {static_cast<int64_t>(o.getBatchDims())}, {}};
      })
      .Case([](tfm::BiasAddOp) {
        return KernelCall{K::BiasAdd, {}, {}};
      })
      .Case([](tfm::BiasGradOp) {
        return KernelCall{K::BiasGrad, {}, {}};
      })
      // zero_centered_gamma (format 0.14) is written only when set, so
      // other programs' artifacts stay as they were.
      .Case([&](tfm::LayerNormOp o) {
        return KernelCall{K::LayerNorm,
                          o.getZeroCenteredGamma() ? std::vector<int64_t>{1}
                                                   : std::vector<int64_t>{},
                          {f64(o.getEpsilonAttr())}};
      })
      .Case([&](tfm::LayerNormGradOp o) {
        return KernelCall{K::LayerNormGrad,
                          o.getZeroCenteredGamma() ? std::vector<int64_t>{1}
                                                   : std::vector<int64_t>{},
                          {f64(o.getEpsilonAttr())}};
      })
      .Case([&](tfm::RMSNormOp o) {
        return KernelCall{K::RMSNorm, {}, {f64(o.getEpsilonAttr())}};
      })
      .Case([&](tfm::RMSNormGradOp o) {
        return KernelCall{K::RMSNormGrad, {}, {f64(o.getEpsilonAttr())}};
      })
      .Case([&](tfm::RotaryEmbeddingOp o) {
        return KernelCall{
            K::RotaryEmbedding,
            {static_cast<int64_t>(o.getRotaryDims()), o.getInverse() ? 1 : 0},
            {f64(o.getBaseAttr())}};
      })
      .Case([&](tfm::AttentionOp o) {
        return KernelCall{K::Attention,
                          {o.getCausal() ? 1 : 0, streamOf(o.getRngStream())},
                          {f64(o.getScaleAttr()), o.getDropoutRate()}};
      })
      .Case([&](tfm::AttentionGradOp o) {
        return KernelCall{K::AttentionGrad,
                          {o.getCausal() ? 1 : 0, streamOf(o.getRngStream())},
                          {f64(o.getScaleAttr()), f64(o.getDropoutAttr())}};
      })
      .Case([](tfm::GeluOp o) {
        return KernelCall{
            K::Gelu,
            {o.getApproximation() == tfm::GeluApproximation::tanh},
            {}};
      })
      .Case([](tfm::GeluGradOp o) {
        return KernelCall{
            K::GeluGrad,
            {o.getApproximation() == tfm::GeluApproximation::tanh},
            {}};
      })
      .Case([](tfm::SiluOp) {
        return KernelCall{K::Silu, {}, {}};
      })
      .Case([](tfm::SiluGradOp) {
        return KernelCall{K::SiluGrad, {}, {}};
      })
      .Case([](tfm::SwiGLUOp) {
        return KernelCall{K::SwiGLU, {}, {}};
      })
      .Case([](tfm::SwiGLUGradOp) {
        return KernelCall{K::SwiGLUGrad, {}, {}};
      })
      .Case([&](tfm::DropoutOp o) {
        return KernelCall{
            K::Dropout, {streamOf(o.getRngStream())}, {f64(o.getRateAttr())}};
      })
      .Case([](tfm::AddOp) {
        return KernelCall{K::Add, {}, {}};
      })
      // Prompt learning (docs/prompt-learning.md).
      .Case([](tfm::InsertVirtualTokensOp o) {
        return KernelCall{K::InsertVirtualTokens, {int64_t(o.getOffset())},
                          {}};
      })
      .Case([](tfm::MaskVirtualTokensOp o) {
        return KernelCall{K::MaskVirtualTokens,
                          {int64_t(o.getOffset()), int64_t(o.getRows())},
                          {}};
      })
      .Case([](tfm::VirtualTokenTableGradOp o) {
        return KernelCall{K::VirtualTokenTableGrad, {int64_t(o.getOffset())},
                          {}};
      })
      .Case([](tfm::ReluOp) {
        return KernelCall{K::Relu, {}, {}};
      })
      .Case([](tfm::ReluGradOp) {
        return KernelCall{K::ReluGrad, {}, {}};
      })
      .Case([&](tfm::ScaleOp o) {
        return KernelCall{K::Scale, {}, {f64(o.getFactorAttr())}};
      })
      .Case([](tfm::LstmOp) {
        return KernelCall{K::Lstm, {}, {}};
      })
      .Case([](tfm::LstmGradOp) {
        return KernelCall{K::LstmGrad, {}, {}};
      })
      // The fused ops of strata-tfm-fuse-elementwise; operands and results
      // in op order.
      .Case([](tfm::BiasGeluOp o) {
        return KernelCall{
            K::BiasGelu,
            {o.getApproximation() == tfm::GeluApproximation::tanh},
            {}};
      })
      .Case([](tfm::BiasGeluGradOp o) {
        return KernelCall{
            K::BiasGeluGrad,
            {o.getApproximation() == tfm::GeluApproximation::tanh},
            {}};
      })
      .Case([&](tfm::BiasDropoutAddOp o) {
        return KernelCall{K::BiasDropoutAdd,
                          {streamOf(o.getRngStream())},
                          {f64(o.getRateAttr())}};
      })
      .Case([&](tfm::BiasDropoutAddGradOp o) {
        return KernelCall{K::BiasDropoutAddGrad,
                          {streamOf(o.getRngStream())},
                          {f64(o.getRateAttr())}};
      })
      // KV-cache inference (strata-tfm-derive-inference): the caches are
      // buffers of their own, see the operand lists below.
      .Case([](tfm::CacheWriteOp) {
        return KernelCall{K::CacheWrite, {}, {}};
      })
      .Case([](tfm::TakePositionsOp) {
        return KernelCall{K::TakePositions, {}, {}};
      })
      .Case([&](tfm::CachedAttentionOp o) {
        return KernelCall{K::CachedAttention,
                          {o.getCausal() ? 1 : 0},
                          {f64(o.getScaleAttr())}};
      })
      // Reshapes of contiguous memory: a copy until buffers alias.
      .Case<tfm::SplitHeadsOp, tfm::MergeHeadsOp>([](Operation *) {
        return KernelCall{K::Copy, {}, {}};
      })
      .Case([](tfm::CrossEntropyOp o) {
        return KernelCall{K::CrossEntropy,
                          withValidVocab({static_cast<int64_t>(o.getReduction())},
                                         o.getValidVocab()),
                          {}};
      })
      .Case([](tfm::CrossEntropyGradOp o) {
        return KernelCall{K::CrossEntropyGrad,
                          withValidVocab({static_cast<int64_t>(o.getReduction())},
                                         o.getValidVocab()),
                          {}};
      })
      .Case([](tfm::AccumulateGradOp) {
        return KernelCall{K::AccumulateGrad, {}, {}};
      })
      .Case([](tfm::ZeroGradsOp) {
        return KernelCall{K::ZeroGrads, {}, {}};
      })
      .Case([&](tfm::GradNormOp o) -> FailureOr<KernelCall> {
        if (!o.getParametersAttr())
          return KernelCall{K::GradNorm, {}, {}};
        // The runtime reads an empty list as every slot, unless a sum
        // computed elsewhere comes with it (a pipeline stage's norm).
        if (o.getParametersAttr().empty() && !o.getPlus())
          return o.emitOpError() << "lists no parameters (the runtime reads "
                                    "an empty list as all of them)";
        return KernelCall{K::GradNorm,
                          parameterList(o.getParametersAttr(), parameterIndex),
                          {}};
      })
      .Case([&](tfm::ReduceGradsOp o) {
        std::vector<int64_t> ints = {axisMask(meshAxes, o.getAxes())};
        for (int64_t p : parameterList(o.getParameters(), parameterIndex))
          ints.push_back(p);
        return KernelCall{K::ReduceGradients, std::move(ints), {}};
      })
      .Case([&](tfm::ReduceScatterGradsOp o) {
        std::vector<int64_t> ints = {axisMask(meshAxes, o.getAxes())};
        for (int64_t p : parameterList(o.getParameters(), parameterIndex))
          ints.push_back(p);
        return KernelCall{K::ReduceScatterGradients, std::move(ints), {}};
      })
      .Case([&](tfm::GatherParamsOp o) {
        std::vector<int64_t> ints = {axisMask(meshAxes, o.getAxes())};
        for (int64_t p : parameterList(o.getParameters(), parameterIndex))
          ints.push_back(p);
        return KernelCall{K::GatherParameters, std::move(ints), {}};
      })
      .Case([&](tfm::GradSquareSumOp o) {
        return KernelCall{K::GradSquareSum,
                          parameterList(o.getParameters(), parameterIndex),
                          {}};
      })
      .Case([](tfm::VocabParallelStatsOp o) {
        return KernelCall{K::VocabParallelStats,
                          withValidVocab({}, o.getValidVocab()), {}};
      })
      .Case([](tfm::VocabParallelLossOp o) {
        return KernelCall{
            K::VocabParallelLoss, {static_cast<int64_t>(o.getReduction())}, {}};
      })
      .Case([](tfm::VocabParallelCrossEntropyGradOp o) {
        return KernelCall{K::VocabParallelCrossEntropyGrad,
                          withValidVocab({static_cast<int64_t>(o.getReduction())},
                                         o.getValidVocab()),
                          {}};
      })
      .Case([&](dist::AllReduceOp o) {
        return KernelCall{
            K::AllReduce,
            {axisMask(meshAxes, o.getAxes()), reductionOf(o.getReduction())},
            {}};
      })
      .Case([&](dist::AllGatherOp o) {
        return KernelCall{
            K::AllGather,
            {axisMask(meshAxes, o.getAxes()), static_cast<int64_t>(o.getDim())},
            {}};
      })
      .Case([&](dist::SliceOp o) {
        return KernelCall{
            K::LocalSlice,
            {axisMask(meshAxes, o.getAxes()), static_cast<int64_t>(o.getDim())},
            {}};
      })
      .Case([&](dist::ReduceScatterOp o) {
        return KernelCall{K::ReduceScatter,
                          {axisMask(meshAxes, o.getAxes()),
                           static_cast<int64_t>(o.getDim()),
                           reductionOf(o.getReduction())},
                          {}};
      })
      .Case([&](dist::SendOp o) {
        return KernelCall{K::Send,
                          {int64_t(1) << axisIndex(meshAxes, "pp"),
                           static_cast<int64_t>(o.getOffset()),
                           static_cast<int64_t>(o.getTag())},
                          {}};
      })
      .Case([&](dist::RecvOp o) {
        return KernelCall{K::Recv,
                          {int64_t(1) << axisIndex(meshAxes, "pp"),
                           static_cast<int64_t>(o.getOffset()),
                           static_cast<int64_t>(o.getTag())},
                          {}};
      })
      .Case([](tfm::ClipCoefficientOp) {
        return KernelCall{K::ClipCoefficient, {}, {}};
      })
      // AdamW's operands are the op's: the seven hyperparameters and, under
      // f16 loss scaling, the norm that must be finite.
      .Case([&](tfm::AdamWOp o) -> FailureOr<KernelCall> {
        return KernelCall{K::AdamW, {parameterIndex.lookup(o.getName())}, {}};
      })
      // Mixed precision.
      .Case([](tfm::CastOp) {
        return KernelCall{K::Cast, {}, {}};
      })
      .Case([&](tfm::ParamFromMainOp o) {
        return KernelCall{
            K::ParamFromMain, {parameterIndex.lookup(o.getName())}, {}};
      })
      .Case([](tfm::UnscaleOp) {
        return KernelCall{K::Unscale, {}, {}};
      })
      .Default([](Operation *op) -> FailureOr<KernelCall> {
        return op->emitOpError() << "has no runtime kernel";
      });
}

/// What one op becomes before serialization.
struct PendingInstruction {
  KernelCall call;
  std::vector<uint32_t> operands, results;
  std::string location;
  int32_t shardAxis = -1, shardDim = -1;
};

/// The stash of the chunk whose forward_step.c or backward_step.c
/// |function| is, or null.
const StashChunk *stashOf(func::FuncOp function,
                          const BufferAssignment &assignment) {
  StringRef name = function.getSymName();
  unsigned chunk = 0;
  if ((!name.consume_front("forward_step.") &&
       !name.consume_front("backward_step.")) ||
      name.getAsInteger(10, chunk) || chunk >= assignment.stash.size())
    return nullptr;
  return &assignment.stash[chunk];
}

/// Appends function |name| to |functions|, or for a pipeline step of a chunk
/// with |stash|, one variant name.s per stash slot s: its saved values in
/// slot s's buffers. The instructions that touch no saved value are one
/// table that every variant shares.
void emitFunction(flatbuffers::FlatBufferBuilder &b, const std::string &name,
                  const std::vector<PendingInstruction> &pending,
                  const std::vector<uint32_t> &arguments,
                  const std::vector<uint32_t> &results,
                  const std::vector<int32_t> *splitDims,
                  const std::vector<int32_t> *splitAxes,
                  const std::vector<std::string> &resultNames,
                  const StashChunk *stash,
                  std::vector<flatbuffers::Offset<fb::Function>> &functions) {
  std::vector<flatbuffers::Offset<fb::Instruction>> shared(pending.size());
  for (size_t s = 0; s < (stash ? stash->slots.size() : 1); ++s) {
    // Slot 0's saved-value buffers to slot s's.
    llvm::DenseMap<uint32_t, uint32_t> slotBuffer;
    if (stash)
      for (auto [i, id] : llvm::enumerate(stash->slots[s]))
        slotBuffer[uint32_t(stash->slots[0][i])] = uint32_t(id);
    auto inSlot = [&](std::vector<uint32_t> ids) {
      for (uint32_t &id : ids)
        id = slotBuffer.lookup_or(id, id);
      return ids;
    };
    auto isSaved = [&](uint32_t id) { return slotBuffer.contains(id); };
    std::vector<flatbuffers::Offset<fb::Instruction>> instructions;
    for (auto [i, instruction] : llvm::enumerate(pending)) {
      if (!shared[i].IsNull()) {
        instructions.push_back(shared[i]);
        continue;
      }
      std::vector<uint32_t> operands = inSlot(instruction.operands);
      std::vector<uint32_t> outputs = inSlot(instruction.results);
      const KernelCall &call = instruction.call;
      instructions.push_back(fb::CreateInstructionDirect(
          b, call.kernel, &operands, &outputs, &call.ints, &call.floats,
          instruction.location.c_str(), instruction.shardAxis,
          instruction.shardDim));
      if (!llvm::any_of(instruction.operands, isSaved) &&
          !llvm::any_of(instruction.results, isSaved))
        shared[i] = instructions.back();
    }
    std::vector<uint32_t> slotArguments = inSlot(arguments);
    std::vector<uint32_t> slotResults = inSlot(results);
    const std::string variant = stash ? name + "." + std::to_string(s) : name;
    std::vector<flatbuffers::Offset<flatbuffers::String>> names;
    for (const std::string &resultName : resultNames)
      names.push_back(b.CreateString(resultName));
    functions.push_back(fb::CreateFunctionDirect(
        b, variant.c_str(), &slotArguments, &slotResults, &instructions,
        splitDims, splitAxes, names.empty() ? nullptr : &names));
  }
}

/// The module's model family (tfm.config model_family, which the frontend
/// writes): None when absent, an error at the module for an unknown name.
FailureOr<fb::ModelFamily> modelFamilyOf(ModuleOp module) {
  auto config = module->getAttrOfType<DictionaryAttr>("tfm.config");
  auto name = config ? config.getAs<StringAttr>("model_family") : StringAttr();
  if (!name)
    return fb::ModelFamily::None;
  std::optional<::strata::ModelFamily> family =
      ::strata::parseModelFamilyKey(name.getValue().str());
  if (!family)
    return module.emitError()
           << "unknown model_family '" << name.getValue()
           << "' in tfm.config; expected gpt2 or llama";
  return *family == ::strata::ModelFamily::Llama ? fb::ModelFamily::Llama
                                                 : fb::ModelFamily::Gpt2;
}

/// The module's real vocabulary (tfm.config vocab_size, the tokenizer's),
/// 0 when unknown or when nothing is padded (every row is real).
int64_t vocabSizeOf(ModuleOp module) {
  auto config = module->getAttrOfType<DictionaryAttr>("tfm.config");
  if (!config)
    return 0;
  auto vocab = config.getAs<IntegerAttr>("vocab_size");
  auto padded = config.getAs<IntegerAttr>("padded_vocab_size");
  if (!vocab || !padded || vocab.getInt() <= 0 ||
      vocab.getInt() >= padded.getInt())
    return 0;
  return vocab.getInt();
}

/// The module's prompt-learning tasks (tfm.prompt_tasks, which the frontend
/// writes) as artifact tables; none without them.
std::vector<flatbuffers::Offset<fb::PromptTask>>
promptTasksOf(ModuleOp module, flatbuffers::FlatBufferBuilder &b) {
  std::vector<flatbuffers::Offset<fb::PromptTask>> tasks;
  auto list = module->getAttrOfType<ArrayAttr>("tfm.prompt_tasks");
  if (!list)
    return tasks;
  for (auto task : list.getAsRange<DictionaryAttr>()) {
    auto text = [&](StringRef key) {
      auto s = task.getAs<StringAttr>(key);
      return s ? s.getValue().str() : std::string();
    };
    auto flag = [&](StringRef key) {
      auto v = task.getAs<BoolAttr>(key);
      return v && v.getValue();
    };
    std::vector<int64_t> splits;
    if (auto array = task.getAs<ArrayAttr>("virtual_token_splits"))
      for (auto v : array.getAsRange<IntegerAttr>())
        splits.push_back(v.getInt());
    auto total = task.getAs<IntegerAttr>("total_virtual_tokens");
    tasks.push_back(fb::CreatePromptTaskDirect(
        b, text("name").c_str(), text("prompt_template").c_str(),
        total ? total.getInt() : 0, &splits, text("truncate_field").c_str(),
        flag("answer_only_loss"), text("answer_field").c_str(),
        flag("trained")));
  }
  return tasks;
}

/// The module's tfm.training_settings (the description's training
/// hyperparameters) as the artifact's training_settings.
std::vector<flatbuffers::Offset<fb::TrainingSetting>>
trainingSettingsOf(ModuleOp module, flatbuffers::FlatBufferBuilder &b) {
  std::vector<flatbuffers::Offset<fb::TrainingSetting>> settings;
  auto list = module->getAttrOfType<ArrayAttr>("tfm.training_settings");
  if (!list)
    return settings;
  for (auto setting : list.getAsRange<DictionaryAttr>()) {
    auto text = [&](StringRef key) {
      auto s = setting.getAs<StringAttr>(key);
      return s ? s.getValue().str() : std::string();
    };
    std::vector<double> numbers;
    if (auto array = setting.getAs<ArrayAttr>("numbers"))
      for (auto v : array.getAsRange<FloatAttr>())
        numbers.push_back(v.getValueAsDouble());
    settings.push_back(fb::CreateTrainingSettingDirect(
        b, text("key").c_str(), &numbers, text("text").c_str(),
        text("source").c_str()));
  }
  return settings;
}

/// The module's tfm.lora_merge (an inference module emitted with
/// --merge-lora) as the artifact's lora_merge; null without it.
flatbuffers::Offset<fb::LoraMerge>
loraMergeOf(ModuleOp module, flatbuffers::FlatBufferBuilder &b) {
  auto merge = module->getAttrOfType<DictionaryAttr>("tfm.lora_merge");
  if (!merge)
    return 0;
  std::vector<flatbuffers::Offset<fb::LoraUpdate>> updates;
  if (auto list = merge.getAs<ArrayAttr>("updates"))
    for (auto update : list.getAsRange<DictionaryAttr>()) {
      auto text = [&](StringRef key) {
        auto s = update.getAs<StringAttr>(key);
        return s ? s.getValue().str() : std::string();
      };
      updates.push_back(fb::CreateLoraUpdateDirect(b, text("target").c_str(),
                                                   text("linear_in").c_str(),
                                                   text("linear_out").c_str()));
    }
  auto scale = merge.getAs<FloatAttr>("scale");
  auto rank = merge.getAs<IntegerAttr>("rank");
  return fb::CreateLoraMergeDirect(b, scale ? scale.getValueAsDouble() : 0.0,
                                   rank ? rank.getInt() : 0, &updates);
}

std::string configJson(ModuleOp module) {
  llvm::json::Object object;
  if (auto config = module->getAttrOfType<DictionaryAttr>("tfm.config"))
    for (NamedAttribute entry : config) {
      Attribute value = entry.getValue();
      // A BoolAttr is an i1 IntegerAttr (getInt() would give -1): first.
      if (auto b = dyn_cast<BoolAttr>(value))
        object[entry.getName().str()] = b.getValue();
      else if (auto i = dyn_cast<IntegerAttr>(value))
        object[entry.getName().str()] = i.getInt();
      else if (auto f = dyn_cast<FloatAttr>(value))
        object[entry.getName().str()] = f.getValueAsDouble();
      else if (auto s = dyn_cast<StringAttr>(value))
        object[entry.getName().str()] = s.str();
    }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(object));
  return text;
}

} // namespace

FailureOr<std::vector<uint8_t>>
mlir::strata::emitArtifact(ModuleOp module, const BufferAssignment &assignment,
                           const planning::MemoryPlan &plan,
                           const ArtifactSources &sources) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers;
  // Buffer shapes and types come from the values; parameters and slots from
  // their parameters.
  std::vector<Type> bufferTypes(assignment.buffers.size());
  for (auto &[value, index] : assignment.bufferOf)
    bufferTypes[index] = value.getType();
  const std::vector<std::string> meshAxes = meshAxesOf(module);
  llvm::StringMap<int64_t> parameterIndex;
  // Parameter.scales may name a parameter declared later.
  llvm::StringMap<int64_t> declarationIndex;
  for (auto parameter : module.getOps<tfm::ParameterOp>())
    declarationIndex.try_emplace(parameter.getSymName(),
                                 declarationIndex.size());
  std::vector<flatbuffers::Offset<fb::Parameter>> parameters;
  for (auto parameter : module.getOps<tfm::ParameterOp>()) {
    const ParameterSlots &slots =
        assignment.parameters.lookup(parameter.getSymName());
    bufferTypes[slots.value] = parameter.getLocalType();
    if (slots.grad >= 0)
      bufferTypes[slots.grad] = parameter.getGradType();
    for (int64_t slot : {slots.adamM, slots.adamV, slots.main})
      if (slot >= 0)
        bufferTypes[slot] = parameter.getOptimizerLocalType();
    parameterIndex[parameter.getSymName()] = parameters.size();
    std::vector<int64_t> globalShape(parameter.getTensorType().getShape());
    int32_t splitDim = -1, splitAxis = -1;
    if (auto sharding =
            parameter->getAttrOfType<dist::ShardingAttr>("dist.sharding"))
      for (unsigned d = 0; d < sharding.getRank(); ++d)
        if (SmallVector<StringRef> axes = sharding.getDimAxes(d);
            !axes.empty()) {
          if (axes.size() != 1 || splitDim >= 0)
            return parameter.emitError()
                   << "is split over several mesh axes or dimensions, which "
                      "the artifact format cannot record yet";
          splitDim = static_cast<int32_t>(d);
          splitAxis = static_cast<int32_t>(axisIndex(meshAxes, axes.front()));
        }
    auto init = parameter.getInit();
    fb::InitKind kind =
        init.getKind() == tfm::InitKind::zeros  ? fb::InitKind::Zeros
        : init.getKind() == tfm::InitKind::ones ? fb::InitKind::Ones
                                                : fb::InitKind::Normal;
    parameters.push_back(fb::CreateParameterDirect(
        b, parameter.getSymName().str().c_str(), slots.value, slots.grad,
        slots.adamM, slots.adamV, kind, init.getStd().convertToDouble(),
        slots.grad >= 0, static_cast<bool>(parameter.getWeightDecay()),
        &globalShape, splitDim, splitAxis,
        parameter->hasAttr("dist.shared_with_stage")
            ? static_cast<int32_t>(
                  parameter
                      ->getAttrOfType<IntegerAttr>("dist.shared_with_stage")
                      .getInt())
            : -1,
        parameter.getOptimizerShardAxis()
            ? static_cast<int32_t>(axisIndex(
                  meshAxes, parameter.getOptimizerShardAxis().getValue()))
            : -1,
        static_cast<int32_t>(slots.main),
        parameter.getScalesAttr()
            ? static_cast<int32_t>(
                  declarationIndex.lookup(parameter.getScalesAttr().getValue()))
            : -1));
  }
  for (auto cache : module.getOps<tfm::KVCacheOp>())
    bufferTypes[assignment.kvCaches.lookup(cache.getSymName())] =
        cache.getLocalType();
  for (const auto &[op, bucket] : assignment.buckets)
    bufferTypes[bucket.buffer] = bucket.type;
  // A stash slot's buffers have the types of slot 0's.
  for (const StashChunk &chunk : assignment.stash)
    for (const std::vector<int64_t> &slot : chunk.slots)
      for (auto [i, id] : llvm::enumerate(slot))
        bufferTypes[id] = bufferTypes[chunk.slots[0][i]];
  for (const planning::Buffer &buffer : assignment.buffers) {
    auto type = cast<RankedTensorType>(bufferTypes[buffer.id]);
    std::vector<int64_t> shape(type.getShape());
    buffers.push_back(
        fb::CreateBufferDirect(b, buffer.name.c_str(),
                               static_cast<fb::BufferCategory>(buffer.category),
                               dtypeOf(type.getElementType()), &shape,
                               plan.offsets[buffer.id], buffer.size));
  }

  std::vector<flatbuffers::Offset<fb::Function>> functions;
  for (auto function : module.getOps<func::FuncOp>()) {
    std::vector<PendingInstruction> pending;
    std::vector<uint32_t> arguments, results;
    for (BlockArgument arg : function.getArguments())
      arguments.push_back(assignment.bufferOf.lookup(arg));
    for (Operation &op : function.getBody().front()) {
      if (isa<tfm::ParamRefOp>(op))
        continue;
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        for (Value value : ret.getOperands())
          results.push_back(assignment.bufferOf.lookup(value));
        continue;
      }
      FailureOr<KernelCall> call = kernelFor(&op, parameterIndex, meshAxes);
      if (failed(call))
        return failure();
      PendingInstruction instruction{std::move(*call)};
      std::vector<uint32_t> &operands = instruction.operands;
      std::vector<uint32_t> &outputs = instruction.results;
      for (Value operand : op.getOperands())
        operands.push_back(assignment.bufferOf.lookup(operand));
      for (Value result : op.getResults())
        outputs.push_back(assignment.bufferOf.lookup(result));
      // ReduceGradients, ReduceScatterGradients, GatherParameters (bucket):
      // the gradient bucket the buffer assignment planned.
      if (auto bucket = assignment.buckets.find(&op);
          bucket != assignment.buckets.end())
        operands.push_back(static_cast<uint32_t>(bucket->second.buffer));
      if (auto accumulate = dyn_cast<tfm::AccumulateGradOp>(op))
        outputs.push_back(
            assignment.parameters.lookup(accumulate.getName()).grad);
      // CacheWrite (values, positions[, block_table]) -> (cache): the cache
      // is read, partly overwritten and written, like AccumulateGrad's slot.
      if (auto write = dyn_cast<tfm::CacheWriteOp>(op))
        outputs.push_back(assignment.kvCaches.lookup(write.getCache()));
      // CachedAttention (q, key_cache, value_cache, positions[,
      // block_table]) -> out: the caches go between the op's operands (q,
      // positions[, block_table]).
      if (auto cached = dyn_cast<tfm::CachedAttentionOp>(op))
        operands.insert(operands.begin() + 1,
                        {static_cast<uint32_t>(
                             assignment.kvCaches.lookup(cached.getKeyCache())),
                         static_cast<uint32_t>(assignment.kvCaches.lookup(
                             cached.getValueCache()))});
      llvm::raw_string_ostream los(instruction.location);
      if (auto name = dyn_cast<NameLoc>(op.getLoc()))
        los << name.getName().str();
      else
        op.getLoc().print(los);
      instruction.shardAxis = static_cast<int32_t>(shardAxisOf(&op, meshAxes));
      instruction.shardDim = static_cast<int32_t>(shardDimOf(&op));
      pending.push_back(std::move(instruction));
    }
    std::vector<int32_t> splitDims, splitAxes;
    bool anySplit = false;
    for (unsigned i = 0; i < function.getNumResults(); ++i) {
      int32_t dim = -1, axis = -1;
      if (auto sharding = function.getResultAttrOfType<dist::ShardingAttr>(
              i, "dist.sharding"))
        for (unsigned d = 0; d < sharding.getRank(); ++d)
          if (SmallVector<StringRef> axes = sharding.getDimAxes(d);
              !axes.empty()) {
            if (axes.size() != 1 || dim >= 0)
              return function.emitError()
                     << "result " << i
                     << " is split over several mesh axes "
                        "or dimensions, which the artifact cannot record yet";
            dim = static_cast<int32_t>(d);
            axis = static_cast<int32_t>(axisIndex(meshAxes, axes.front()));
          }
      anySplit |= dim >= 0;
      splitDims.push_back(dim);
      splitAxes.push_back(axis);
    }

    // Named results (prompt_tables): the names checkpoints hold them under.
    std::vector<std::string> resultNames(function.getNumResults());
    bool anyNamed = false;
    for (unsigned i = 0; i < function.getNumResults(); ++i)
      if (auto named =
              function.getResultAttrOfType<StringAttr>(i, "tfm.name")) {
        resultNames[i] = named.str();
        anyNamed = true;
      }
    if (!anyNamed)
      resultNames.clear();

    emitFunction(b, function.getSymName().str(), pending, arguments, results,
                 anySplit ? &splitDims : nullptr,
                 anySplit ? &splitAxes : nullptr, resultNames,
                 stashOf(function, assignment), functions);
  }

  std::vector<uint64_t> peaks(plan.peakBytes.begin(), plan.peakBytes.end());
  auto memoryPlan = fb::CreateMemoryPlanDirect(b, plan.arenaBytes, &peaks,
                                               plan.transientSumBytes,
                                               plan.transientLowerBound);
  int64_t microBatches = 1;
  if (auto attr = module->getAttrOfType<IntegerAttr>("tfm.micro_batches"))
    microBatches = attr.getInt();
  std::string name = !sources.modelName.empty() ? sources.modelName
                     : module.getName()         ? module.getName()->str()
                                                : "model";
  int32_t pipelineStage = -1;
  uint32_t pipelineChunks = 1;
  if (auto stage = module->getAttrOfType<IntegerAttr>("dist.pipeline_stage"))
    pipelineStage = static_cast<int32_t>(stage.getInt());
  if (auto chunks = module->getAttrOfType<IntegerAttr>("dist.pipeline_chunks"))
    pipelineChunks = static_cast<uint32_t>(chunks.getInt());
  std::vector<uint32_t> stashSlots;
  for (const StashChunk &chunk : assignment.stash)
    stashSlots.push_back(static_cast<uint32_t>(chunk.slots.size()));
  std::vector<flatbuffers::Offset<flatbuffers::String>> meshAxisNames;
  std::vector<int64_t> meshShape;
  for (auto mesh : module.getOps<dist::MeshOp>()) {
    for (const std::string &axis : meshAxes)
      meshAxisNames.push_back(b.CreateString(axis));
    meshShape.assign(mesh.getShape().begin(), mesh.getShape().end());
  }
  FailureOr<fb::ModelFamily> family = modelFamilyOf(module);
  if (failed(family))
    return failure();
  std::vector<flatbuffers::Offset<fb::PromptTask>> promptTasks =
      promptTasksOf(module, b);
  auto style = module->getAttrOfType<StringAttr>("tfm.virtual_prompt_style");
  flatbuffers::Offset<fb::LoraMerge> loraMerge = loraMergeOf(module, b);
  std::vector<flatbuffers::Offset<fb::TrainingSetting>> training =
      trainingSettingsOf(module, b);
  auto root = fb::CreateArtifactDirect(
      b, ::strata::runtime::kArtifactVersionMajor,
      ::strata::runtime::kArtifactVersionMinor, name.c_str(),
      sources.description.c_str(), configJson(module).c_str(),
      sources.compileOptions.c_str(), static_cast<uint32_t>(microBatches),
      &buffers, &parameters, &functions, memoryPlan,
      meshShape.empty() ? nullptr : &meshAxisNames,
      meshShape.empty() ? nullptr : &meshShape, /*pipeline_stages=*/nullptr,
      pipelineStage, pipelineChunks, sources.target.c_str(),
      stashSlots.empty() ? nullptr : &stashSlots, *family,
      promptTasks.empty() ? nullptr : &promptTasks,
      style ? style.getValue().str().c_str() : nullptr, loraMerge,
      vocabSizeOf(module), training.empty() ? nullptr : &training);
  fb::FinishSizePrefixedArtifactBuffer(b, root);
  std::vector<uint8_t> bytes(b.GetBufferPointer(),
                             b.GetBufferPointer() + b.GetSize());
  ::strata::runtime::appendArtifactChecksum(bytes);
  return bytes;
}

FailureOr<std::vector<uint8_t>> mlir::strata::emitPipelineArtifact(
    ModuleOp module, const std::vector<std::vector<uint8_t>> &stages,
    const ArtifactSources &sources) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::PipelineStage>> stageTables;
  for (const std::vector<uint8_t> &stage : stages)
    stageTables.push_back(fb::CreatePipelineStageDirect(b, &stage));
  int64_t microBatches = 1;
  if (auto attr = module->getAttrOfType<IntegerAttr>("tfm.micro_batches"))
    microBatches = attr.getInt();
  std::vector<flatbuffers::Offset<flatbuffers::String>> meshAxisNames;
  std::vector<int64_t> meshShape;
  ModuleOp first = pipeline::pipelineStages(module).front();
  for (auto mesh : first.getOps<dist::MeshOp>()) {
    for (const std::string &axis : meshAxesOf(first))
      meshAxisNames.push_back(b.CreateString(axis));
    meshShape.assign(mesh.getShape().begin(), mesh.getShape().end());
  }
  uint32_t chunks = 1;
  if (auto attr = first->getAttrOfType<IntegerAttr>("dist.pipeline_chunks"))
    chunks = static_cast<uint32_t>(attr.getInt());
  std::string name = module.getName() ? module.getName()->str() : "model";
  FailureOr<fb::ModelFamily> family = modelFamilyOf(module);
  if (failed(family))
    return failure();
  std::vector<flatbuffers::Offset<fb::TrainingSetting>> training =
      trainingSettingsOf(module, b);
  auto root = fb::CreateArtifactDirect(
      b, ::strata::runtime::kArtifactVersionMajor,
      ::strata::runtime::kArtifactVersionMinor, name.c_str(),
      sources.description.c_str(), configJson(module).c_str(),
      sources.compileOptions.c_str(), static_cast<uint32_t>(microBatches),
      /*buffers=*/nullptr, /*parameters=*/nullptr, /*functions=*/nullptr,
      /*plan=*/0, &meshAxisNames, &meshShape, &stageTables,
      /*pipeline_stage=*/-1, chunks, sources.target.c_str(),
      /*pipeline_stash_slots=*/nullptr, *family, /*prompt_tasks=*/nullptr,
      /*virtual_prompt_style=*/nullptr, /*lora_merge=*/0, vocabSizeOf(module),
      training.empty() ? nullptr : &training);
  fb::FinishSizePrefixedArtifactBuffer(b, root);
  std::vector<uint8_t> bytes(b.GetBufferPointer(),
                             b.GetBufferPointer() + b.GetSize());
  ::strata::runtime::appendArtifactChecksum(bytes);
  return bytes;
}

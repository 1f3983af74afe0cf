//===- BufferAssignment.cpp - one arena buffer per tensor value -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Lowering/BufferAssignment.h"

#include "compiler/Pipeline/StagePrograms.h"
#include "dialects/tfm/IR/TfmOps.h"
#include "common/gradient_buckets.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::strata;
namespace planning = ::strata::planning;

namespace {

/// Bytes of one element; ids and positions are i32 or i64.
size_t elementBytes(Type type) {
  return (type.getIntOrFloatBitWidth() + 7) / 8;
}

class Assigner {
public:
  explicit Assigner(size_t alignment) : alignment(alignment) {}
  FailureOr<BufferAssignment> run(ModuleOp module);

private:
  /// The module's parameters by name (a bucket lists hundreds; a symbol
  /// lookup per name would scan the module each time).
  llvm::StringMap<tfm::ParameterOp> parameterOps;

  int64_t addBuffer(Value value, planning::BufferCategory category,
                    std::string name) {
    return addBuffer(cast<RankedTensorType>(value.getType()), category,
                     std::move(name));
  }
  int64_t addBuffer(RankedTensorType type, planning::BufferCategory category,
                    std::string name) {
    planning::Buffer buffer;
    buffer.id = static_cast<int64_t>(result.buffers.size());
    buffer.size = type.getNumElements() * elementBytes(type.getElementType());
    buffer.alignment = alignment;
    buffer.category = category;
    buffer.firstUse = buffer.lastUse = instruction;
    buffer.name = std::move(name);
    result.buffers.push_back(std::move(buffer));
    return result.buffers.back().id;
  }
  /// The buffer |op|'s result |value| may overwrite in place: that of an
  /// operand whose kernel allows it and whose last reader is |op|.
  std::optional<int64_t> inPlaceBuffer(Operation &op, OpResult value);
  void use(Value value) {
    auto it = result.bufferOf.find(value);
    if (it != result.bufferOf.end())
      result.buffers[it->second].lastUse = instruction;
  }
  LogicalResult assignFunction(func::FuncOp function);
  /// Gives a bucketed collective its gradient bucket, live at the current
  /// instruction; nothing for other ops.
  LogicalResult assignBucket(Operation &op, StringRef prefix);
  /// Makes a pipeline stage's saved values its stash slots.
  LogicalResult assignStash(ModuleOp module);

  size_t alignment;
  BufferAssignment result;
  int64_t instruction = 0;
};

std::optional<int64_t> Assigner::inPlaceBuffer(Operation &op, OpResult value) {
  // cross_entropy_grad may write the logits' gradient over the logits (the
  // kernel reads each row before it writes it): in training the logits,
  // the largest activation, die there.
  auto crossEntropyGrad = dyn_cast<tfm::CrossEntropyGradOp>(op);
  if (!crossEntropyGrad)
    return std::nullopt;
  Value logits = crossEntropyGrad.getLogits();
  auto it = result.bufferOf.find(logits);
  if (it == result.bufferOf.end() || result.buffers[it->second].category !=
                                         planning::BufferCategory::Activation)
    return std::nullopt;
  bool diesHere = llvm::all_of(logits.getUsers(), [&](Operation *user) {
    return user == &op ||
           (user->getBlock() == op.getBlock() && user->isBeforeInBlock(&op));
  });
  if (!diesHere)
    return std::nullopt;
  return it->second;
}

/// Whether |arg| is a saved value a pipeline stage's backward step takes:
/// it gets no buffer of its own but its forward step's (assignStash).
bool isSavedArgument(func::FuncOp function, BlockArgument arg) {
  auto name =
      function.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "tfm.name");
  return name && name.getValue() == "saved" &&
         function.getSymName().starts_with("backward_step.");
}

LogicalResult Assigner::assignStash(ModuleOp module) {
  int64_t chunks = 0;
  for (auto function : module.getOps<func::FuncOp>())
    chunks += function.getSymName().starts_with("backward_step.");
  if (chunks == 0)
    return success();
  auto slots =
      module->getAttrOfType<DenseI64ArrayAttr>(pipeline::kStashSlotsAttr);
  if (!slots || int64_t(slots.size()) != chunks)
    return module.emitError()
           << "has the step functions of " << chunks << " pipeline chunks but "
           << (slots ? slots.size() : 0) << " chunks' stash slots ("
           << pipeline::kStashSlotsAttr << ", set by strata-pipeline)";
  for (auto [c, count] : llvm::enumerate(slots.asArrayRef())) {
    const std::string suffix = "." + std::to_string(c);
    auto forward = module.lookupSymbol<func::FuncOp>("forward_step" + suffix);
    auto backward = module.lookupSymbol<func::FuncOp>("backward_step" + suffix);
    if (!forward || !backward)
      return module.emitError()
             << "has no forward_step" << suffix << " and backward_step"
             << suffix << " for the stash slots of chunk " << c;
    if (count < 1)
      return module.emitError()
             << "has " << count << " stash slots for chunk " << c;
    SmallVector<BlockArgument> saved;
    for (BlockArgument arg : backward.getArguments())
      if (isSavedArgument(backward, arg))
        saved.push_back(arg);
    auto ret = cast<func::ReturnOp>(forward.getBody().front().getTerminator());
    if (saved.size() > ret.getNumOperands())
      return forward.emitOpError()
             << "returns " << ret.getNumOperands() << " values, fewer than the "
             << saved.size() << " saved values " << backward.getSymName()
             << " takes";
    StashChunk chunk;
    chunk.slots.resize(count);
    const size_t first = ret.getNumOperands() - saved.size();
    for (auto [i, arg] : llvm::enumerate(saved)) {
      Value value = ret.getOperand(first + i);
      const int64_t id = result.bufferOf.lookup(value);
      planning::Buffer &buffer = result.buffers[id];
      // An op's result that nothing overwrites in place, so that a slot is
      // one buffer per saved value.
      const bool aliased =
          buffer.aliasOf || llvm::any_of(result.buffers, [&](const auto &b) {
            return b.aliasOf == id;
          });
      if (buffer.category != planning::BufferCategory::Output || aliased ||
          value.getType() != arg.getType())
        return forward.emitOpError()
               << "saves value " << i << " in buffer '" << buffer.name << "' ("
               << planning::stringifyBufferCategory(buffer.category)
               << (aliased ? ", overwritten in place" : "")
               << "), which cannot be a stash slot of " << arg.getType();
      buffer.category = planning::BufferCategory::PipelineStash;
      result.bufferOf[arg] = id;
      chunk.slots[0].push_back(id);
    }
    for (int64_t s = 1; s < count; ++s)
      for (auto [i, arg] : llvm::enumerate(saved))
        chunk.slots[s].push_back(
            addBuffer(arg, planning::BufferCategory::PipelineStash,
                      result.buffers[chunk.slots[0][i]].name + " (stash slot " +
                          std::to_string(s) + ")"));
    result.stash.push_back(std::move(chunk));
  }
  return success();
}

LogicalResult Assigner::assignBucket(Operation &op, StringRef prefix) {
  // The slots each op moves: gradients, or (gather_params) values.
  ArrayAttr names;
  bool values = false;
  if (auto o = dyn_cast<tfm::ReduceGradsOp>(op))
    names = o.getParameters();
  else if (auto o = dyn_cast<tfm::ReduceScatterGradsOp>(op))
    names = o.getParameters();
  else if (auto o = dyn_cast<tfm::GatherParamsOp>(op))
    names = o.getParameters(), values = true;
  else
    return success();
  std::vector<size_t> bytes;
  Type element;
  for (Attribute name : names) {
    auto ref = cast<SymbolRefAttr>(name);
    tfm::ParameterOp parameter =
        parameterOps.lookup(ref.getRootReference().getValue());
    const ParameterSlots slots =
        result.parameters.lookup(ref.getRootReference().getValue());
    const int64_t id = values ? slots.value : slots.grad;
    if (!parameter || id < 0)
      return op.emitOpError() << "lists " << ref << ", which has no "
                              << (values ? "value" : "gradient slot");
    Type type = (values ? parameter.getLocalType() : parameter.getGradType())
                    .getElementType();
    if (element && type != element)
      return op.emitOpError()
             << "packs slots of different element types into one gradient "
                "bucket: "
             << element << " and " << type << " (" << ref << ")";
    element = type;
    bytes.push_back(result.buffers[id].size);
  }
  if (!element)
    element = Float32Type::get(op.getContext());
  const size_t need = ::strata::planGradientBuckets(bytes).bufferBytes;
  const int64_t elements =
      std::max<int64_t>(1, int64_t(need / elementBytes(element)));
  auto type = RankedTensorType::get({elements}, element);
  result.buckets[&op] = {
      addBuffer(type, planning::BufferCategory::GradientBucket,
                (prefix + op.getName().stripDialect() + ".bucket").str()),
      type};
  return success();
}

FailureOr<BufferAssignment> Assigner::run(ModuleOp module) {
  // Gradient and moment slots exist only where a function uses them: an
  // evaluation-only module keeps just the parameters.
  bool usesSlots =
      module
          .walk([](Operation *op) {
            return isa<tfm::AccumulateGradOp, tfm::ZeroGradsOp, tfm::GradNormOp,
                       tfm::GradSquareSumOp, tfm::ReduceGradsOp,
                       tfm::ReduceScatterGradsOp, tfm::GatherParamsOp,
                       tfm::AdamWOp, tfm::ParamFromMainOp>(op)
                       ? WalkResult::interrupt()
                       : WalkResult::advance();
          })
          .wasInterrupted();
  for (auto parameter : module.getOps<tfm::ParameterOp>()) {
    std::string name = parameter.getSymName().str();
    RankedTensorType type = parameter.getLocalType();
    ParameterSlots slots;
    slots.value = addBuffer(type, planning::BufferCategory::Parameter, name);
    if (usesSlots && parameter.getTrainable()) {
      slots.grad = addBuffer(parameter.getGradType(),
                             planning::BufferCategory::Gradient, name + ".grad");
      // The distributed optimizer keeps the moments (and the main
      // parameter) of one block.
      RankedTensorType moments = parameter.getOptimizerLocalType();
      slots.adamM = addBuffer(moments, planning::BufferCategory::OptimizerState,
                              name + ".adam_m");
      slots.adamV = addBuffer(moments, planning::BufferCategory::OptimizerState,
                              name + ".adam_v");
      if (parameter.getMainElementType())
        slots.main = addBuffer(moments, planning::BufferCategory::MainParameter,
                               name + ".main");
    }
    result.parameters[name] = slots;
    parameterOps[name] = parameter;
  }
  for (auto cache : module.getOps<tfm::KVCacheOp>()) {
    std::string name = cache.getSymName().str();
    result.kvCaches[name] = addBuffer(cache.getLocalType(),
                                      planning::BufferCategory::KVCache, name);
  }
  for (auto function : module.getOps<func::FuncOp>())
    if (failed(assignFunction(function)))
      return failure();
  if (failed(assignStash(module)))
    return failure();
  return std::move(result);
}

LogicalResult Assigner::assignFunction(func::FuncOp function) {
  std::string prefix = function.getSymName().str() + ".";
  for (BlockArgument arg : function.getArguments()) {
    if (!isa<RankedTensorType>(arg.getType()))
      return function.emitOpError()
             << "argument #" << arg.getArgNumber()
             << " is not a ranked tensor and cannot be given a buffer";
    if (isSavedArgument(function, arg))
      continue;
    // Named by the argument's tfm.name where it has one (prefill.tokens,
    // decode.block_table): the runtime tells optional arguments apart by
    // these names.
    auto argName =
        function.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "tfm.name");
    result.bufferOf[arg] = addBuffer(
        arg, planning::BufferCategory::Input,
        prefix + (argName ? argName.str()
                          : "arg" + std::to_string(arg.getArgNumber())));
  }
  for (Operation &op : function.getBody().front()) {
    if (isa<tfm::LayerOp>(op))
      return op.emitOpError()
             << "must be flattened (strata-tfm-flatten-layers) before "
                "buffers are assigned";
    if (auto ref = dyn_cast<tfm::ParamRefOp>(op)) {
      // A parameter read is the parameter's own buffer: no copy, no time.
      result.bufferOf[ref.getResult()] =
          result.parameters.lookup(ref.getName()).value;
      continue;
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value value : ret.getOperands()) {
        auto it = result.bufferOf.find(value);
        planning::Buffer &buffer = result.buffers[it->second];
        if (buffer.category == planning::BufferCategory::Activation)
          buffer.category = planning::BufferCategory::Output;
      }
      continue;
    }
    for (Value operand : op.getOperands())
      use(operand);
    if (failed(assignBucket(op, prefix)))
      return failure();
    for (OpResult value : op.getResults()) {
      if (!isa<RankedTensorType>(value.getType()))
        return op.emitOpError() << "result #" << value.getResultNumber()
                                << " is not a ranked tensor";
      std::string name = prefix + op.getName().stripDialect().str();
      if (auto loc = dyn_cast<NameLoc>(op.getLoc()))
        name = prefix + loc.getName().str();
      std::optional<int64_t> overwritten = inPlaceBuffer(op, value);
      result.bufferOf[value] =
          addBuffer(value, planning::BufferCategory::Activation, name);
      if (overwritten)
        result.buffers.back().aliasOf = *overwritten;
    }
    ++instruction;
  }
  return success();
}

} // namespace

FailureOr<BufferAssignment> mlir::strata::assignBuffers(ModuleOp module,
                                                       size_t alignment) {
  return Assigner(alignment).run(module);
}

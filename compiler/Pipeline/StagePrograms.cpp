//===- StagePrograms.cpp - the partitioned module per pipeline stage ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Pipeline/StagePrograms.h"

#include "compiler/Partitioning/Partitioner.h"
#include "compiler/Partitioning/StageBalancer.h"
#include "compiler/Pipeline/FunctionSplitter.h"
#include "compiler/Pipeline/PipelineCosts.h"
#include "dialects/dist/IR/DistOps.h"
#include "dialects/tfm/IR/TfmOps.h"
#include "common/pipeline_schedule.h"

#include "llvm/ADT/StringSet.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

#include <map>
#include <set>
#include <string>

using namespace mlir;
using namespace mlir::strata;
using namespace mlir::strata::pipeline;

namespace {

constexpr llvm::StringLiteral kMeshName = "mesh";
/// Transfers of forward_backward's pieces are tagged from here, those of
/// forward from 0.
constexpr int64_t kTrainingTagBase = 1 << 14;

int64_t configInt(ModuleOp module, StringRef key, int64_t fallback) {
  auto config = module->getAttrOfType<DictionaryAttr>("tfm.config");
  if (config)
    if (auto value = config.getAs<IntegerAttr>(key))
      return value.getInt() > 0 ? value.getInt() : fallback;
  return fallback;
}

std::optional<unsigned> argumentNamed(func::FuncOp function, StringRef name) {
  for (unsigned i = 0; i < function.getNumArguments(); ++i)
    if (auto attr = function.getArgAttrOfType<StringAttr>(i, "tfm.name"))
      if (attr.getValue() == name)
        return i;
  return std::nullopt;
}

/// The root names of the symbol references in |attr|, through arrays and
/// dictionaries: what SymbolTable::getSymbolUses finds in an op's
/// attributes, without its generic attribute walk (a fifth of building the
/// stages of a large model).
void collectSymbolNames(Attribute attr, llvm::StringSet<> &names) {
  if (auto ref = dyn_cast<SymbolRefAttr>(attr)) {
    names.insert(ref.getRootReference().getValue());
  } else if (auto array = dyn_cast<ArrayAttr>(attr)) {
    for (Attribute element : array)
      collectSymbolNames(element, names);
  } else if (auto dictionary = dyn_cast<DictionaryAttr>(attr)) {
    for (NamedAttribute entry : dictionary)
      collectSymbolNames(entry.getValue(), names);
  }
}

ArrayAttr filterParameters(ArrayAttr list,
                           llvm::function_ref<bool(StringRef)> keep) {
  SmallVector<Attribute> kept;
  for (Attribute attr : list)
    if (keep(cast<FlatSymbolRefAttr>(attr).getValue()))
      kept.push_back(attr);
  return ArrayAttr::get(list.getContext(), kept);
}

/// The parameter a top-level op of a step function names through a symbol
/// attribute ("" for none). Computed once per op: reading an op's attributes
/// builds its dictionary, and pp stages read every op.
std::vector<std::string> parameterNamedByOps(func::FuncOp function,
                                             const llvm::StringSet<> &all) {
  std::vector<std::string> named;
  for (Operation &op : function.getBody().front()) {
    std::string name;
    if (!op.getAttrOfType<ArrayAttr>("parameters"))
      for (NamedAttribute attr : op.getAttrs())
        if (auto ref = dyn_cast<FlatSymbolRefAttr>(attr.getValue()))
          if (all.contains(ref.getValue())) {
            name = ref.getValue().str();
            break;
          }
    named.push_back(std::move(name));
  }
  return named;
}

/// Copies |function| (a step function: one block, no nested regions) at
/// |builder| with only the ops that concern |stageParameters|: parameter
/// lists are filtered (lists of the gradient norm also drop |notCounted|),
/// an op naming another stage's parameter (|named|, per top-level op) is
/// left out. An op with regions, or a left-out op whose result is used, is
/// an internal error (the step functions the compiler derives have neither).
FailureOr<func::FuncOp>
copyForStage(OpBuilder &builder, func::FuncOp function,
             const std::vector<std::string> &named,
             const std::set<std::string> &stageParameters,
             const std::set<std::string> &notCounted) {
  auto copy = cast<func::FuncOp>(builder.cloneWithoutRegions(*function));
  Block &source = function.getBody().front();
  Block *body = copy.addEntryBlock();
  IRMapping mapping;
  mapping.map(source.getArguments(), body->getArguments());
  OpBuilder inside = OpBuilder::atBlockEnd(body);
  size_t i = 0;
  for (Operation &op : source) {
    const std::string &name = named[i++];
    if (op.getNumRegions() > 0) {
      copy.erase();
      return op.emitError() << "internal error: pipeline stages copy "
                            << function.getSymName()
                            << " op by op, and this op has regions";
    }
    if (!name.empty() && !stageParameters.count(name)) {
      if (!op.use_empty()) {
        copy.erase();
        return op.emitError()
               << "internal error: names @" << name
               << ", which another pipeline stage holds, and its result is "
                  "used in "
               << function.getSymName();
      }
      continue;
    }
    Operation *kept = inside.clone(op, mapping);
    if (auto list = kept->getAttrOfType<ArrayAttr>("parameters")) {
      const bool isNorm = isa<tfm::GradSquareSumOp, tfm::GradNormOp>(kept);
      kept->setAttr("parameters", filterParameters(list, [&](StringRef n) {
                      return stageParameters.count(n.str()) &&
                             !(isNorm && notCounted.count(n.str()));
                    }));
    }
  }
  return copy;
}

/// The gradient norm of every stage: this stage's sum of squares (its
/// tensor-parallel part already summed over tp) summed over pp.
/// |counted|: the stage's trainable parameters that count in the norm
/// (what a grad_norm without a list means).
void sumGradNormOverStages(func::FuncOp function, ArrayAttr counted) {
  SmallVector<tfm::GradNormOp> norms(function.getOps<tfm::GradNormOp>());
  for (tfm::GradNormOp norm : norms) {
    OpBuilder builder(norm);
    Location loc = norm.getLoc();
    Type scalar = norm.getType();
    ArrayAttr listed = norm.getParametersAttr() ? norm.getParametersAttr()
                       : norm.getPlus()         ? builder.getArrayAttr({})
                                                : counted;
    // This stage's squares: the listed slots plus the sum from elsewhere
    // (either may be absent).
    Value sum = norm.getPlus();
    if (!listed.empty() || !sum) {
      Value squares = tfm::GradSquareSumOp::create(builder, loc, scalar, listed,
                                                   /*shard_axis=*/StringAttr());
      sum = sum ? tfm::AddOp::create(builder, loc, scalar, squares, sum)
                      .getResult()
                : squares;
    }
    Value all = dist::AllReduceOp::create(
        builder, loc, scalar, sum,
        FlatSymbolRefAttr::get(builder.getContext(), kMeshName),
        builder.getStrArrayAttr({"pp"}),
        dist::ReductionKindAttr::get(builder.getContext(),
                                     dist::ReductionKind::sum));
    Value global = tfm::GradNormOp::create(builder, loc, scalar,
                                           builder.getArrayAttr({}), all);
    norm.getResult().replaceAllUsesWith(global);
    norm.erase();
  }
}

/// A gradient that sums the contributions of two uses (tied embeddings: the
/// head's on the last chunk and the embedding's on the first) accumulates
/// each contribution on its own, so that each chunk adds its part into its
/// stage's copy of the gradient slot. Under mixed precision the sum may be
/// cast to the slot's type first (O2: the bf16 sum widened; O1: the cast's
/// gradient): each contribution is then cast on its own.
void accumulateSummandsSeparately(func::FuncOp function) {
  SmallVector<tfm::AccumulateGradOp> worklist(
      function.getOps<tfm::AccumulateGradOp>());
  while (!worklist.empty()) {
    tfm::AccumulateGradOp accumulate = worklist.pop_back_val();
    auto widen = accumulate.getValue().getDefiningOp<tfm::CastOp>();
    Value value = widen && widen->hasOneUse() ? widen.getInput()
                                              : accumulate.getValue();
    const bool throughCast = value != accumulate.getValue();
    auto sum = value.getDefiningOp<tfm::AddOp>();
    if (!sum || !sum->hasOneUse())
      continue;
    OpBuilder builder(accumulate);
    for (Value summand : {sum.getLhs(), sum.getRhs()}) {
      if (throughCast)
        summand = tfm::CastOp::create(builder, widen.getLoc(), widen.getType(),
                                      summand);
      worklist.push_back(tfm::AccumulateGradOp::create(
          builder, accumulate.getLoc(), accumulate.getNameAttr(), summand));
    }
    accumulate.erase();
    if (throughCast)
      widen.erase();
    sum.erase();
  }
}

class StageBuilder {
public:
  explicit StageBuilder(ModuleOp module) : module(module) {}

  LogicalResult run() {
    const MeshShape mesh = meshShapeOf(module);
    stages = mesh.pp;
    virtualChunks =
        configInt(module, "virtual_pipeline_model_parallel_size", 1);
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    inference = !forward && module.lookupSymbol("prefill") &&
                module.lookupSymbol("decode");
    if (inference && virtualChunks > 1)
      return module.emitError()
             << "inference runs one model chunk per pipeline stage: compile "
                "--mode infer with virtual_pipeline_model_parallel_size 1 "
                "(got "
             << virtualChunks << ")";
    if (inference)
      forward = module.lookupSymbol<func::FuncOp>("prefill");
    if (!forward)
      return module.emitError() << "pipeline splitting needs the forward "
                                   "function of a training module or the "
                                   "prefill and decode of an inference one";
    if (failed(planChunks(forward)))
      return failure();
    if (failed(splitFunctions(forward)))
      return failure();
    createStageModules();
    if (failed(setStashSlots()))
      return failure();
    if (failed(assignParameters()))
      return failure();
    for (unsigned s = 0; s < stages; ++s)
      if (failed(finishStage(s)))
        return failure();
    // The module now holds only the stages.
    for (Operation &op : llvm::make_early_inc_range(*module.getBody()))
      if (!llvm::is_contained(stageModules, dyn_cast<ModuleOp>(op)))
        op.erase();
    return success();
  }

private:
  LogicalResult planChunks(func::FuncOp forward) {
    const int64_t chunks = stages * virtualChunks;
    std::string error;
    auto plan = ::strata::partitioning::balanceStages(
        layerCosts(forward), stages, virtualChunks, &error);
    if (!plan)
      return module.emitError()
             << "cannot cut the model into pipeline_model_parallel_size ("
             << stages << ") x virtual_pipeline_model_parallel_size ("
             << virtualChunks << ") = " << chunks << " chunks: " << error;
    const int64_t microBatches =
        module->getAttrOfType<IntegerAttr>("tfm.micro_batches")
            ? module->getAttrOfType<IntegerAttr>("tfm.micro_batches").getInt()
            : 1;
    if (virtualChunks > 1 && microBatches % stages != 0)
      return module.emitError()
             << "the interleaved pipeline schedule "
                "(virtual_pipeline_model_parallel_size = "
             << virtualChunks << ") needs the micro-batches per step ("
             << microBatches
             << " = global_batch_size / (micro_batch_size x data parallel "
                "size)) to be a multiple of pipeline_model_parallel_size ("
             << stages << ")";
    for (size_t g = 0; g < plan->firstLayer.size(); ++g)
      for (int64_t i = 0; i < plan->layerCount[g]; ++i)
        options.chunkOfLayer.push_back(int64_t(g));
    options.chunks = chunks;
    layersOfChunk.assign(plan->firstLayer.size(), {});
    for (size_t g = 0; g < plan->firstLayer.size(); ++g)
      layersOfChunk[g] = {plan->firstLayer[g], plan->layerCount[g]};
    return success();
  }

  LogicalResult splitFunctions(func::FuncOp forward) {
    if (inference) {
      // prefill.<c> and decode.<c>: each stage's layers write and read its
      // own caches; hidden states cross stages as in forward.
      for (auto [name, tagBase] :
           {std::pair<StringRef, int64_t>{"prefill", 0},
            std::pair<StringRef, int64_t>{"decode", kTrainingTagBase}}) {
        SplitOptions call = options;
        call.forwardName = name.str();
        call.tagBase = tagBase;
        FailureOr<SplitPieces> split =
            splitFunction(module.lookupSymbol<func::FuncOp>(name), call);
        if (failed(split))
          return failure();
        for (auto [g, piece] : llvm::enumerate(split->forward))
          pieces.push_back({int64_t(g), piece});
      }
      return success();
    }
    SplitOptions eval = options;
    eval.forwardName = "forward";
    eval.tagBase = 0;
    FailureOr<SplitPieces> evalPieces = splitFunction(forward, eval);
    if (failed(evalPieces))
      return failure();
    for (auto [g, piece] : llvm::enumerate(evalPieces->forward))
      pieces.push_back({int64_t(g), piece});
    auto training = module.lookupSymbol<func::FuncOp>("forward_backward");
    if (!training)
      return success();
    SplitOptions step = options;
    step.forwardName = "forward_step";
    step.backwardName = "backward_step";
    step.tagBase = kTrainingTagBase;
    step.backwardSeed = argumentNamed(training, "loss_scale");
    accumulateSummandsSeparately(training);
    if (!step.backwardSeed)
      return training.emitError()
             << "forward_backward has no loss_scale argument to split its "
                "backward part at";
    FailureOr<SplitPieces> stepPieces = splitFunction(training, step);
    if (failed(stepPieces))
      return failure();
    for (int64_t g = 0; g < options.chunks; ++g) {
      pieces.push_back({g, stepPieces->forward[g]});
      pieces.push_back({g, stepPieces->backward[g]});
    }
    return success();
  }

  void createStageModules() {
    OpBuilder builder(module.getContext());
    builder.setInsertionPointToEnd(module.getBody());
    for (unsigned s = 0; s < stages; ++s) {
      auto stage = ModuleOp::create(builder, module.getLoc(),
                                    StringRef("stage" + std::to_string(s)));
      for (NamedAttribute attr : module->getAttrs())
        if (attr.getName() != SymbolTable::getSymbolAttrName())
          stage->setAttr(attr.getName(), attr.getValue());
      stage->setAttr(kStageAttr, builder.getI64IntegerAttr(s));
      stage->setAttr(kChunksAttr, builder.getI64IntegerAttr(virtualChunks));
      SmallVector<int64_t> layers;
      for (int64_t c = 0; c < virtualChunks; ++c) {
        auto [first, count] = layersOfChunk[c * stages + s];
        layers.append({first, count});
      }
      stage->setAttr(kStageLayersAttr, builder.getDenseI64ArrayAttr(layers));
      stageModules.push_back(stage);
    }
    // The stage's pieces, named by the stage's local chunk.
    for (auto &[g, piece] : pieces) {
      const int64_t s = g % stages, c = g / stages;
      StringRef base = piece.getSymName().split('.').first;
      piece.setSymName((base + "." + std::to_string(c)).str());
      piece->moveBefore(stageModules[s].getBody(),
                        stageModules[s].getBody()->end());
    }
  }

  /// Each training stage's stash slots per chunk: as many micro-batches as
  /// the runtime's schedule keeps in flight between a forward and a backward
  /// step, counted by the same code.
  LogicalResult setStashSlots() {
    if (!module.lookupSymbol("forward_backward"))
      return success();
    auto attr = module->getAttrOfType<IntegerAttr>("tfm.micro_batches");
    const int64_t microBatches = attr ? attr.getInt() : 1;
    for (unsigned s = 0; s < stages; ++s) {
      auto schedule = ::strata::pipelineSchedule(
          int(stages), int(s), int(virtualChunks), microBatches);
      if (!schedule.isOk())
        return module.emitError() << schedule.error();
      std::vector<int64_t> slots = ::strata::inFlightMicroBatches(
          *schedule, int(virtualChunks));
      stageModules[s]->setAttr(
          kStashSlotsAttr, DenseI64ArrayAttr::get(module.getContext(), slots));
    }
    return success();
  }

  LogicalResult assignParameters() {
    for (auto parameter : module.getOps<tfm::ParameterOp>())
      allParameters.insert(parameter.getSymName());
    stageParameters.assign(stages, {});
    std::map<std::string, SmallVector<unsigned>> stagesOf;
    stageSymbols.assign(stages, {});
    for (unsigned s = 0; s < stages; ++s) {
      // One walk over each function's symbol uses (they are many: every
      // parameter read of every layer): the distinct names, then the
      // parameters among them.
      llvm::StringSet<> used;
      for (auto function : stageModules[s].getOps<func::FuncOp>())
        function.walk([&](Operation *op) {
          for (NamedAttribute attr : op->getAttrs())
            collectSymbolNames(attr.getValue(), used);
        });
      for (const auto &entry : used) {
        stageSymbols[s].insert(entry.getKey().str());
        if (allParameters.contains(entry.getKey()))
          stageParameters[s].insert(entry.getKey().str());
      }
      for (const std::string &name : stageParameters[s])
        stagesOf[name].push_back(s);
    }
    for (auto &[name, users] : stagesOf) {
      if (users.size() > 2)
        return module.emitError()
               << "parameter @" << name << " is used by " << users.size()
               << " pipeline stages; at most two stages may share one (tied "
                  "embeddings on the first and the last)";
      if (users.size() == 2) {
        sharedWith[{users[0], name}] = users[1];
        sharedWith[{users[1], name}] = users[0];
      }
    }
    return success();
  }

  LogicalResult finishStage(unsigned s) {
    ModuleOp stage = stageModules[s];
    OpBuilder builder(module.getContext());
    builder.setInsertionPointToStart(stage.getBody());
    for (Operation &op : *module.getBody()) {
      if (isa<ModuleOp>(op))
        continue;
      if (auto parameter = dyn_cast<tfm::ParameterOp>(op)) {
        std::string name = parameter.getSymName().str();
        if (!stageParameters[s].count(name))
          continue;
        Operation *copy = builder.clone(op);
        if (auto it = sharedWith.find({s, name}); it != sharedWith.end())
          copy->setAttr(kSharedWithStageAttr,
                        builder.getI64IntegerAttr(it->second));
        continue;
      }
      if (isa<dist::MeshOp>(op))
        builder.clone(op);
      // An inference stage keeps the caches of its layers.
      if (auto cache = dyn_cast<tfm::KVCacheOp>(op))
        if (stageSymbols[s].count(cache.getSymName().str()))
          builder.clone(op);
    }
    // A shared parameter counts in the gradient norm on its lower stage.
    std::set<std::string> notCounted;
    for (const auto &[key, other] : sharedWith)
      if (key.first == s && other < s)
        notCounted.insert(key.second);
    builder.setInsertionPointToEnd(stage.getBody());
    for (StringRef name : {"zero_grads", "reduce_gradients", "optimizer_step"})
      if (auto function = module.lookupSymbol<func::FuncOp>(name)) {
        std::vector<std::string> &named = parameterNamedBy[name.str()];
        if (named.empty())
          named = parameterNamedByOps(function, allParameters);
        FailureOr<func::FuncOp> copy = copyForStage(
            builder, function, named, stageParameters[s], notCounted);
        if (failed(copy))
          return failure();
        if (name == "optimizer_step")
          sumGradNormOverStages(*copy, countedInNorm(stage, notCounted));
      }
    return success();
  }

  ArrayAttr countedInNorm(ModuleOp stage,
                          const std::set<std::string> &notCounted) {
    SmallVector<Attribute> counted;
    for (auto parameter : stage.getOps<tfm::ParameterOp>())
      if (parameter.getTrainable() &&
          !notCounted.count(parameter.getSymName().str()))
        counted.push_back(FlatSymbolRefAttr::get(parameter.getSymNameAttr()));
    return ArrayAttr::get(module.getContext(), counted);
  }

  ModuleOp module;
  /// An inference module (prefill and decode, no forward).
  bool inference = false;
  unsigned stages = 1;
  int64_t virtualChunks = 1;
  SplitOptions options;
  std::vector<std::pair<int64_t, int64_t>> layersOfChunk;
  /// (global chunk, piece) of every split function.
  std::vector<std::pair<int64_t, func::FuncOp>> pieces;
  SmallVector<ModuleOp> stageModules;
  /// Every parameter of the module, and those each stage uses.
  llvm::StringSet<> allParameters;
  std::vector<std::set<std::string>> stageParameters;
  /// Every symbol each stage's functions name (its caches among them).
  std::vector<std::set<std::string>> stageSymbols;
  std::map<std::pair<unsigned, std::string>, unsigned> sharedWith;
  /// Per step function: parameterNamedByOps, computed for the first stage.
  std::map<std::string, std::vector<std::string>> parameterNamedBy;
};

} // namespace

SmallVector<ModuleOp> mlir::strata::pipeline::pipelineStages(ModuleOp module) {
  SmallVector<ModuleOp> stages;
  for (auto nested : module.getOps<ModuleOp>())
    if (nested->hasAttr(kStageAttr))
      stages.push_back(nested);
  return stages;
}

LogicalResult mlir::strata::pipeline::buildPipelineStages(ModuleOp module) {
  if (meshShapeOf(module).pp == 1 || !pipelineStages(module).empty())
    return success();
  return StageBuilder(module).run();
}

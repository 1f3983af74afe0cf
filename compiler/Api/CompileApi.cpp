//===- CompileApi.cpp - the compiler as a library -------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Api/CompileApi.h"

#include "compiler/Driver/CompilePipeline.h"
#include "compiler/Driver/InferenceModule.h"
#include "compiler/Driver/StageMemory.h"
#include "compiler/Driver/StepCollectives.h"
#include "compiler/Driver/StepFlops.h"
#include "compiler/Pipeline/StagePrograms.h"
#include "compiler/Registration.h"
#include "frontends/model/ModelDescriptionParser.h"
#include "frontends/tfmgen/TfmGen.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::strata;
namespace fe = ::strata::frontend;
using ::strata::Checked;
using ::strata::checkFailed;

std::vector<std::string>
mlir::strata::layoutOverrides(const ParallelLayout &layout) {
  std::vector<std::string> out;
  auto set = [&](const char *key, const std::string &value) {
    out.push_back(std::string(key) + "=" + value);
  };
  auto number = [](int64_t v) { return std::to_string(v); };
  auto flag = [](bool v) { return std::string(v ? "true" : "false"); };
  if (layout.tp)
    set("model.tensor_model_parallel_size", number(*layout.tp));
  if (layout.pp)
    set("model.pipeline_model_parallel_size", number(*layout.pp));
  if (layout.vp)
    set("model.virtual_pipeline_model_parallel_size",
        *layout.vp > 1 ? number(*layout.vp) : "null");
  if (layout.tp || layout.pp || layout.dp) {
    // The data-parallel size follows from the devices: all of them on one
    // node, tp x pp x dp (dp 1 when unset).
    set("trainer.devices", number(layout.tp.value_or(1) *
                                  layout.pp.value_or(1) *
                                  layout.dp.value_or(1)));
    set("trainer.num_nodes", "1");
  }
  if (layout.microBatchSize)
    set("model.micro_batch_size", number(*layout.microBatchSize));
  if (layout.globalBatchSize)
    set("model.global_batch_size", number(*layout.globalBatchSize));
  if (layout.sequenceParallel)
    set("model.sequence_parallel", flag(*layout.sequenceParallel));
  if (layout.recompute) {
    switch (*layout.recompute) {
    case RecomputeKind::None:
      set("model.activations_checkpoint_granularity", "null");
      break;
    case RecomputeKind::Selective:
      set("model.activations_checkpoint_granularity", "selective");
      break;
    case RecomputeKind::Full:
      set("model.activations_checkpoint_granularity", "full");
      set("model.activations_checkpoint_method", "uniform");
      if (layout.recomputeLayers > 0)
        set("model.activations_checkpoint_num_layers",
            number(layout.recomputeLayers));
      break;
    }
  }
  if (layout.distributedOptimizer)
    set("model.optim.name", *layout.distributedOptimizer
                                ? "distributed_fused_adam"
                                : "fused_adam");
  return out;
}

int64_t CompileAnalysis::peakArenaBytes() const {
  int64_t peak = 0;
  for (const StageMemoryPlan &stage : stages)
    peak = std::max(peak, stage.arenaBytes);
  return peak;
}

double CompileAnalysis::stepFlops(int64_t stage) const {
  double total = 0;
  for (const FunctionFlopsRecord &f : flops)
    if (f.stage == stage && f.inTrainingStep)
      total += (f.matmulFlops + f.attentionFlops) * double(f.callsPerStep);
  return total;
}

struct CompileSession::Impl {
  DialectRegistry registry;
  MLIRContext context;

  Impl() : context(makeRegistry(registry)) {
    context.loadAllAvailableDialects();
    context.printOpOnDiagnostic(false);
    // Callers run one session per core (strata-tune --jobs); each context's
    // own thread pool would oversubscribe the cores (175B search: 957-1106
    // candidates a minute without it, 766-986 with it).
    context.disableMultithreading();
  }
  static DialectRegistry &makeRegistry(DialectRegistry &registry) {
    registerStrataDialects(registry);
    return registry;
  }
};

CompileSession::CompileSession() : impl(std::make_unique<Impl>()) {}
CompileSession::~CompileSession() = default;

namespace {

/// Collects the MLIR diagnostics of one request as text.
class CollectedDiagnostics {
public:
  explicit CollectedDiagnostics(MLIRContext &context)
      : handler(&context, [this](Diagnostic &diagnostic) {
          if (diagnostic.getSeverity() != DiagnosticSeverity::Error)
            return success();
          std::string line;
          llvm::raw_string_ostream os(line);
          os << diagnostic.getLocation() << ": error: " << diagnostic;
          text += line + "\n";
          return success();
        }) {}
  std::string text;

private:
  ScopedDiagnosticHandler handler;
};

StageMemoryPlan toRecord(const StageMemory &memory) {
  StageMemoryPlan plan;
  plan.stage = memory.stage;
  plan.layers = memory.layers;
  const ::strata::planning::MemoryPlan &p = memory.program.plan;
  plan.arenaBytes = int64_t(p.arenaBytes);
  for (size_t i = 0; i < plan.peakBytes.size(); ++i)
    plan.peakBytes[i] = int64_t(p.peakBytes[i]);
  plan.transientBytes = int64_t(p.transientBytes);
  plan.savedBytes = memory.savedBytes;
  plan.stashSlots = memory.stashSlots;
  return plan;
}

int64_t intAttrOr(ModuleOp module, StringRef name, int64_t fallback) {
  if (auto attr = module->getAttrOfType<IntegerAttr>(name))
    return attr.getInt();
  return fallback;
}

} // namespace

Checked<CompileAnalysis>
CompileSession::analyze(const CompileRequest &request) {
  MLIRContext &context = impl->context;
  std::vector<std::string> overrides = request.overrides;
  for (std::string &o : layoutOverrides(request.layout))
    overrides.push_back(std::move(o));

  DefaultTimingManager noTiming;
  TimingScope timing = request.timing ? request.timing->getRootScope()
                                      : noTiming.getRootScope();
  TimingScope loadTiming = timing.nest("read description and emit");
  fe::ParseResult parsed =
      fe::parseModelDescriptionFile(request.descriptionPath, overrides);
  CompileAnalysis analysis;
  if (!parsed.description) {
    std::string sourceText;
    if (auto buffer = llvm::MemoryBuffer::getFile(request.descriptionPath))
      sourceText = (*buffer)->getBuffer().str();
    std::string text;
    for (const fe::Diagnostic &d : parsed.diagnostics)
      text += fe::formatDiagnostic(d, sourceText);
    return checkFailed(text);
  }
  for (const fe::Diagnostic &d : parsed.diagnostics)
    analysis.warnings.push_back(
        fe::formatDiagnostic(d, parsed.description->sourceText));

  CollectedDiagnostics diagnostics(context);
  auto failedWith = [&](StringRef what) {
    return checkFailed(diagnostics.text.empty()
                           ? request.descriptionPath + ": " + what.str()
                           : diagnostics.text);
  };
  OwningOpRef<ModuleOp> module;
  if (request.mode == CompileMode::Train) {
    module = fe::emitTfmModule(*parsed.description, context);
  } else {
    std::string error;
    module = emitInferenceModule(*parsed.description, /*prefillLength=*/0,
                                 context, &error);
    if (!module)
      return checkFailed(request.descriptionPath + ": " + error);
  }
  if (!module || failed(verify(*module)))
    return failedWith("the module does not verify");
  if (request.target != "cpu")
    (*module)->setAttr("tfm.target",
                       StringAttr::get(&context, request.target));
  loadTiming.stop();

  const CompilePhase partitioned = CompilePhase::Partitioned;
  if (failed(runCompilePhases(*module, request.mode, partitioned,
                              CompilePhase::Input, timing,
                              request.verifyPasses)))
    return failedWith("compilation failed");

  SmallVector<ModuleOp> stageModules = pipeline::pipelineStages(*module);
  if (stageModules.empty())
    stageModules.push_back(*module);
  const MeshInfo mesh = meshOf(stageModules.front());
  analysis.dp = mesh.sizeOf("dp");
  analysis.pp = mesh.sizeOf("pp");
  analysis.tp = mesh.sizeOf("tp");
  analysis.chunks =
      intAttrOr(stageModules.front(), pipeline::kChunksAttr, 1);
  analysis.microBatches = intAttrOr(*module, "tfm.micro_batches", 1);

  TimingScope countTiming = timing.nest("collectives and flops");
  for (const StepCollective &c :
       stepCollectives(stageModules, mesh, analysis.microBatches))
    analysis.collectives.push_back({c.stage, c.function, c.kind, c.axes,
                                    c.groupSize, c.count, c.payloadBytes,
                                    c.sentBytes, c.callsPerStep,
                                    c.inTrainingStep});
  for (size_t s = 0; s < stageModules.size(); ++s)
    for (auto function : stageModules[s].getOps<func::FuncOp>()) {
      StringRef name = function.getSymName();
      FunctionFlops f = functionFlops(function);
      FunctionFlopsRecord record;
      record.stage = int64_t(s);
      record.function = name.str();
      record.matmulFlops = f.matmul;
      record.attentionFlops = f.attention;
      record.matmulCallFlops = std::move(f.matmulCalls);
      record.gemms = std::move(f.gemms);
      record.attentionCalls = std::move(f.attentionCalls);
      record.memoryBoundBytes = f.memoryBoundBytes;
      record.memoryBoundBytesBySize = std::move(f.memoryBoundBytesBySize);
      record.crossEntropyCalls = std::move(f.crossEntropyCalls);
      record.callsPerStep = stepCallsOf(name, analysis.microBatches);
      record.inTrainingStep = inTrainingStep(name);
      analysis.flops.push_back(std::move(record));
    }
  countTiming.stop();
  // Last: planning rewrites each stage in place (flattened, fused), which
  // the counts above must not see; the module is discarded after.
  TimingScope planTiming = timing.nest("memory plan");
  for (ModuleOp stage : stageModules) {
    FailureOr<StageMemory> memory =
        planStage(stage, request.verifyPasses, /*inPlace=*/true);
    if (failed(memory))
      return failedWith("memory planning failed");
    analysis.stages.push_back(toRecord(*memory));
  }
  planTiming.stop();
  return analysis;
}

//===- CompileDriver.cpp - strata-compile ---------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/CompileDriver.h"

#include "compiler/Driver/CompilePipeline.h"
#include "compiler/Driver/InferenceModule.h"
#include "compiler/Driver/MemoryReport.h"
#include "compiler/Driver/ParallelReport.h"
#include "compiler/Lowering/ArtifactEmitter.h"
#include "compiler/Lowering/PlannedProgram.h"
#include "compiler/Pipeline/StagePrograms.h"
#include "compiler/Registration.h"
#include "frontends/model/ModelDescriptionParser.h"
#include "frontends/tfmgen/TfmGen.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

using namespace mlir;
using namespace mlir::strata;
namespace cl = llvm::cl;
// The frontend is plain C++ in ::strata, beside this file's mlir::strata.
namespace fe = ::strata::frontend;

namespace {

enum class InputKind { ModelDescription, Mlir };

std::optional<InputKind> inputKindOf(llvm::StringRef path) {
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".yaml" || ext == ".yml")
    return InputKind::ModelDescription;
  if (ext == ".mlir")
    return InputKind::Mlir;
  return std::nullopt;
}

void printDiagnostics(const std::vector<fe::Diagnostic> &diags,
                      const std::string &sourceText) {
  for (const auto &diagnostic : diags)
    llvm::errs() << fe::formatDiagnostic(diagnostic, sourceText);
}

/// Reads the YAML description and emits the input-phase module: `forward`
/// for training, `prefill` and `decode` for inference.
OwningOpRef<ModuleOp> loadModelDescription(const CompileOptions &options,
                                           MLIRContext &context,
                                           std::string &descriptionText) {
  fe::ParseResult result =
      fe::parseModelDescriptionFile(options.inputPath, options.overrides);
  std::string sourceText =
      result.description ? result.description->sourceText : std::string();
  if (!result.description) {
    // The parser keeps the text only on success; reread it for excerpts.
    auto buffer = llvm::MemoryBuffer::getFile(options.inputPath);
    if (buffer)
      sourceText = (*buffer)->getBuffer().str();
  }
  printDiagnostics(result.diagnostics, sourceText);
  if (!result.description)
    return nullptr;
  if (options.verbose && !result.description->recordedKeys.empty()) {
    std::vector<std::string> paths;
    for (const auto &key : result.description->recordedKeys)
      paths.push_back(key.path);
    llvm::errs() << options.inputPath << ": note: " << paths.size()
                 << " keys accepted but not used by the compiler yet "
                    "(kept in the module's tfm.recorded_keys): "
                 << llvm::join(paths, ", ") << "\n";
  }
  descriptionText = result.description->sourceText;
  if (options.mode == CompileMode::Train)
    return fe::emitTfmModule(*result.description, context);
  std::string error;
  OwningOpRef<ModuleOp> module =
      emitInferenceModule(*result.description, options.prefillLength, context,
                          &error, options.mergeLora, options.prefillBatch);
  if (!module)
    llvm::WithColor::error(llvm::errs(), "strata-compile")
        << options.inputPath << ": " << error << "\n";
  return module;
}

/// Parses a module in the tfm dialect; the parser verifies it.
OwningOpRef<ModuleOp> loadMlir(const CompileOptions &options,
                               MLIRContext &context,
                               llvm::SourceMgr &sourceMgr) {
  std::string error;
  auto buffer = openInputFile(options.inputPath, &error);
  if (!buffer) {
    llvm::WithColor::error(llvm::errs(), "strata-compile") << error << "\n";
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}

/// Plans |module| and writes it as an artifact to options.outputPath.
int writeArtifact(const CompileOptions &options, ModuleOp module,
                  const std::string &descriptionText) {
  llvm::json::Object compileOptions;
  compileOptions["input"] = options.inputPath;
  compileOptions["compile_to"] = toString(options.compileTo).str();
  compileOptions["mode"] = toString(options.mode).str();
  compileOptions["target"] = options.target;
  if (options.prefillLength > 0)
    compileOptions["prefill_length"] = options.prefillLength;
  if (options.mergeLora)
    compileOptions["merge_lora"] = true;
  if (options.prefillBatch > 0)
    compileOptions["prefill_batch"] = options.prefillBatch;
  if (options.kvCache.blockSize > 0) {
    compileOptions["kv_block_size"] = options.kvCache.blockSize;
    if (options.kvCache.numBlocks > 0)
      compileOptions["kv_blocks"] = options.kvCache.numBlocks;
  }
  if (options.quantization == Quantization::Int8WeightOnly)
    compileOptions["quantize"] = "int8-weight-only";
  llvm::json::Array overrides;
  for (const std::string &o : options.overrides)
    overrides.push_back(o);
  compileOptions["overrides"] = std::move(overrides);
  ArtifactSources sources;
  sources.description = descriptionText;
  sources.target = options.target;
  sources.compileOptions.clear();
  llvm::raw_string_ostream(sources.compileOptions)
      << llvm::json::Value(std::move(compileOptions));
  // A pipeline-parallel module holds one program per stage: each is
  // planned and emitted on its own and nested in the artifact.
  auto emitProgram = [&](ModuleOp program) -> FailureOr<std::vector<uint8_t>> {
    FailureOr<PlannedProgram> planned = planProgram(program);
    if (failed(planned))
      return failure();
    return emitArtifact(*planned->module, planned->assignment, planned->plan,
                        sources);
  };
  FailureOr<std::vector<uint8_t>> bytes;
  SmallVector<ModuleOp> stages = pipeline::pipelineStages(module);
  if (stages.empty()) {
    bytes = emitProgram(module);
  } else {
    sources.modelName = module.getName() ? module.getName()->str() : "model";
    std::vector<std::vector<uint8_t>> stageBytes;
    for (ModuleOp stage : stages) {
      FailureOr<std::vector<uint8_t>> stageArtifact = emitProgram(stage);
      if (failed(stageArtifact))
        return 1;
      stageBytes.push_back(std::move(*stageArtifact));
    }
    bytes = emitPipelineArtifact(module, stageBytes, sources);
  }
  if (failed(bytes))
    return 1;
  std::string error;
  auto output = openOutputFile(options.outputPath, &error);
  if (!output) {
    llvm::WithColor::error(llvm::errs(), "strata-compile") << error << "\n";
    return 1;
  }
  output->os().write(reinterpret_cast<const char *>(bytes->data()),
                     bytes->size());
  output->keep();
  return 0;
}

/// Why |target| is not a target strata-compile knows, or nothing.
std::optional<std::string> checkTarget(llvm::StringRef target) {
  if (target == "cpu" || target == "cuda" || target == "cuda:sm_90" ||
      target == "cuda:sm_80")
    return std::nullopt;
  return "unknown --target '" + target.str() +
         "'; use cpu, cuda, cuda:sm_90 or cuda:sm_80";
}

} // namespace

int mlir::strata::runCompile(const CompileOptions &options) {
  auto kind = inputKindOf(options.inputPath);
  if (!kind) {
    llvm::WithColor::error(llvm::errs(), "strata-compile")
        << "cannot tell the kind of input '" << options.inputPath
        << "': expected a model description (.yaml, .yml) or a tfm module "
           "(.mlir)\n";
    return 1;
  }
  if (*kind == InputKind::Mlir && !options.overrides.empty()) {
    llvm::WithColor::error(llvm::errs(), "strata-compile")
        << "overrides such as '" << options.overrides.front()
        << "' apply to YAML model descriptions, not to '" << options.inputPath
        << "'\n";
    return 1;
  }
  if (*kind == InputKind::Mlir && options.prefillLength > 0) {
    llvm::WithColor::error(llvm::errs(), "strata-compile")
        << "--prefill-length applies to YAML model descriptions; the "
           "functions of '"
        << options.inputPath << "' have their lengths already\n";
    return 1;
  }
  if (*kind == InputKind::Mlir && options.mergeLora) {
    llvm::WithColor::error(llvm::errs(), "strata-compile")
        << "--merge-lora applies to YAML model descriptions; '"
        << options.inputPath << "' is a module already\n";
    return 1;
  }

  DefaultTimingManager disabledTiming;
  TimingScope rootTiming = options.timing ? options.timing->getRootScope()
                                          : disabledTiming.getRootScope();
  DialectRegistry registry;
  registerStrataDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Errors name the model part and the values at fault; a dump of the whole
  // module under each one would bury them.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnosticHandler(sourceMgr, &context);

  TimingScope loadTiming = rootTiming.nest(
      *kind == InputKind::Mlir ? "parse module" : "read description and emit");
  std::string descriptionText;
  OwningOpRef<ModuleOp> module =
      *kind == InputKind::Mlir
          ? loadMlir(options, context, sourceMgr)
          : loadModelDescription(options, context, descriptionText);
  loadTiming.stop();
  if (!module)
    return 1;
  TimingScope verifyTiming = rootTiming.nest("verify");
  if (failed(verify(*module))) {
    llvm::WithColor::error(llvm::errs(), "strata-compile")
        << "internal error: the module for '" << options.inputPath
        << "' does not verify (diagnostics above); please report it\n";
    return 1;
  }

  verifyTiming.stop();
  // A GPU target changes the plan (buffer alignment): the module records it
  // (the CPU, the default, leaves the IR as it was).
  if (options.target != "cpu")
    (*module)->setAttr("tfm.target",
                       StringAttr::get(&context, options.target));

  // A .mlir input may already be past some phases (its tfm.phase says
  // which); those are not run again.
  CompilePhase reached = CompilePhase::Input;
  if (auto phase = (*module)->getAttrOfType<StringAttr>("tfm.phase"))
    if (std::optional<CompilePhase> parsed = parseCompilePhase(phase))
      reached = *parsed;
  if (std::optional<CompileMode> reachedMode = modeOf(reached);
      reachedMode && *reachedMode != options.mode) {
    llvm::WithColor::error(llvm::errs(), "strata-compile")
        << "'" << options.inputPath << "' is a module of phase '"
        << toString(reached) << "' (--mode " << toString(*reachedMode)
        << "), which --mode " << toString(options.mode) << " cannot continue\n";
    return 1;
  }
  if (failed(runCompilePhases(*module, options.mode, options.compileTo,
                               reached, rootTiming, /*verifyPasses=*/true,
                               options.kvCache, options.quantization)))
    return 1;

  if (options.reportParallel) {
    TimingScope reportTiming = rootTiming.nest("parallel report");
    if (failed(printParallelReport(*module, llvm::outs())))
      return 1;
  }
  if (options.reportMemory) {
    TimingScope reportTiming = rootTiming.nest("memory plan");
    if (failed(printMemoryReport(*module, llvm::outs())))
      return 1;
  }
  if (!options.writeIR)
    return 0;

  TimingScope outputTiming = rootTiming.nest("print");
  if (llvm::StringRef(options.outputPath).ends_with(".strata"))
    return writeArtifact(options, *module, descriptionText);
  std::string error;
  auto output = openOutputFile(options.outputPath, &error);
  if (!output) {
    llvm::WithColor::error(llvm::errs(), "strata-compile") << error << "\n";
    return 1;
  }
  module->print(output->os(), OpPrintingFlags());
  output->os() << "\n";
  output->keep();
  return 0;
}

int mlir::strata::runStrataCompileMain(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::OptionCategory category("strata-compile options");

  cl::list<std::string> positional(
      cl::Positional, cl::OneOrMore, cl::cat(category),
      cl::desc("<model.yaml | module.mlir> [key.path=value ...]\n"
               "A model description with NeMo's `model:` keys, or a module "
               "in the tfm dialect. Hydra-style overrides such as "
               "model.num_layers=4 or trainer.devices=8 replace or add "
               "keys of a YAML description before it is checked"));
  cl::opt<std::string> outputPath(
      "o", cl::cat(category), cl::value_desc("file"), cl::init("-"),
      cl::desc("Where to write the result ('-' for standard output, the "
               "default)"));
  std::string phaseHelp =
      "Stop after this phase and print its IR. Phases, in order:";
  for (const CompilePhaseInfo &info : allCompilePhases()) {
    phaseHelp += "\n  " + info.name.str() + ": " + info.description.str();
    if (info.mode)
      phaseHelp += " (--mode " + toString(*info.mode).str() + ")";
  }
  phaseHelp += "\nDefault: the last phase of the mode";
  cl::opt<std::string> compileTo("compile-to", cl::cat(category),
                                 cl::value_desc("phase"), cl::desc(phaseHelp));
  cl::opt<std::string> mode(
      "mode", cl::cat(category), cl::value_desc("train|infer"),
      cl::init("train"),
      cl::desc("What to compile:\n"
               "  train: a training step (forward_backward, zero_grads, "
               "optimizer_step) and forward for evaluation (the default)\n"
               "  infer: prefill(tokens, positions) and decode(tokens, "
               "positions) -> logits over a KV cache of "
               "max_position_embeddings positions per attention layer; "
               "decode takes one token per sequence"));
  cl::opt<unsigned> prefillLength(
      "prefill-length", cl::cat(category), cl::value_desc("N"),
      cl::desc("With --mode infer: the tokens per sequence one prefill call "
               "takes (default: seq_length, at most 128); longer prompts "
               "are prefilled in chunks"));
  cl::opt<unsigned> prefillBatch(
      "prefill-batch", cl::cat(category), cl::value_desc("N"),
      cl::desc("With --mode infer and --kv-block-size: the rows of a prefill "
               "call (default: micro_batch_size, like decode). strata-serve "
               "prefills a few prompts per step beside a large decode batch, "
               "so that a prefill does not stall the sequences decoding"));
  cl::opt<unsigned> kvBlockSize(
      "kv-block-size", cl::cat(category), cl::value_desc("N"),
      cl::desc("With --mode infer: a paged KV cache (as in vLLM): each "
               "layer's caches are pools of blocks of N positions "
               "[blocks, N, groups, head_dim], and prefill and decode take "
               "a block_table [batch, W] i32 after positions (W = "
               "ceil(max_position_embeddings / N)); position t of row b is "
               "row t % N of block block_table[b, t / N] (default: one "
               "[batch, max_position_embeddings] cache per layer)"));
  cl::opt<unsigned> kvBlocks(
      "kv-blocks", cl::cat(category), cl::value_desc("M"),
      cl::desc("With --kv-block-size: blocks in each layer's pool (default: "
               "batch x W, so every row fits its full context)"));
  cl::opt<bool> mergeLora(
      "merge-lora", cl::cat(category),
      cl::desc("With --mode infer: no LoRA ops; each targeted projection "
               "receives W + (alpha / adapter_dim) * linear_out linear_in "
               "from the checkpoint when it loads (default: the adapters run "
               "beside the projections)"));
  cl::opt<std::string> quantize(
      "quantize", cl::cat(category), cl::value_desc("scheme"),
      cl::desc("With --mode infer: store weights quantized. The one scheme, "
               "int8-weight-only: the linear layers' weights and the token "
               "embedding (tied to the output layer) as int8 with an f32 "
               "scale per output channel (max |w| / 127), quantized from "
               "the f32/bf16 checkpoint as it loads; matmuls and lookups "
               "dequantize on the fly. Norms, biases and position "
               "embeddings keep the model's type"));
  cl::opt<std::string> target(
      "target", cl::cat(category), cl::value_desc("device"), cl::init("cpu"),
      cl::desc("The device the artifact runs on, recorded in it (strata-run "
               "refuses it on another kind of device): cpu (the default), or "
               "cuda, cuda:sm_90, cuda:sm_80 (NVIDIA GPUs; the CUDA runtime "
               "backend is not built yet)"));
  cl::opt<unsigned> tp("tp", cl::cat(category), cl::value_desc("N"),
                       cl::desc("Tensor-parallel size; the same as the "
                                "override model.tensor_model_parallel_size=N"));
  cl::opt<unsigned> pp("pp", cl::cat(category), cl::value_desc("N"),
                       cl::desc("Pipeline-parallel size; the same as "
                                "model.pipeline_model_parallel_size=N"));
  cl::opt<bool> sp("sp", cl::cat(category),
                   cl::desc("Sequence parallelism; the same as "
                            "model.sequence_parallel=true"));
  cl::opt<bool> distributedOptimizer(
      "distributed-optimizer", cl::cat(category),
      cl::desc("The distributed optimizer (ZeRO stage 1): each data-parallel "
               "rank keeps the AdamW state of 1/dp of every parameter; the "
               "same as model.optim.name=distributed_fused_adam"));
  cl::opt<std::string> report(
      "report", cl::cat(category), cl::value_desc("kind"),
      cl::desc(
          "Print a report to standard output instead of the IR (the IR "
          "is still written when -o names a file). Kinds:\n"
          "  memory: the static memory plan's arena size and peak bytes "
          "by category (parameters, gradients, optimizer state, "
          "activations, workspace, inputs, outputs), the activation sum "
          "without reuse and the lower bound; under pipeline parallelism one "
          "plan per stage, its stash of saved values per chunk\n"
          "  parallel: the device mesh; per rank its coordinates, "
          "pipeline stage, layers, parameter bytes, peak memory by "
          "category (the pipeline stash among them); the collectives of one "
          "training step with their "
          "payload and the bytes each rank sends"));
  cl::opt<bool> verbose(
      "verbose", cl::cat(category),
      cl::desc("Also list the keys that are accepted but not used by the "
               "compiler yet"));
  cl::alias verboseShort("v", cl::aliasopt(verbose), cl::cat(category),
                         cl::desc("Alias for --verbose"));

  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerDefaultTimingManagerCLOptions();
  // libLLVM registers hundreds of backend flags; show only ours and the
  // MLIR flags that matter when reading IR or timing a compile.
  cl::OptionCategory irCategory("IR printing and timing options");
  auto &registered = cl::getRegisteredOptions();
  for (llvm::StringRef name :
       {"mlir-print-debuginfo", "mlir-pretty-debuginfo",
        "mlir-print-op-generic", "mlir-print-local-scope",
        "mlir-elide-elementsattrs-if-larger", "mlir-timing",
        "mlir-timing-display"})
    if (cl::Option *option = registered.lookup(name))
      option->addCategory(irCategory);
  cl::HideUnrelatedOptions({&category, &irCategory});
  cl::SetVersionPrinter(
      [](llvm::raw_ostream &os) { os << "strata-compile (Strata) 0.1.0\n"; });
  cl::ParseCommandLineOptions(
      argc, argv,
      "strata-compile: compiles a transformer model description into "
      "Strata's IR\n\n"
      "  strata-compile examples/gpt2-124m.yaml --compile-to=input\n"
      "  strata-compile model.yaml model.num_layers=2 -o model.mlir\n"
      "  strata-compile model.yaml --mode infer -o model.strata\n");

  CompileOptions options;
  options.inputPath = positional.front();
  for (size_t i = 1; i < positional.size(); ++i) {
    if (!llvm::StringRef(positional[i]).contains('=')) {
      llvm::WithColor::error(llvm::errs(), "strata-compile")
          << "unexpected argument '" << positional[i]
          << "': give one input file, then overrides as key.path=value\n";
      return 1;
    }
    options.overrides.push_back(positional[i]);
  }
  if (tp.getNumOccurrences())
    options.overrides.push_back("model.tensor_model_parallel_size=" +
                                std::to_string(tp));
  if (pp.getNumOccurrences())
    options.overrides.push_back("model.pipeline_model_parallel_size=" +
                                std::to_string(pp));
  if (sp)
    options.overrides.push_back("model.sequence_parallel=true");
  if (distributedOptimizer)
    options.overrides.push_back("model.optim.name=distributed_fused_adam");
  std::optional<CompileMode> parsedMode = parseCompileMode(mode);
  if (!parsedMode) {
    llvm::WithColor::error(llvm::errs(), "strata-compile")
        << "unknown mode '" << mode
        << "' for --mode; expected train or infer\n";
    return 1;
  }
  options.mode = *parsedMode;
  std::optional<CompilePhase> phase =
      compileTo.getNumOccurrences()
          ? parseCompilePhase(compileTo)
          : std::optional(compilePhasesOf(options.mode).back().phase);
  if (!phase) {
    std::vector<std::string> names;
    for (const CompilePhaseInfo &info : allCompilePhases())
      names.push_back(info.name.str());
    llvm::WithColor::error(llvm::errs(), "strata-compile")
        << "unknown phase '" << compileTo
        << "' for --compile-to; expected one of: " << llvm::join(names, ", ")
        << "\n";
    return 1;
  }
  if (std::optional<CompileMode> phaseMode = modeOf(*phase);
      phaseMode && *phaseMode != options.mode) {
    // --compile-to=inference alone implies --mode infer.
    if (mode.getNumOccurrences()) {
      llvm::WithColor::error(llvm::errs(), "strata-compile")
          << "phase '" << compileTo << "' belongs to --mode "
          << toString(*phaseMode) << ", not --mode " << mode << "\n";
      return 1;
    }
    options.mode = *phaseMode;
  }
  options.compileTo = *phase;
  if (prefillLength.getNumOccurrences()) {
    if (options.mode != CompileMode::Infer) {
      llvm::WithColor::error(llvm::errs(), "strata-compile")
          << "--prefill-length applies to --mode infer\n";
      return 1;
    }
    if (prefillLength == 0) {
      llvm::WithColor::error(llvm::errs(), "strata-compile")
          << "--prefill-length must be at least 1\n";
      return 1;
    }
    options.prefillLength = prefillLength;
  }
  if (kvBlockSize.getNumOccurrences() || kvBlocks.getNumOccurrences()) {
    if (options.mode != CompileMode::Infer) {
      llvm::WithColor::error(llvm::errs(), "strata-compile")
          << "--kv-block-size and --kv-blocks apply to --mode infer\n";
      return 1;
    }
    if (!kvBlockSize.getNumOccurrences() || kvBlockSize == 0) {
      llvm::WithColor::error(llvm::errs(), "strata-compile")
          << (kvBlockSize.getNumOccurrences()
                  ? "--kv-block-size must be at least 1\n"
                  : "--kv-blocks needs --kv-block-size (the positions per "
                    "block)\n");
      return 1;
    }
    if (kvBlocks.getNumOccurrences() && kvBlocks == 0) {
      llvm::WithColor::error(llvm::errs(), "strata-compile")
          << "--kv-blocks must be at least 1\n";
      return 1;
    }
    options.kvCache.blockSize = kvBlockSize;
    options.kvCache.numBlocks = kvBlocks;
  }
  if (prefillBatch.getNumOccurrences()) {
    if (options.mode != CompileMode::Infer || options.kvCache.blockSize == 0) {
      llvm::WithColor::error(llvm::errs(), "strata-compile")
          << "--prefill-batch applies to --mode infer with --kv-block-size "
             "(a per-row cache ties prefill and decode to one batch)\n";
      return 1;
    }
    if (prefillBatch == 0) {
      llvm::WithColor::error(llvm::errs(), "strata-compile")
          << "--prefill-batch must be at least 1\n";
      return 1;
    }
    options.prefillBatch = prefillBatch;
  }
  if (mergeLora) {
    if (options.mode != CompileMode::Infer) {
      llvm::WithColor::error(llvm::errs(), "strata-compile")
          << "--merge-lora applies to --mode infer (training keeps the "
             "adapters separate: they are what it trains)\n";
      return 1;
    }
    options.mergeLora = true;
  }
  if (quantize.getNumOccurrences()) {
    if (options.mode != CompileMode::Infer) {
      llvm::WithColor::error(llvm::errs(), "strata-compile")
          << "--quantize applies to --mode infer (training updates the "
             "weights in their own type)\n";
      return 1;
    }
    if (quantize != "int8-weight-only") {
      llvm::WithColor::error(llvm::errs(), "strata-compile")
          << "--quantize=" << quantize
          << " is not a quantization scheme (supported: int8-weight-only)\n";
      return 1;
    }
    options.quantization = Quantization::Int8WeightOnly;
  }
  if (std::optional<std::string> error = checkTarget(target)) {
    llvm::WithColor::error(llvm::errs(), "strata-compile") << *error << "\n";
    return 1;
  }
  options.target = target;
  options.outputPath = outputPath;
  if (report.getNumOccurrences()) {
    if (report != "memory" && report != "parallel") {
      llvm::WithColor::error(llvm::errs(), "strata-compile")
          << "unknown report '" << report << "'; expected: memory, parallel\n";
      return 1;
    }
    options.reportMemory = report == "memory";
    options.reportParallel = report == "parallel";
    options.writeIR = outputPath.getNumOccurrences() > 0;
  }
  options.verbose = verbose;
  DefaultTimingManager timing;
  applyDefaultTimingManagerCLOptions(timing);
  options.timing = &timing;
  return runCompile(options);
}

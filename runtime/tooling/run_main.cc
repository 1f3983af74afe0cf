//===- run_main.cc - the strata-run command line --------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/run_main.h"

#include "runtime/artifact/artifact_loader.h"
#include "runtime/backends/registry.h"
#include "runtime/executor/executor.h"
#include "runtime/support/host_memory_policy.h"
#include "runtime/tooling/calibrate_command.h"
#include "runtime/tooling/export_command.h"
#include "runtime/tooling/generate_command.h"
#include "runtime/tooling/inspect.h"
#include "runtime/tooling/numerics_commands.h"
#include "runtime/tooling/prompt_tables_command.h"
#include "runtime/tooling/rank_setup.h"
#include "runtime/tooling/training_command.h"
#include "runtime/tooling/tune_gemms_command.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>

namespace strata::runtime {

namespace {

/// The options eval, grad and train share.
void addNumericsOptions(CLI::App *command, NumericsOptions &o, bool outRequired,
                        bool tokensRequired = true) {
  command->add_option("artifact", o.artifact, "The .strata file")->required();
  command
      ->add_option("--checkpoint", o.checkpoint,
                   "Hugging Face checkpoint with the parameters (GPT-2 or "
                   "Llama names; `transformer.`-prefixed state dicts load "
                   "too): a safetensors file, a sharded checkpoint's "
                   "model.safetensors.index.json, a save_pretrained "
                   "directory, or a training checkpoint's directory "
                   "(<checkpoint-dir>/step-N); for a model with adapters "
                   "also an adapter checkpoint of `strata-run train` over "
                   "its base. Without it the parameters are initialized "
                   "from --seed")
      ->check(CLI::ExistingPath);
  auto *tokens = command
                     ->add_option("--tokens", o.tokens,
                                  ".npy int32/int64 token batch [rows, seq + "
                                  "1]: inputs T[:, :-1], targets T[:, 1:]")
                     ->check(CLI::ExistingFile);
  if (tokensRequired)
    tokens->required();
  command
      ->add_option("--labels", o.labels,
                   ".npy int32 labels [rows, seq] (-1: ignored); then "
                   "--tokens is [rows, seq], the inputs as they are")
      ->check(CLI::ExistingFile);
  command
      ->add_option("--virtual-tokens", o.virtualTokens,
                   ".npy int32 [rows, seq]: per position -1 (a real token) "
                   "or its global virtual row (a prompt-learning model; "
                   "needs --labels)")
      ->check(CLI::ExistingFile);
  command
      ->add_option("--seed", o.seed,
                   "Seed of the parameter initialization (without "
                   "--checkpoint)")
      ->default_val(1234);
  command
      ->add_option("--threads", o.threads,
                   "Kernel threads (0: OMP_NUM_THREADS or every core)")
      ->default_val(0)
      ->check(CLI::NonNegativeNumber);
  command->add_flag("--profile", o.profile,
                    "Print the time spent in each kernel at the end");
  auto *out = command->add_option("--out", o.out,
                                  "Output safetensors file (written "
                                  "atomically)");
  if (outRequired)
    out->required();
}

int fail(const Status &status) {
  RankSetup &ranks = rankSetup();
  // One write per message: ranks printing at once do not interleave.
  std::string line = "strata-run: error";
  if (ranks.worldSize() > 1)
    line += " (rank " + std::to_string(ranks.worldRank()) + " of " +
            std::to_string(ranks.worldSize()) + ")";
  line += ": " + status.message() + "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  // The other ranks would wait for this one forever: end the job.
  if (ranks.worldSize() > 1)
    ranks.abortJob(1);
  return 1;
}

} // namespace

int runStrataRunMain(int argc, char **argv) {
  CLI::App app{"strata-run: loads a compiled Strata artifact (.strata) and "
               "runs it"};
  app.footer(
      "An artifact compiled for several ranks (strata-compile --tp/--sp, "
      "trainer.devices) runs under\n  mpirun -np <ranks> strata-run ...\n"
      "Every rank runs the command; the first prints and writes the files; a "
      "rank that fails ends the job.\nEnvironment: STRATA_COMM_TIMEOUT_S "
      "(default 300): seconds any transfer between ranks may take before the "
      "job gives up; OMP_NUM_THREADS: kernel threads when --threads is 0; "
      "STRATA_GEMM_TUNING=off: --device cuda keeps cuBLASLt's heuristic "
      "GEMM algorithms (no autotuning, no --gemm-cache file; for A/B "
      "measurements); STRATA_GEMM_CACHE: the default --gemm-cache.");
  app.require_subcommand(1);
  app.set_version_flag("--version", "strata-run (Strata) 0.1.0");
  // Before or after the command's name: every command runs on it.
  app.fallthrough();
  std::string device = "cpu";
  CLI::Option *deviceOption =
      app.add_option(
             "--device", device,
             "The device every command runs on: " + registeredBackendNames() +
                 " (an artifact runs on the kind of device it was "
                 "compiled for: strata-compile --target)")
          ->capture_default_str();
  std::string gemmCache;
  app.add_option("--gemm-cache", gemmCache,
                 "GEMM autotuning's cache file (--device cuda): the fastest "
                 "cuBLASLt algorithm of each GEMM, per GPU and cuBLASLt "
                 "version, timed once (tune-gemms, or a GEMM's first run) and "
                 "read by later runs (default: $STRATA_GEMM_CACHE, else "
                 "$XDG_CACHE_HOME/strata/gemm-tuning.txt, else "
                 "~/.cache/strata/gemm-tuning.txt)");

  std::string inspectPath;
  CLI::App *inspect = app.add_subcommand(
      "inspect", "Check an artifact (every buffer, parameter and "
                 "instruction) and print what it holds");
  inspect->add_option("artifact", inspectPath, "The .strata file")->required();
  bool allocate = false;
  inspect->add_flag("--allocate", allocate,
                    "Also prepare every instruction for the CPU executor "
                    "(shape and type checks) and allocate its arena and "
                    "scratch space, and print their sizes");

  NumericsOptions evalOptions, gradOptions, trainOptions;
  CLI::App *eval = app.add_subcommand(
      "eval", "Logits [rows, seq, vocab] and the mean loss of a token batch, "
              "written to --out as `logits` and `loss` (no dropout)");
  addNumericsOptions(eval, evalOptions, true);
  CLI::App *grad = app.add_subcommand(
      "grad", "The mean loss and the gradient of every trainable parameter, "
              "written to --out as `loss` and `grad.<Hugging Face name>` (no "
              "dropout)");
  addNumericsOptions(grad, gradOptions, true);
  for (auto [command, options] :
       {std::pair{eval, &evalOptions}, std::pair{grad, &gradOptions}})
    command
        ->add_option("--base-checkpoint", options->baseCheckpoint,
                     "An adapter checkpoint's frozen base (default: the "
                     "path its training recorded, the description's "
                     "language_model_path)")
        ->check(CLI::ExistingPath);

  TrainOptions train;
  DataTrainingOptions dataTraining;
  CLI::App *trainCommand = app.add_subcommand(
      "train",
      "Train. With --data: the training loop on a text corpus (warm-up and "
      "decay, validation, checkpoints, --resume). With --tokens: the "
      "numerics interface, AdamW steps on the rows of T in order (one "
      "global batch per step, constant learning rate, no dropout), "
      "parameters to --save, per-step losses to --out");
  addNumericsOptions(trainCommand, trainOptions, false,
                     /*tokensRequired=*/false);
  auto *data = trainCommand->add_option(
      "--data", dataTraining.data,
      "Text file, directory of .txt files, or token file to train on "
      "(tokenized once and cached); for a prompt-learning artifact, NeMo's "
      "JSON-lines examples (one object per line: taskname and the "
      "template's fields)");
  trainCommand
      ->add_option("--validation-data", dataTraining.validationData,
                   "Prompt-learning artifacts: the validation examples "
                   "(JSON lines, as --data); the validation loss is "
                   "reported per task, and at step 0 for the frozen base")
      ->check(CLI::ExistingFile);
  trainCommand->add_option(
      "--base-checkpoint", dataTraining.baseCheckpoint,
      "Models with adapters (prompt tuning, p-tuning, LoRA): the frozen "
      "base model, a Hugging Face safetensors file or a checkpoint "
      "directory (default: the description's model.language_model_path); "
      "checkpoints then hold only the adapters and the base's identity");
  trainCommand->get_option("--tokens")->excludes(data);
  // Hyperparameters: each flag overrides the description's value
  // (model.optim, trainer), which overrides the built-in default
  // (training_config.h); --print-config shows the outcome.
  training::TrainingFlags flagValues;
  int64_t steps = 0, warmupSteps = 0, constantSteps = 0, scheduleSteps = 0,
          evalEvery = 0, evalSteps = 0, logEvery = 0;
  double lr = 0, minLr = 0, warmupRatio = 0, beta1 = 0, beta2 = 0, eps = 0,
         weightDecayValue = 0, clipGrad = 0;
  std::string lrSchedule;
  auto *stepsOption =
      trainCommand
          ->add_option("--steps", steps,
                       "Optimizer steps (default: the description's "
                       "trainer.max_steps)")
          ->check(CLI::PositiveNumber);
  auto *lrOption = trainCommand->add_option(
      "--lr", lr,
      "Learning rate, the peak of the schedule with --data (default: "
      "optim.lr, else 6e-4)");
  auto *weightDecay = trainCommand->add_option(
      "--weight-decay", weightDecayValue,
      "Decoupled weight decay on matrices and embeddings (default: "
      "optim.weight_decay, else 0 with --tokens, 0.1 with --data)");
  auto *beta1Option = trainCommand->add_option(
      "--beta1", beta1, "AdamW beta1 (default: optim.betas[0], else 0.9)");
  auto *beta2Option = trainCommand->add_option(
      "--beta2", beta2, "AdamW beta2 (default: optim.betas[1], else 0.999)");
  auto *epsOption = trainCommand->add_option(
      "--eps", eps, "AdamW epsilon (default: optim.eps, else 1e-8)");
  auto *clipOption =
      trainCommand
          ->add_option("--clip-grad", clipGrad,
                       "Clip the global gradient norm to this value (0: no "
                       "clipping; default: trainer.gradient_clip_val, else 0)")
          ->check(CLI::NonNegativeNumber);
  bool printConfig = false;
  trainCommand->add_flag(
      "--print-config", printConfig,
      "Print every effective training hyperparameter and where it comes "
      "from (a flag, the description's file:line, or the built-in "
      "default), then exit");
  trainCommand
      ->add_option("--min-loss-scale", train.minLossScale,
                   "f16 programs: the floor of the dynamic loss scale (it "
                   "starts at the model's native_amp_init_scale, halves after "
                   "`hysteresis` overflowing steps and doubles after "
                   "native_amp_growth_interval clean ones); a step that "
                   "overflows at the floor ends the run with an error")
      ->default_val(1.0)
      ->check(CLI::PositiveNumber);
  trainCommand->add_option("--save", train.save,
                           "--tokens: where to write the parameters after "
                           "the last step (Hugging Face safetensors)");
  // The training loop's flags (with --data).
  training::TrainingOptions &loop = dataTraining.loop;
  trainCommand->add_option("--batch-size", loop.globalBatch,
                           "Global batch in sequences per step, a multiple "
                           "of the micro-batch (default: the artifact's "
                           "global_batch_size)");
  trainCommand->add_option("--micro-batch-size", dataTraining.microBatchSize,
                           "Checked against the artifact's micro_batch_size "
                           "(compiled in)");
  trainCommand->add_option("--seq-len", dataTraining.seqLength,
                           "Checked against the artifact's sequence length "
                           "(compiled in)");
  auto *minLrOption = trainCommand->add_option(
      "--min-lr", minLr,
      "Learning rate at the end of the decay (default: optim.sched.min_lr, "
      "else 0)");
  auto *warmupOption = trainCommand->add_option(
      "--warmup-steps", warmupSteps,
      "Warm-up steps from 0 to --lr (default: optim.sched.warmup_steps or "
      "warmup_ratio, else 0)");
  auto *warmupRatioOption = trainCommand->add_option(
      "--warmup-ratio", warmupRatio,
      "Warm-up as a fraction of the schedule's steps (NeMo's warmup_ratio)");
  auto *constantOption = trainCommand->add_option(
      "--constant-steps", constantSteps,
      "CosineAnnealing: steps at --min-lr at the end of the schedule "
      "(default: optim.sched.constant_steps, else 0)");
  auto *scheduleStepsOption =
      trainCommand
          ->add_option("--schedule-steps", scheduleSteps,
                       "Length of the schedule (default: "
                       "optim.sched.max_steps, else the run's --steps)")
          ->check(CLI::PositiveNumber);
  auto *scheduleOption = trainCommand->add_option(
      "--lr-schedule", lrSchedule,
      "NeMo's scheduler: CosineAnnealing (or cosine), WarmupAnnealing (or "
      "linear), WarmupPolicy or constant (default: optim.sched.name, else "
      "CosineAnnealing)");
  auto *evalEveryOption = trainCommand->add_option(
      "--eval-every", evalEvery,
      "Validation loss every N steps and at the end (0: never; default: "
      "trainer.val_check_interval, else 0)");
  auto *evalStepsOption = trainCommand->add_option(
      "--eval-steps", evalSteps,
      "Validation micro-batches per evaluation, per task for prompt-learning "
      "data (default: trainer.limit_val_batches, else 8)");
  trainCommand
      ->add_option("--sample-every", loop.sampleEvery,
                   "Print a text sample every N steps (0: never)")
      ->default_val(0);
  trainCommand
      ->add_option("--sample-prompt", dataTraining.samplePrompt,
                   "The text --sample-every continues (temperature "
                   "0.8, top-k 40)")
      ->default_val("The");
  trainCommand
      ->add_option("--sample-tokens", dataTraining.sampleTokens,
                   "Tokens per sample")
      ->default_val(32);
  trainCommand->add_option("--checkpoint-dir", loop.checkpointDir,
                           "Directory of training checkpoints (step-N/); "
                           "the last step is always saved there");
  trainCommand
      ->add_option("--save-every", loop.saveEvery,
                   "Save a checkpoint every N steps (0: only at the "
                   "end)")
      ->default_val(0);
  trainCommand
      ->add_option("--keep-last", loop.keepLast,
                   "Keep the N newest checkpoints (0: all)")
      ->default_val(3);
  trainCommand->add_flag("--resume", loop.resume,
                         "Continue from the newest checkpoint in "
                         "--checkpoint-dir (bitwise the same losses as an "
                         "uninterrupted run)");
  trainCommand
      ->add_option("--val-fraction", dataTraining.validationFraction,
                   "Fraction of the corpus held out for validation")
      ->default_val(0.05);
  trainCommand->add_option("--tokenizer", dataTraining.tokenizer,
                           "Directory with GPT-2's encoder.json and "
                           "vocab.bpe (default: $STRATA_TOKENIZER_DIR or "
                           "the bundled one)");
  trainCommand->add_option("--cache-dir", dataTraining.cacheDir,
                           "Where tokenized corpora are cached (default: "
                           "$STRATA_CACHE_DIR or ~/.cache/strata)");
  trainCommand->add_option("--metrics", loop.metricsPath,
                           "JSON-lines metrics file (default: "
                           "<checkpoint-dir>/metrics.jsonl)");
  auto *logEveryOption = trainCommand->add_option(
      "--log-every", logEvery,
      "Off a terminal, print a line every N steps (default: "
      "trainer.log_every_n_steps, else 10)");

  GenerateOptions generate;
  CLI::App *generateCommand = app.add_subcommand(
      "generate", "Continue prompts with an inference artifact "
                  "(strata-compile --mode infer) and a trained checkpoint: "
                  "greedy or sampled, several prompts batched, stopping at "
                  "<|endoftext|>; streams on a terminal. A prompt-learning "
                  "model takes requests (--task with --field, or "
                  "--requests) instead of --prompt");
  generateCommand->add_option("artifact", generate.artifact, "The .strata file")
      ->required();
  generateCommand
      ->add_option("--checkpoint", generate.checkpoint,
                   "Parameters: a Hugging Face safetensors file, a "
                   "sharded checkpoint's model.safetensors.index.json, a "
                   "save_pretrained directory, or a training checkpoint's "
                   "directory (e.g. "
                   "<checkpoint-dir>/step-N); for a model with adapters "
                   "either the whole model (adapters under their Strata "
                   "names) or an adapter checkpoint of `strata-run train` "
                   "over its base (--base-checkpoint)")
      ->required()
      ->check(CLI::ExistingPath);
  generateCommand
      ->add_option("--base-checkpoint", generate.baseCheckpoint,
                   "An adapter checkpoint's frozen base (default: the "
                   "description's model.language_model_path); loading "
                   "adapters trained on another base is an error")
      ->check(CLI::ExistingPath);
  generateCommand->add_option("--prompt", generate.inputs.prompts,
                              "Prompt text (repeat for several prompts)");
  generateCommand
      ->add_option("--prompt-file", generate.inputs.promptFile,
                   "One prompt per line (\\n spells a newline)")
      ->check(CLI::ExistingFile);
  generateCommand->add_option(
      "--task", generate.inputs.task,
      "A prompt-learning model's task (strata-run inspect lists them): one "
      "request, its template filled in by --field up to the answer");
  generateCommand->add_option(
      "--field", generate.inputs.fields,
      "NAME=VALUE: a field of --task's template, e.g. --field "
      "context=\"Call me Ishmael.\" (repeat for each field but the "
      "answer)");
  generateCommand
      ->add_option("--requests", generate.inputs.requests,
                   "A prompt-learning model's requests, NeMo's JSON lines: "
                   "one object per line with \"taskname\" and the "
                   "template's fields (the answer, if given, is ignored); "
                   "rows of different tasks share batches")
      ->check(CLI::ExistingFile);
  generateCommand
      ->add_option("--max-new-tokens", generate.generation.maxNewTokens,
                   "Tokens to generate per prompt at most")
      ->default_val(64);
  generateCommand
      ->add_option("--temperature", generate.generation.sampling.temperature,
                   "0: greedy; otherwise sample from softmax(logits / T)")
      ->default_val(0.8);
  generateCommand
      ->add_option("--top-k", generate.generation.sampling.topK,
                   "Sample among the k most likely tokens (0: all)")
      ->default_val(0);
  generateCommand
      ->add_option("--top-p", generate.generation.sampling.topP,
                   "Sample among the most likely tokens up to this "
                   "probability mass (1: all)")
      ->default_val(1.0);
  generateCommand
      ->add_option("--seed", generate.generation.sampling.seed,
                   "Seed of the sampling")
      ->default_val(0);
  generateCommand
      ->add_option("--batch", generate.batch,
                   "Prompts generated together (at most the artifact's "
                   "micro_batch_size; 0: that)")
      ->default_val(0);
  generateCommand->add_option("--tokenizer", generate.tokenizer,
                              "Directory with GPT-2's encoder.json and "
                              "vocab.bpe (default: the bundled one)");
  generateCommand
      ->add_option("--threads", generate.threads,
                   "Kernel threads (0: OMP_NUM_THREADS or every "
                   "core)")
      ->default_val(0);
  generateCommand->add_flag("--print-ids", generate.printIds,
                            "Also print the prompt's and the generated "
                            "token ids");
  generateCommand->add_flag("--timing", generate.timing,
                            "Print time to first token and decode speed");
  generateCommand->add_flag("--profile", generate.profile,
                            "Print the time spent in each kernel at the end");

  ExportOptions exportOptions;
  CLI::App *exportCommand = app.add_subcommand(
      "export", "Write a checkpoint's parameters alone (no optimizer state) "
                "in f32, bf16 or f16: one Hugging Face safetensors file, or "
                "with --format hf a directory transformers loads "
                "(config.json, model.safetensors or shards with "
                "model.safetensors.index.json); a mixed-precision O2 run "
                "exports its f32 main parameters");
  exportCommand
      ->add_option("artifact", exportOptions.artifact,
                   "The training artifact the checkpoint was saved from")
      ->required();
  exportCommand
      ->add_option("--from", exportOptions.checkpoint,
                   "The checkpoint: a step-N directory of --checkpoint-dir, "
                   "or a model checkpoint (safetensors file, "
                   "model.safetensors.index.json, or a directory holding "
                   "either)")
      ->required()
      ->check(CLI::ExistingPath);
  exportCommand
      ->add_option("--dtype", exportOptions.dtype,
                   "Element type of the export: f32, bf16 or f16")
      ->capture_default_str();
  exportCommand
      ->add_option("--format", exportOptions.format,
                   "safetensors: one file at --out; hf: a directory at --out "
                   "as transformers' save_pretrained writes it")
      ->capture_default_str();
  exportCommand->add_option(
      "--max-shard-size", exportOptions.maxShardSize,
      "--format hf: the largest safetensors file, as transformers spells it "
      "(5GB, 200MB, 2GiB, or bytes); more tensors than that are sharded "
      "(default 5GB)");
  exportCommand
      ->add_option("--out", exportOptions.out,
                   "Output safetensors file, or directory with --format hf "
                   "(created if missing; its files appear only once all are "
                   "written)")
      ->required();

  PromptTablesOptions promptTables;
  CLI::App *promptTablesCommand = app.add_subcommand(
      "prompt-tables",
      "Add p-tuning's tables (prompt_table.<task>.weight, each task's prompt "
      "encoder output) to a checkpoint saved without them, as every "
      "checkpoint has since artifact format 0.13; an inference artifact of "
      "p-tuning reads the tables instead of the encoders");
  promptTablesCommand
      ->add_option("artifact", promptTables.artifact,
                   "The p-tuning model compiled for training")
      ->required();
  promptTablesCommand
      ->add_option("--checkpoint", promptTables.checkpoint,
                   "The checkpoint: the whole model, or an adapter "
                   "checkpoint (file or step-N directory)")
      ->required();
  promptTablesCommand->add_option(
      "--base-checkpoint", promptTables.baseCheckpoint,
      "An adapter checkpoint's base model (default: the description's "
      "language_model_path)");
  promptTablesCommand
      ->add_option("--out", promptTables.out,
                   "Output safetensors file: the checkpoint's tensors and "
                   "metadata plus the tables (written atomically)")
      ->required();

  TuneGemmsOptions tuneGemms;
  CLI::App *tuneGemmsCommand = app.add_subcommand(
      "tune-gemms",
      "GEMM autotuning ahead of time: time cuBLASLt's candidate algorithms "
      "for every distinct GEMM of the artifact (type, shape, layouts, operand "
      "alignments) on the GPU, keep the fastest in the --gemm-cache file "
      "(runs read it instead of tuning on their first steps) and print the "
      "heuristic's and the tuned times. Runs on --device cuda unless "
      "--device names another");
  tuneGemmsCommand
      ->add_option("artifact", tuneGemms.artifact, "The .strata file")
      ->required();
  tuneGemmsCommand
      ->add_option("--reps", tuneGemms.reps,
                   "Timed calls per candidate algorithm (after 2 warm-up "
                   "calls)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  tuneGemmsCommand->add_flag("--list", tuneGemms.list,
                             "Only list the distinct GEMMs and the "
                             "instructions that run them (no device needed)");

  CalibrateOptions calibrate;
  CLI::App *calibrateCommand = app.add_subcommand(
      "calibrate",
      "Time kernels at given shapes (GEMMs, attention, cross-entropy, "
      "elementwise) on --device and, under mpirun, all-reduces between the "
      "ranks; write the profile strata-tune's cost model reads. strata-tune "
      "calibrate writes the shapes of a model and runs this "
      "(docs/tuning.md)");
  calibrateCommand
      ->add_option("--shapes", calibrate.shapes,
                   "The shapes file: one 'gemm KERNEL M N K', 'attention B S "
                   "T H G D CAUSAL', 'cross_entropy ROWS VOCAB', 'elementwise "
                   "N' or 'all_reduce BYTES' per line")
      ->required()
      ->check(CLI::ExistingFile);
  calibrateCommand
      ->add_option("--out", calibrate.out,
                   "The profile to write (JSON, written atomically by rank 0)")
      ->required();
  calibrateCommand
      ->add_option("--dtype", calibrate.dtype,
                   "Element type the kernels compute in: f32, bf16 or f16")
      ->capture_default_str();
  calibrateCommand
      ->add_option("--threads", calibrate.threads,
                   "Kernel threads (0: OMP_NUM_THREADS or every core); "
                   "strata-tune's local preset runs one per rank")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  calibrateCommand
      ->add_option("--min-seconds", calibrate.minSeconds,
                   "Time measured per shape, after one warm-up call (at least "
                   "5 calls; the median call counts)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &error) {
    return app.exit(error);
  }
  if (Status started = rankSetup().initialize(); !started.isOk())
    return fail(started);
  // After MPI_Init, which sets malloc's thresholds of its own
  // (host_memory_policy.h).
  retainFreedHostMemory();
  // tune-gemms tunes GPU GEMMs: CUDA unless --device says otherwise.
  if (*tuneGemmsCommand && deviceOption->count() == 0)
    device = "cuda";
  rankSetup().setDevice(device);
  rankSetup().setGemmCache(gemmCache);
  // Under mpirun every rank runs the command; the first one reports.
  if (!rankSetup().isFirstRank() && !std::freopen("/dev/null", "w", stdout))
    return fail(Status::internal("cannot silence the output of rank " +
                                 std::to_string(rankSetup().worldRank())));

  if (*inspect) {
    StatusOr<LoadedArtifact> loaded = loadArtifact(inspectPath);
    if (!loaded.isOk())
      return fail(loaded.status());
    printArtifactSummary(*loaded, std::cout);
    if (allocate) {
      StatusOr<Backend *> backend = rankSetup().backend(0);
      if (!backend.isOk())
        return fail(backend.status());
      StatusOr<std::unique_ptr<Executor>> executor =
          Executor::create(std::move(*loaded), **backend);
      if (!executor.isOk())
        return fail(executor.status());
      std::cout << "executor\n  arena          " << (*executor)->arenaBytes()
                << " bytes\n  scratch        " << (*executor)->scratchBytes()
                << " bytes\n";
    }
    return 0;
  }
  if (*trainCommand) {
    auto given = [](CLI::Option *option, auto value) {
      return option->count() > 0 ? std::optional(value) : std::nullopt;
    };
    flagValues.steps = given(stepsOption, steps);
    flagValues.lr = given(lrOption, lr);
    flagValues.weightDecay = given(weightDecay, weightDecayValue);
    flagValues.beta1 = given(beta1Option, beta1);
    flagValues.beta2 = given(beta2Option, beta2);
    flagValues.eps = given(epsOption, eps);
    flagValues.clipGrad = given(clipOption, clipGrad);
    flagValues.minLr = given(minLrOption, minLr);
    flagValues.warmupSteps = given(warmupOption, warmupSteps);
    flagValues.warmupRatio = given(warmupRatioOption, warmupRatio);
    flagValues.constantSteps = given(constantOption, constantSteps);
    flagValues.scheduleSteps = given(scheduleStepsOption, scheduleSteps);
    flagValues.lrSchedule = given(scheduleOption, lrSchedule);
    flagValues.evalEvery = given(evalEveryOption, evalEvery);
    flagValues.evalSteps = given(evalStepsOption, evalSteps);
    flagValues.logEvery = given(logEveryOption, logEvery);
  }
  Status status;
  if (*trainCommand && printConfig)
    status = runPrintTrainingConfig(
        trainOptions.artifact, flagValues,
        trainOptions.tokens.empty() ? training::TrainingMode::Loop
                                    : training::TrainingMode::Tokens);
  else if (*eval)
    status = runEvalCommand(evalOptions);
  else if (*grad)
    status = runGradCommand(gradOptions);
  else if (*generateCommand)
    status = runGenerateCommand(generate);
  else if (*exportCommand)
    status = runExportCommand(exportOptions);
  else if (*promptTablesCommand)
    status = runPromptTablesCommand(promptTables);
  else if (*tuneGemmsCommand)
    status = runTuneGemmsCommand(tuneGemms);
  else if (*calibrateCommand)
    status = runCalibrateCommand(calibrate);
  else if (!dataTraining.data.empty()) {
    dataTraining.artifact = trainOptions.artifact;
    dataTraining.checkpoint = trainOptions.checkpoint;
    dataTraining.threads = trainOptions.threads;
    dataTraining.flags = flagValues;
    loop.seed = trainOptions.seed;
    loop.minLossScale = train.minLossScale;
    status = runDataTrainingCommand(dataTraining);
  } else if (trainOptions.tokens.empty()) {
    status = Status::invalidArgument("train needs --data (a corpus) or "
                                     "--tokens (a token batch)");
  } else if (train.save.empty()) {
    status = Status::invalidArgument("train --tokens needs --save");
  } else {
    train.flags = flagValues;
    status = runTrainCommand(trainOptions, train);
  }
  if (!status.isOk())
    return fail(status);
  rankSetup().shutDown();
  return 0;
}

} // namespace strata::runtime

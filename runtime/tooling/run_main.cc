//===- run_main.cc - the strata-run command line --------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/run_main.h"

#include "runtime/artifact/artifact_loader.h"
#include "runtime/executor/executor.h"
#include "runtime/tooling/inspect.h"
#include "runtime/tooling/numerics_commands.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace strata::runtime {

namespace {

/// The options eval, grad and train share.
void addNumericsOptions(CLI::App *command, NumericsOptions &o,
                        bool outRequired) {
  command->add_option("artifact", o.artifact, "The .strata file")->required();
  command
      ->add_option("--checkpoint", o.checkpoint,
                   "Hugging Face safetensors checkpoint with the parameters "
                   "(GPT-2 or Llama names; `transformer.`-prefixed state "
                   "dicts load too). Without it the parameters are "
                   "initialized from --seed")
      ->check(CLI::ExistingFile);
  command
      ->add_option("--tokens", o.tokens,
                   ".npy int32/int64 token batch [rows, seq + 1]: inputs "
                   "T[:, :-1], targets T[:, 1:]")
      ->required()
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
  std::cerr << "strata-run: error: " << status.message() << "\n";
  return 1;
}

} // namespace

int runStrataRunMain(int argc, char **argv) {
  CLI::App app{"strata-run: loads a compiled Strata artifact (.strata) and "
               "runs it"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "strata-run (Strata) 0.1.0");

  std::string inspectPath;
  CLI::App *inspect = app.add_subcommand(
      "inspect", "Check an artifact (every buffer, parameter and "
                 "instruction) and print what it holds");
  inspect->add_option("artifact", inspectPath, "The .strata file")
      ->required();
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

  TrainOptions train;
  CLI::App *trainCommand = app.add_subcommand(
      "train", "AdamW steps on the rows of --tokens in order (one global "
               "batch per step, constant learning rate, no dropout); the "
               "parameters go to --save, the per-step losses to --out");
  addNumericsOptions(trainCommand, trainOptions, false);
  trainCommand->add_option("--steps", train.steps, "Optimizer steps")
      ->required()
      ->check(CLI::PositiveNumber);
  trainCommand->add_option("--lr", train.hyper.learningRate, "Learning rate")
      ->required();
  trainCommand
      ->add_option("--weight-decay", train.hyper.weightDecay,
                   "Decoupled weight decay (on matrices and embeddings only)")
      ->default_val(0.0);
  trainCommand->add_option("--beta1", train.hyper.beta1, "AdamW beta1")
      ->default_val(0.9);
  trainCommand->add_option("--beta2", train.hyper.beta2, "AdamW beta2")
      ->default_val(0.999);
  trainCommand->add_option("--eps", train.hyper.epsilon, "AdamW epsilon")
      ->default_val(1e-8);
  trainCommand
      ->add_option("--clip-grad", train.hyper.clipGradNorm,
                   "Clip the global gradient norm to this value (0: no "
                   "clipping)")
      ->default_val(0.0)
      ->check(CLI::NonNegativeNumber);
  trainCommand
      ->add_option("--save", train.save,
                   "Where to write the parameters after the last step "
                   "(Hugging Face safetensors)")
      ->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &error) {
    return app.exit(error);
  }

  if (*inspect) {
    StatusOr<LoadedArtifact> loaded = loadArtifact(inspectPath);
    if (!loaded.isOk())
      return fail(loaded.status());
    printArtifactSummary(*loaded, std::cout);
    if (allocate) {
      CpuDevice device;
      StatusOr<std::unique_ptr<Executor>> executor =
          Executor::create(std::move(*loaded), device);
      if (!executor.isOk())
        return fail(executor.status());
      std::cout << "executor\n  arena          " << (*executor)->arenaBytes()
                << " bytes\n  scratch        " << (*executor)->scratchBytes()
                << " bytes\n";
    }
    return 0;
  }
  Status status;
  if (*eval)
    status = runEvalCommand(evalOptions);
  else if (*grad)
    status = runGradCommand(gradOptions);
  else
    status = runTrainCommand(trainOptions, train);
  return status.isOk() ? 0 : fail(status);
}

} // namespace strata::runtime

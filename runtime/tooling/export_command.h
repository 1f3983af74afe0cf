//===- export_command.h - strata-run export ---------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A model-only export of a training checkpoint (step-N/ of
// --checkpoint-dir): the parameters as a Hugging Face safetensors file in
// f32, bf16 or f16, without the optimizer state. From a mixed-precision O2
// run an f32 export takes the f32 main parameters (the values the optimizer
// updates), not the bf16 parameters widened; a 16-bit export rounds them
// to nearest even. The vocabulary tensors keep the tokenizer's rows only
// (the artifact's vocab_size): the padding rows are dropped.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOOLING_EXPORT_COMMAND_H
#define STRATA_RUNTIME_TOOLING_EXPORT_COMMAND_H

#include "runtime/support/status.h"

#include <string>

namespace strata::runtime {

struct ExportOptions {
  /// The training artifact the checkpoint was saved from.
  std::string artifact;
  /// A checkpoint directory step-N/ (model.safetensors, trainer.safetensors).
  std::string checkpoint;
  /// f32, bf16 or f16.
  std::string dtype = "f32";
  std::string out;
};

Status runExportCommand(const ExportOptions &options);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_TOOLING_EXPORT_COMMAND_H

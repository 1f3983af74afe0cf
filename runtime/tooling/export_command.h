//===- export_command.h - strata-run export ---------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A model-only export: the parameters without the optimizer state, in f32,
// bf16 or f16, from a training checkpoint (step-N/ of --checkpoint-dir) or
// any model checkpoint strata-run loads (a Hugging Face file, index or
// directory: re-exporting converts, reshards or checks one). From a
// mixed-precision O2 run an f32 export takes the f32 main parameters (the
// values the optimizer updates), not the bf16 parameters widened; a 16-bit
// export rounds them to nearest even. The vocabulary tensors keep the
// tokenizer's rows only (the artifact's vocab_size): the padding rows are
// dropped.
//
// Two forms (docs/checkpoints.md):
//   safetensors  one Hugging Face safetensors file at --out
//   hf           a directory as transformers' save_pretrained writes it:
//                config.json, and model.safetensors or, above
//                --max-shard-size, model-0000i-of-0000n.safetensors with
//                model.safetensors.index.json; all files appear together
//                (runtime/io/checkpoint_directory.h)
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
  /// A training checkpoint step-N/ (model.safetensors, trainer.safetensors),
  /// or a model checkpoint: safetensors file, index, or directory.
  std::string checkpoint;
  /// f32, bf16 or f16.
  std::string dtype = "f32";
  /// "safetensors" (one file) or "hf" (a save_pretrained directory).
  std::string format = "safetensors";
  /// --format hf: the largest shard, as transformers spells it ("5GB");
  /// empty: 5GB.
  std::string maxShardSize;
  /// The file (safetensors) or directory (hf) to write.
  std::string out;
};

Status runExportCommand(const ExportOptions &options);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_TOOLING_EXPORT_COMMAND_H

//===- checkpoint_store.h - training checkpoints and resume -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A checkpoint directory holds one subdirectory per saved step:
//
//   <dir>/step-00000100/model.safetensors    parameters, Hugging Face names
//                                            (what eval/generate load); for
//                                            a model with adapters on a
//                                            frozen base only the adapters
//                                            and the base's identity
//                                            (adapter_parameters.h)
//   <dir>/step-00000100/trainer.safetensors  AdamW moments, and in its
//                                            metadata the step, the data
//                                            position, the dropout counter,
//                                            the seed, the model's
//                                            fingerprint and (f16) the
//                                            loss scaler's state; under
//                                            mixed precision O2 also the
//                                            F32 main parameters
//
// A save writes both files into a hidden temporary directory, fsyncs them
// and the directory, renames it to step-N and fsyncs <dir>. A crash at any
// moment leaves either the complete new checkpoint or none (a stale
// temporary directory, ignored and removed by the next save); earlier
// checkpoints are never touched until the new one is complete, and only
// then is the oldest beyond --keep-last removed. Last, <dir>/latest (a
// symbolic link, replaced atomically) points at the newest step-N, so a
// script can load <dir>/latest/model.safetensors whatever the step count.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TRAINING_CHECKPOINT_STORE_H
#define STRATA_RUNTIME_TRAINING_CHECKPOINT_STORE_H

#include "runtime/executor/adapter_parameters.h"
#include "runtime/executor/executor.h"
#include "runtime/training/loss_scaler.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata::runtime::training {

struct TrainerState {
  /// Optimizer steps completed.
  int64_t step = 0;
  /// Training samples consumed (the data position).
  int64_t samplesConsumed = 0;
  /// The executor's dropout invocation counter.
  uint64_t rngCounter = 0;
  uint64_t seed = 0;
  /// What the parameters belong to (modelFingerprint()).
  std::string model;
  /// What the data was (a fingerprint of the corpus and split).
  std::string data;
  /// f16 programs: the dynamic loss scaler (absent otherwise).
  std::optional<LossScalerState> lossScaler;
  /// Adapters trained on a frozen base: the base (checkpoints then hold
  /// the adapters only).
  std::optional<BaseModel> base;
};

/// A short text identifying the model: its name and a hash of its
/// configuration and parameter table. Resuming under another model is an
/// error naming both.
std::string modelFingerprint(const Executor &executor);

/// True when |path| is a complete training checkpoint (step-N/ with
/// model.safetensors and trainer.safetensors), not a model-only one.
bool isTrainingCheckpoint(const std::string &path);

/// Points |directory|/latest at |stepDirectory| (a step-N inside it) by a
/// relative symbolic link, replaced atomically (a new link renamed over the
/// old one). An existing |directory|/latest that is not a symbolic link is
/// left alone and reported.
Status linkLatestCheckpoint(const std::string &directory,
                            const std::string &stepDirectory);

class CheckpointStore {
public:
  /// |keepLast| > 0 keeps that many newest checkpoints; 0 keeps all.
  CheckpointStore(std::string directory, int keepLast);

  const std::string &directory() const { return directory_; }

  /// Saves the executor's parameters (and p-tuning's tables, which it
  /// computes: computePromptTables) and optimizer state with |state|.
  /// Returns the checkpoint's path.
  StatusOr<std::string> save(Executor &executor, const TrainerState &state);

  /// Complete checkpoints, oldest first.
  std::vector<std::string> list() const;
  /// The newest complete checkpoint, if any.
  std::optional<std::string> latest() const;

  /// Loads the checkpoint at |path| into |executor| and returns its state;
  /// errors name the file, and a checkpoint of another model names both
  /// fingerprints. With |base| (already loaded) the checkpoint must hold
  /// adapters trained on it.
  static StatusOr<TrainerState>
  load(Executor &executor, const std::string &path,
       const std::optional<BaseModel> &base = std::nullopt);

private:
  std::string directory_;
  int keepLast_;
};

} // namespace strata::runtime::training

#endif // STRATA_RUNTIME_TRAINING_CHECKPOINT_STORE_H

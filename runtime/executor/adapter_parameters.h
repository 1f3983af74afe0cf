//===- adapter_parameters.h - a frozen base and its adapters ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A prompt-learning artifact (docs/prompt-learning.md) trains adapters --
// prompt tables, prompt encoders, LoRA -- beside a frozen base model, so its
// parameters come from two files:
//
//  - the base: a Hugging Face checkpoint of the plain model (GPT-2 or Llama
//    names; a training checkpoint's step-N directory works too), named by
//    the description's model.language_model_path or by --base-checkpoint;
//  - the adapters: their initializers, or an adapter checkpoint, which
//    holds only the adapter parameters (Strata names) and the identity of
//    the base they were trained on.
//
// The base's identity is a hash of its tensors as the file holds them
// (names, shapes, dtypes, bytes), not of its path: a copied or renamed base
// is the same base, a retrained one is not. Loading adapters over another
// base is an error naming both, since adapters trained on one base are
// meaningless on another.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_ADAPTER_PARAMETERS_H
#define STRATA_RUNTIME_EXECUTOR_ADAPTER_PARAMETERS_H

#include "runtime/executor/executor.h"
#include "runtime/io/host_tensor.h"
#include "runtime/io/safetensors.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <string>

namespace strata::runtime {

/// The metadata of an adapter checkpoint that names its base.
inline constexpr const char *kBaseModelKey = "strata_base_model";
inline constexpr const char *kBasePathKey = "strata_base_path";

/// Whether |artifact| has adapter parameters (io::isAdapterParameter).
bool hasAdapters(const LoadedArtifact &artifact);

/// The base checkpoint |artifact|'s description names
/// (model.language_model_path, made absolute by the frontend); empty when
/// it names none.
std::string recordedBasePath(const LoadedArtifact &artifact);

/// A checkpoint as a file: a directory (a training checkpoint's step-N, a
/// save_pretrained directory) means its model.safetensors, else its
/// model.safetensors.index.json (io::resolveCheckpointPath).
std::string checkpointFile(const std::string &path);

struct BaseModel {
  /// The file the base was read from.
  std::string path;
  /// "base@<16 hex digits>": the hash of its tensors.
  std::string fingerprint;
};

/// The identity of |tensors| (Strata names) as BaseModel::fingerprint.
std::string baseFingerprint(const io::TensorMap &tensors);

/// |flag| when set, else recordedBasePath(); an error saying how to name
/// the base when both are empty.
StatusOr<std::string> resolveBasePath(const LoadedArtifact &artifact,
                                      const std::string &flag);

/// Fills every parameter from its initializer with |seed|, then every
/// parameter that is not an adapter from the Hugging Face checkpoint at
/// |path| (checkpointFile); the file must hold exactly the base's tensors.
/// Every rank of a partitioned job calls it (each reads the file).
StatusOr<BaseModel> loadBaseCheckpoint(Executor &executor,
                                       const std::string &path,
                                       uint64_t seed);

/// The adapter parameters, by Strata name, gathered as readParameters does
/// (every rank calls it; the first rank receives everything).
StatusOr<io::TensorMap> readAdapterParameters(const Executor &executor);

/// The metadata that marks an adapter checkpoint of |base|.
io::SafetensorsMetadata adapterMetadata(const BaseModel &base);

/// Whether the safetensors file at |path| (checkpointFile) is an adapter
/// checkpoint (its metadata names a base); reads only the header.
StatusOr<bool> isAdapterCheckpoint(const std::string &path);

/// Sets the adapter parameters from the adapter checkpoint at |path|
/// (checkpointFile) after checking that it was trained on |base|; the base
/// parameters keep their values.
Status loadAdapterCheckpoint(Executor &executor, const std::string &path,
                             const BaseModel &base);

/// The parameters of a model to run (eval, generate) from |checkpoint|: for
/// an artifact with adapters, an adapter checkpoint over the base
/// |baseFlag| (or the recorded one), or a whole checkpoint with base and
/// adapters; for any other artifact, loadHfCheckpoint.
Status loadModelCheckpoint(Executor &executor, const std::string &checkpoint,
                           const std::string &baseFlag);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_ADAPTER_PARAMETERS_H

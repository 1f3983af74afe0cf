//===- adapter_parameters.cc - a frozen base and its adapters -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/adapter_parameters.h"

#include "runtime/executor/lora_merge.h"
#include "runtime/executor/parameters.h"
#include "runtime/executor/prompt_tables.h"
#include "common/fnv1a.h"
#include "runtime/io/checkpoint_directory.h"
#include "runtime/io/hf_checkpoint.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>

namespace strata::runtime {

namespace {

/// FNV-1a over eight-byte words (the tail bytewise): a base of billions of
/// parameters hashes in seconds.
uint64_t mix(uint64_t hash, const void *data, size_t size) {
  const auto *bytes = static_cast<const uint8_t *>(data);
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes + i, 8);
    hash = (hash ^ word) * kFnv1aPrime;
  }
  return fnv1a(bytes + i, size - i, hash);
}

bool isBaseParameter(const std::string &name) {
  return !io::isAdapterParameter(name);
}

} // namespace

bool hasAdapters(const LoadedArtifact &artifact) {
  for (const io::ParameterSpec &p : parameterTable(artifact))
    if (io::isAdapterParameter(p.name))
      return true;
  return false;
}

std::string recordedBasePath(const LoadedArtifact &artifact) {
  const auto *text = artifact.root().config_json();
  if (!text)
    return "";
  nlohmann::json config = nlohmann::json::parse(text->str(), nullptr,
                                                /*allow_exceptions=*/false);
  if (!config.is_object())
    return "";
  auto it = config.find("language_model_path");
  return it != config.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string checkpointFile(const std::string &path) {
  StatusOr<std::string> file = io::resolveCheckpointPath(path);
  // A directory without either file stays as it is: loading it says so.
  return file.isOk() ? file.value() : path;
}

std::string baseFingerprint(const io::TensorMap &tensors) {
  uint64_t hash = kFnv1aOffset;
  for (const auto &[name, tensor] : tensors) { // a std::map: name order
    const std::string header = name + io::shapeToString(tensor.shape()) +
                               io::toString(tensor.dtype()) + '|';
    hash = mix(hash, header.data(), header.size());
    hash = mix(hash, tensor.bytes(), tensor.byteSize());
  }
  char text[32];
  std::snprintf(text, sizeof(text), "base@%016llx",
                static_cast<unsigned long long>(hash));
  return text;
}

StatusOr<std::string> resolveBasePath(const LoadedArtifact &artifact,
                                      const std::string &flag) {
  if (!flag.empty())
    return flag;
  std::string recorded = recordedBasePath(artifact);
  if (!recorded.empty())
    return recorded;
  return Status::invalidArgument(
      artifact.path() + " trains adapters on a frozen base model: name the "
                        "base's checkpoint with --base-checkpoint, or with "
                        "model.language_model_path in the model description");
}

namespace {

/// The base checkpoint at |path| (checkpointFile) for |artifact|: exactly
/// the base's tensors, in Strata names, and its identity.
StatusOr<std::pair<BaseModel, io::TensorMap>>
readBaseCheckpoint(const LoadedArtifact &artifact, const std::string &path) {
  STRATA_ASSIGN_OR_RETURN(io::HfFamily family, hfFamilyOf(artifact));
  io::ParameterTable baseTable;
  for (const io::ParameterSpec &p : parameterTable(artifact))
    if (isBaseParameter(p.name))
      baseTable.push_back(p);
  BaseModel base;
  base.path = checkpointFile(path);
  StatusOr<io::TensorMap> tensors =
      io::loadCheckpoint(base.path, baseTable, family, /*metadata=*/nullptr,
                         realVocabSize(artifact));
  if (!tensors.isOk())
    return tensors.status().withContext("the base model");
  base.fingerprint = baseFingerprint(*tensors);
  return std::pair{std::move(base), std::move(*tensors)};
}

/// The tensors of the adapter checkpoint |file|, after checking that they
/// were trained on |base|.
StatusOr<io::TensorMap> readAdapterCheckpoint(const std::string &file,
                                              const BaseModel &base) {
  STRATA_ASSIGN_OR_RETURN(io::SafetensorsContents contents,
                          io::readSafetensors(file));
  auto recorded = contents.metadata.find(kBaseModelKey);
  if (recorded == contents.metadata.end())
    return Status::invalidArgument(
        file +
        " is not an adapter checkpoint (its metadata names no base "
        "model, '" +
        kBaseModelKey + "')");
  if (recorded->second != base.fingerprint) {
    auto recordedPath = contents.metadata.find(kBasePathKey);
    return Status::failedPrecondition(
        file +
        " holds adapters trained on another base model: " + recorded->second +
        (recordedPath != contents.metadata.end()
             ? " (" + recordedPath->second + ")"
             : std::string()) +
        ", not " + base.fingerprint + " (" + base.path +
        "); load the base they were trained on, or train adapters for "
        "this one");
  }
  return std::move(contents.tensors);
}

} // namespace

StatusOr<BaseModel> loadBaseCheckpoint(Executor &executor,
                                       const std::string &path, uint64_t seed) {
  STRATA_RETURN_IF_ERROR(initializeParameters(executor, seed));
  STRATA_ASSIGN_OR_RETURN(auto base,
                          readBaseCheckpoint(executor.artifact(), path));
  STRATA_RETURN_IF_ERROR(writeSelectedParameters(
      executor, base.second, base.first.path, isBaseParameter));
  return std::move(base.first);
}

StatusOr<io::TensorMap> readAdapterParameters(const Executor &executor) {
  return readSelectedParameters(executor, io::isAdapterParameter);
}

io::SafetensorsMetadata adapterMetadata(const BaseModel &base) {
  return {{kBaseModelKey, base.fingerprint}, {kBasePathKey, base.path}};
}

StatusOr<bool> isAdapterCheckpoint(const std::string &path) {
  STRATA_ASSIGN_OR_RETURN(const std::string file,
                          io::resolveCheckpointPath(path));
  // Adapter checkpoints are single files; a sharded one is a whole model.
  if (io::isCheckpointIndex(file))
    return false;
  STRATA_ASSIGN_OR_RETURN(io::SafetensorsHeader header,
                          io::inspectSafetensors(file));
  return header.metadata.count(kBaseModelKey) > 0;
}

Status loadAdapterCheckpoint(Executor &executor, const std::string &path,
                             const BaseModel &base) {
  const std::string file = checkpointFile(path);
  STRATA_ASSIGN_OR_RETURN(io::TensorMap tensors,
                          readAdapterCheckpoint(file, base));
  STRATA_RETURN_IF_ERROR(
      fitCheckpointTensors(executor.artifact(), tensors, file));
  return writeSelectedParameters(executor, tensors, file,
                                 io::isAdapterParameter);
}

Status loadModelCheckpoint(Executor &executor, const std::string &checkpoint,
                           const std::string &baseFlag) {
  const LoadedArtifact &artifact = executor.artifact();
  // Merged LoRA adapters come from the checkpoint, not the parameters.
  if (!hasAdapters(artifact) && !loraMergeOf(artifact)) {
    if (!baseFlag.empty())
      return Status::invalidArgument(
          "--base-checkpoint is for models with adapters; " +
          executor.artifact().path() + " has none");
    return loadHfCheckpoint(executor, checkpointFile(checkpoint));
  }
  STRATA_ASSIGN_OR_RETURN(bool adaptersOnly, isAdapterCheckpoint(checkpoint));
  if (!adaptersOnly) {
    if (!baseFlag.empty())
      return Status::invalidArgument(
          "--base-checkpoint " + baseFlag + " is for adapter checkpoints; " +
          checkpointFile(checkpoint) + " holds the whole model");
    return loadHfCheckpoint(executor, checkpointFile(checkpoint));
  }
  STRATA_ASSIGN_OR_RETURN(std::string basePath,
                          resolveBasePath(artifact, baseFlag));
  // Base and adapters together: merging LoRA needs both.
  STRATA_ASSIGN_OR_RETURN(auto base, readBaseCheckpoint(artifact, basePath));
  const std::string file = checkpointFile(checkpoint);
  STRATA_ASSIGN_OR_RETURN(io::TensorMap tensors,
                          readAdapterCheckpoint(file, base.first));
  tensors.merge(base.second);
  STRATA_RETURN_IF_ERROR(fitCheckpointTensors(artifact, tensors, file));
  return writeParameters(executor, tensors, file);
}

} // namespace strata::runtime

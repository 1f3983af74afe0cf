//===- checkpoint_directory.h - save_pretrained's file layout ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Hugging Face's `save_pretrained` writes a model's tensors into a directory
// either as one `model.safetensors` or, above a maximum shard size, as
// `model-00001-of-0000N.safetensors` ... plus `model.safetensors.index.json`:
//
//   {"metadata": {"total_size": 123456},
//    "weight_map": {"lm_head.weight": "model-00002-of-00002.safetensors",
//                   "model.embed_tokens.weight": "model-00001-of-00002...",
//                   ...}}
//
// The weight_map decides which shard holds each tensor. This file reads such
// checkpoints (checking the index against the shards' headers before any
// tensor data is read, so each tensor is read once, from its own shard) and
// writes them (every file first to a temporary name; renamed only once all
// are complete).
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(std::string file, resolveCheckpointPath(dir));
//   STRATA_ASSIGN_OR_RETURN(TensorMap t, readShardedCheckpoint(file));
//   CheckpointDirectoryOptions o;
//   o.maxShardBytes = 200'000'000;
//   o.extraFiles["config.json"] = configText;
//   STRATA_RETURN_IF_ERROR(writeCheckpointDirectory(out, std::move(t), {}, o));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_IO_CHECKPOINT_DIRECTORY_H
#define STRATA_RUNTIME_IO_CHECKPOINT_DIRECTORY_H

#include "runtime/io/host_tensor.h"
#include "runtime/io/safetensors.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace strata::runtime::io {

/// The names save_pretrained gives a checkpoint's files.
inline constexpr const char *kSingleCheckpointFile = "model.safetensors";
inline constexpr const char *kCheckpointIndexFile =
    "model.safetensors.index.json";

/// transformers' default max_shard_size, "5GB" (decimal gigabytes).
inline constexpr uint64_t kDefaultMaxShardBytes = 5'000'000'000ULL;

/// The file to read for the checkpoint |path|: a directory's
/// model.safetensors, else its model.safetensors.index.json (the order
/// transformers looks in); any other path as it is. An error naming the
/// directory when it holds neither.
StatusOr<std::string> resolveCheckpointPath(const std::string &path);

/// True for an index, "*.index.json" (read with readShardedCheckpoint).
bool isCheckpointIndex(const std::string &path);

/// Reads a sharded checkpoint through its index (the shards sit beside it).
/// Everything is checked before tensor data is read: the index is a JSON
/// object whose "weight_map" maps each tensor name once to a file beside
/// it; every shard exists (else the error names the index, the tensor and
/// the shard); every shard holds exactly the tensors the map places there
/// (a tensor it lacks, one the map places elsewhere, one found in two
/// shards: each named with the shards). |metadata| receives the index's
/// "metadata" (values as strings). Tensors |include| rejects are not read.
StatusOr<TensorMap>
readShardedCheckpoint(const std::string &indexPath,
                      SafetensorsMetadata *metadata = nullptr,
                      const SafetensorsFilter &include = nullptr);

/// Bytes of a size as transformers' max_shard_size spells it: "5GB",
/// "200MB", "10KB" (powers of 1000), "2GiB", "100MiB", "4KiB" (powers of
/// 1024), or a plain number of bytes. An error naming |text| otherwise, or
/// for 0.
StatusOr<uint64_t> parseShardSize(const std::string &text);

/// The tensors of each shard, in order: tensors in name order fill a shard
/// until the next would take it over |maxShardBytes|; a tensor larger than
/// that gets a shard of its own (as transformers splits a state dict).
std::vector<std::vector<std::string>> planShards(const TensorMap &tensors,
                                                 uint64_t maxShardBytes);

/// Options of writeCheckpointDirectory.
struct CheckpointDirectoryOptions {
  uint64_t maxShardBytes = kDefaultMaxShardBytes;
  /// Other files of the directory (config.json...), name -> content,
  /// renamed into place last.
  std::map<std::string, std::string> extraFiles;
};

/// What writeCheckpointDirectory wrote.
struct WrittenCheckpoint {
  /// The file names in the directory: the shards (or model.safetensors),
  /// the index when sharded, then the extra files.
  std::vector<std::string> files;
  int shards = 0;
  uint64_t tensorBytes = 0;
};

/// Writes |tensors| into |directory| (created with its parents when
/// missing) as save_pretrained does: model.safetensors when they fit one
/// shard, else shards and model.safetensors.index.json; every safetensors
/// file gets |metadata|, the index's "metadata" gets "total_size" and
/// |metadata|. All files are written to temporary names (`<name>.tmp.<pid>`)
/// and renamed only once every one is complete, the weights first and the
/// extra files last; on an error before that, the temporary files are
/// removed and the directory is as it was. After the renames, the files of
/// the other form left by an earlier export (a stale index or shards) are
/// removed. Errors name the directory.
StatusOr<WrittenCheckpoint>
writeCheckpointDirectory(const std::string &directory, TensorMap tensors,
                         const SafetensorsMetadata &metadata,
                         const CheckpointDirectoryOptions &options = {});

} // namespace strata::runtime::io

#endif // STRATA_RUNTIME_IO_CHECKPOINT_DIRECTORY_H

//===- checkpoint_directory.cc - save_pretrained's file layout ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/checkpoint_directory.h"

#include "runtime/io/file_io.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <system_error>

namespace strata::runtime::io {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// 'name', for messages.
std::string quote(const std::string &name) { return "'" + name + "'"; }

// "a, b, c and 4 more" (at most |shown| names).
std::string someNames(const std::vector<std::string> &names, size_t shown = 3) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < shown; ++i)
    out += (i ? ", " : "") + quote(names[i]);
  if (names.size() > shown)
    out += " and " + std::to_string(names.size() - shown) + " more";
  return out;
}

// |items| separated by |separator|.
std::string join(const std::vector<std::string> &items,
                 const std::string &separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? separator : "") + items[i];
  return out;
}

// The index file parsed, with duplicate keys of any object refused
// (nlohmann would keep the last one silently: a tensor mapped twice).
StatusOr<json> parseIndex(const std::string &indexPath) {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, readWholeFile(indexPath));
  std::vector<std::set<std::string>> openObjects;
  std::string duplicate;
  json::parser_callback_t onEvent = [&](int, json::parse_event_t event,
                                        json &parsed) {
    if (event == json::parse_event_t::object_start)
      openObjects.emplace_back();
    else if (event == json::parse_event_t::object_end && !openObjects.empty())
      openObjects.pop_back();
    else if (event == json::parse_event_t::key && !openObjects.empty() &&
             !openObjects.back().insert(parsed.get<std::string>()).second &&
             duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  json index;
  try {
    index = json::parse(bytes.begin(), bytes.end(), onEvent);
  } catch (const json::exception &error) {
    return Status::dataLoss(indexPath + ": not valid JSON: " + error.what());
  }
  if (!duplicate.empty())
    return Status::dataLoss(indexPath + ": the key " + quote(duplicate) +
                            " appears more than once in one object");
  if (!index.is_object() || !index.contains("weight_map") ||
      !index["weight_map"].is_object())
    return Status::dataLoss(indexPath +
                            ": expected an object with a \"weight_map\" "
                            "object");
  return index;
}

} // namespace

bool isCheckpointIndex(const std::string &path) {
  return endsWith(path, ".index.json");
}

StatusOr<std::string> resolveCheckpointPath(const std::string &path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec))
    return path;
  for (const char *name : {kSingleCheckpointFile, kCheckpointIndexFile}) {
    fs::path candidate = fs::path(path) / name;
    if (fs::exists(candidate, ec))
      return candidate.string();
  }
  return Status::notFound(path + ": the directory holds neither " +
                          kSingleCheckpointFile + " nor " +
                          kCheckpointIndexFile);
}

StatusOr<TensorMap> readShardedCheckpoint(const std::string &indexPath,
                                          SafetensorsMetadata *metadata,
                                          const SafetensorsFilter &include) {
  STRATA_ASSIGN_OR_RETURN(json index, parseIndex(indexPath));
  auto chosen = [&](const std::string &name) {
    return !include || include(name);
  };
  // shard file -> the tensors the map places there; tensor -> its shard.
  std::map<std::string, std::vector<std::string>> placed;
  std::map<std::string, std::string> shardOf;
  for (const auto &item : index["weight_map"].items()) {
    if (!item.value().is_string())
      return Status::dataLoss(indexPath + ": weight_map entry '" + item.key() +
                              "' is not a file name");
    std::string shard = item.value().get<std::string>();
    if (shard.empty() || shard.find('/') != std::string::npos || shard == "." ||
        shard == "..")
      return Status::dataLoss(indexPath + ": weight_map entry '" + item.key() +
                              "' names '" + shard +
                              "', which is not a file beside the index");
    placed[shard].push_back(item.key());
    shardOf[item.key()] = shard;
  }
  if (metadata) {
    metadata->clear();
    if (index.contains("metadata") && index["metadata"].is_object())
      for (const auto &item : index["metadata"].items())
        (*metadata)[item.key()] = item.value().is_string()
                                      ? item.value().get<std::string>()
                                      : item.value().dump();
  }
  const fs::path directory = fs::path(indexPath).parent_path();
  auto shardPath = [&](const std::string &shard) {
    return directory.empty() ? shard : (directory / shard).string();
  };

  // Every shard's header first: the index and the shards must agree before
  // any tensor data is read.
  std::map<std::string, std::vector<std::string>> holders; // tensor -> shards
  for (const auto &[shard, names] : placed) {
    const std::string path = shardPath(shard);
    StatusOr<SafetensorsHeader> header = inspectSafetensors(path);
    if (!header.isOk()) {
      if (header.status().code() != StatusCode::kNotFound)
        return header.status();
      return Status::notFound(indexPath + ": the weight_map places " +
                              (names.size() == 1 ? "tensor " : "tensors ") +
                              someNames(names) + " in " + shard + ", but " +
                              path + " does not exist");
    }
    for (const SafetensorsEntry &entry : header->entries)
      holders[entry.name].push_back(shard);
  }
  for (const auto &[name, shards] : holders) {
    if (!chosen(name) || shards.size() < 2)
      continue;
    auto mapped = shardOf.find(name);
    return Status::dataLoss(
        indexPath + ": tensor " + quote(name) + " is in both " +
        shardPath(shards[0]) + " and " + shardPath(shards[1]) +
        (mapped == shardOf.end()
             ? " (the weight_map does not list it)"
             : " (the weight_map places it in " + mapped->second + ")"));
  }
  // A tensor the map places in a shard that lacks it (perhaps it is in
  // another one), then a tensor a shard holds that the map places elsewhere.
  for (const auto &[shard, names] : placed) {
    std::vector<std::string> missing, elsewhere;
    for (const std::string &name : names) {
      auto held = holders.find(name);
      if (!chosen(name) || (held != holders.end() && held->second[0] == shard))
        continue;
      missing.push_back(name);
      if (held != holders.end())
        elsewhere.push_back(name + " is in " + held->second[0]);
    }
    if (!missing.empty())
      return Status::dataLoss(
          shardPath(shard) + ": lacks " + join(missing, ", ") + ", which " +
          indexPath + " places there" +
          (elsewhere.empty() ? "" : " (" + join(elsewhere, "; ") + ")"));
  }
  for (const auto &[shard, names] : placed) {
    std::vector<std::string> extra;
    for (const auto &[name, shards] : holders) {
      auto mapped = shardOf.find(name);
      if (shards[0] == shard && chosen(name) &&
          (mapped == shardOf.end() || mapped->second != shard))
        extra.push_back(name);
    }
    if (!extra.empty())
      return Status::dataLoss(shardPath(shard) + ": holds " +
                              join(extra, ", ") + ", which " + indexPath +
                              " does not place there");
  }

  // Then the data, one shard at a time, each tensor once.
  TensorMap tensors;
  for (const auto &[shard, names] : placed) {
    STRATA_ASSIGN_OR_RETURN(
        SafetensorsContents contents,
        readSafetensors(shardPath(shard),
                        [&](const std::string &name) { return chosen(name); }));
    tensors.merge(contents.tensors);
  }
  return tensors;
}

StatusOr<uint64_t> parseShardSize(const std::string &text) {
  static const std::pair<const char *, uint64_t> kUnits[] = {
      {"KiB", 1ULL << 10},
      {"MiB", 1ULL << 20},
      {"GiB", 1ULL << 30},
      {"TiB", 1ULL << 40},
      {"KB", 1000ULL},
      {"MB", 1000'000ULL},
      {"GB", 1000'000'000ULL},
      {"TB", 1000'000'000'000ULL},
      {"B", 1}};
  std::string number = text;
  uint64_t unit = 1;
  for (const auto &[suffix, bytes] : kUnits)
    if (endsWith(text, suffix)) {
      number = text.substr(0, text.size() - std::string(suffix).size());
      unit = bytes;
      break;
    }
  const Status bad = Status::invalidArgument(
      "--max-shard-size " + text +
      " is not a size: a positive number of bytes, optionally with a unit "
      "(KB, MB, GB; KiB, MiB, GiB), e.g. 5GB");
  if (number.empty() ||
      number.find_first_not_of("0123456789.") != std::string::npos)
    return bad;
  char *end = nullptr;
  errno = 0;
  const double value = std::strtod(number.c_str(), &end);
  if (errno != 0 || end != number.c_str() + number.size() || !(value > 0) ||
      value * static_cast<double>(unit) >= 1.8e19)
    return bad;
  const uint64_t bytes = static_cast<uint64_t>(value * unit);
  if (bytes == 0)
    return bad;
  return bytes;
}

std::vector<std::vector<std::string>> planShards(const TensorMap &tensors,
                                                 uint64_t maxShardBytes) {
  std::vector<std::vector<std::string>> shards;
  uint64_t current = 0;
  for (const auto &[name, tensor] : tensors) {
    const uint64_t size = static_cast<uint64_t>(tensor.byteSize());
    if (shards.empty() ||
        (!shards.back().empty() && current + size > maxShardBytes)) {
      shards.emplace_back();
      current = 0;
    }
    shards.back().push_back(name);
    current += size;
  }
  if (shards.empty())
    shards.emplace_back();
  return shards;
}

namespace {

// "model-00002-of-00005.safetensors", transformers' shard names.
std::string shardName(size_t index, size_t count) {
  char name[64];
  std::snprintf(name, sizeof(name), "model-%05zu-of-%05zu.safetensors",
                index + 1, count);
  return name;
}

// True for a name shardName could have written.
bool looksLikeShard(const std::string &name) {
  unsigned a = 0, b = 0;
  char tail[16] = {0};
  return name.size() ==
             std::string("model-00001-of-00001.safetensors").size() &&
         std::sscanf(name.c_str(), "model-%5u-of-%5u.%15s", &a, &b, tail) ==
             3 &&
         std::string(tail) == "safetensors";
}

// Creates |directory| (and parents) unless it exists; an error naming it.
Status makeDirectory(const std::string &directory) {
  std::error_code ec;
  if (fs::exists(directory, ec)) {
    if (!fs::is_directory(directory, ec))
      return Status::invalidArgument("cannot write the checkpoint into " +
                                     directory +
                                     ": it exists and is not a directory");
    return Status::ok();
  }
  fs::create_directories(directory, ec);
  if (ec)
    return Status::invalidArgument("cannot create the checkpoint directory " +
                                   directory + ": " + ec.message());
  return Status::ok();
}

} // namespace

StatusOr<WrittenCheckpoint>
writeCheckpointDirectory(const std::string &directory, TensorMap tensors,
                         const SafetensorsMetadata &metadata,
                         const CheckpointDirectoryOptions &options) {
  if (options.maxShardBytes == 0)
    return Status::invalidArgument("the maximum shard size must be positive");
  STRATA_RETURN_IF_ERROR(makeDirectory(directory));
  const fs::path dir(directory);
  const std::string context = "cannot write the checkpoint into " + directory;

  WrittenCheckpoint written;
  std::vector<std::vector<std::string>> plan =
      planShards(tensors, options.maxShardBytes);
  const bool sharded = plan.size() > 1;
  written.shards = static_cast<int>(plan.size());
  // Writers not committed remove their temporary files when destroyed, so
  // an error return below leaves the directory as it was.
  std::vector<AtomicFileWriter> writers;
  json weightMap = json::object();
  for (size_t i = 0; i < plan.size(); ++i) {
    const std::string name =
        sharded ? shardName(i, plan.size()) : kSingleCheckpointFile;
    TensorMap shard;
    for (const std::string &tensor : plan[i]) {
      auto node = tensors.extract(tensor);
      written.tensorBytes += node.mapped().byteSize();
      weightMap[tensor] = name;
      shard.insert(std::move(node));
    }
    StatusOr<AtomicFileWriter> writer =
        AtomicFileWriter::open((dir / name).string());
    if (!writer.isOk())
      return writer.status().withContext(context);
    Status appended = appendSafetensors(*writer, shard, metadata);
    if (!appended.isOk())
      return appended.withContext(context);
    writers.push_back(std::move(writer).value());
    written.files.push_back(name);
  }
  std::vector<std::pair<std::string, std::string>> texts;
  if (sharded) {
    json indexMetadata = json::object();
    for (const auto &[key, value] : metadata)
      if (key != "format")
        indexMetadata[key] = value;
    indexMetadata["total_size"] = written.tensorBytes;
    json index = {{"metadata", indexMetadata}, {"weight_map", weightMap}};
    texts.emplace_back(kCheckpointIndexFile, index.dump(2) + "\n");
  }
  for (const auto &[name, text] : options.extraFiles)
    texts.emplace_back(name, text);
  for (const auto &[name, text] : texts) {
    StatusOr<AtomicFileWriter> writer =
        AtomicFileWriter::open((dir / name).string());
    if (!writer.isOk())
      return writer.status().withContext(context);
    Status appended = writer->append(text.data(), text.size());
    if (!appended.isOk())
      return appended.withContext(context);
    writers.push_back(std::move(writer).value());
    written.files.push_back(name);
  }
  // Every file is complete: make them visible, weights first, so that the
  // index and config.json never name files that are not there yet.
  for (AtomicFileWriter &writer : writers)
    STRATA_RETURN_IF_ERROR(writer.commit());

  // An earlier export of the other form would otherwise be read instead
  // (model.safetensors before the index) or mislead a reader.
  std::set<std::string> keep(written.files.begin(), written.files.end());
  std::error_code ec;
  for (const fs::directory_entry &entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const bool stale = !keep.count(name) &&
                       (name == kSingleCheckpointFile ||
                        name == kCheckpointIndexFile || looksLikeShard(name));
    if (stale) {
      std::error_code removeError;
      fs::remove(entry.path(), removeError);
      if (removeError)
        return Status::invalidArgument(
            "wrote the checkpoint into " + directory +
            " but cannot remove the stale " + name +
            " of an earlier one: " + removeError.message());
    }
  }
  return written;
}

} // namespace strata::runtime::io

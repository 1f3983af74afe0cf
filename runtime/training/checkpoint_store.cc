//===- checkpoint_store.cc - training checkpoints and resume --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/checkpoint_store.h"

#include "runtime/executor/parameters.h"
#include "runtime/executor/prompt_tables.h"
#include "runtime/io/file_io.h"
#include "runtime/io/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <sstream>
#include <unistd.h>

namespace strata::runtime::training {

namespace fs = std::filesystem;

namespace {

constexpr const char *kStepPrefix = "step-";
constexpr const char *kModelFile = "model.safetensors";
constexpr const char *kTrainerFile = "trainer.safetensors";
constexpr const char *kFormat = "strata-trainer-1";

uint64_t fnv1a(const std::string &text,
               uint64_t hash = 14695981039346656037ull) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

Status syncDirectory(const std::string &path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0)
    return Status::unavailable(
        io::ioErrorMessage(path, "cannot open directory to fsync", errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems refuse fsync on directories; that is not a failure.
  if (rc != 0 && err != EINVAL && err != EROFS)
    return Status::unavailable(
        io::ioErrorMessage(path, "directory fsync failed", err));
  return Status::ok();
}

std::string stepName(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof(name), "%s%08lld", kStepPrefix,
                static_cast<long long>(step));
  return name;
}

bool isCompleteCheckpoint(const fs::path &path) {
  std::error_code ec;
  return fs::is_regular_file(path / kModelFile, ec) &&
         fs::is_regular_file(path / kTrainerFile, ec);
}

StatusOr<int64_t> parseInt(const io::SafetensorsMetadata &metadata,
                           const std::string &key, const std::string &file) {
  auto it = metadata.find(key);
  if (it == metadata.end())
    return Status::dataLoss(file + ": metadata has no '" + key + "'");
  try {
    size_t used = 0;
    const long long value = std::stoll(it->second, &used);
    if (used != it->second.size())
      throw std::invalid_argument(it->second);
    return static_cast<int64_t>(value);
  } catch (const std::exception &) {
    return Status::dataLoss(file + ": metadata '" + key + "' is '" +
                            it->second + "', not an integer");
  }
}

/// Tests that kill training during a save widen the window between the two
/// files with $STRATA_FAULT_CHECKPOINT_PAUSE_MS
/// (tests/e2e/resume_after_kill.py).
void pauseForFaultInjection() {
  static const long pauseMs = [] {
    const char *value = std::getenv("STRATA_FAULT_CHECKPOINT_PAUSE_MS");
    return value ? std::strtol(value, nullptr, 10) : 0L;
  }();
  if (pauseMs > 0)
    ::usleep(static_cast<useconds_t>(pauseMs) * 1000);
}

} // namespace

bool isTrainingCheckpoint(const std::string &path) {
  return isCompleteCheckpoint(path);
}

std::string modelFingerprint(const Executor &executor) {
  const auto &root = executor.root();
  // The model, not how it is run: a checkpoint saved under one parallel
  // layout (or batch split, or recomputation) resumes under any other.
  nlohmann::json config = nlohmann::json::parse(
      root.config_json() ? root.config_json()->str() : std::string("{}"),
      nullptr, /*allow_exceptions=*/false);
  if (config.is_object())
    for (const char *key :
         {"tensor_model_parallel_size", "pipeline_model_parallel_size",
          "virtual_pipeline_model_parallel_size", "data_parallel_size",
          "sequence_parallel", "use_distributed_optimizer", "micro_batch_size",
          "activations_checkpoint_granularity", "activations_checkpoint_method",
          "activations_checkpoint_num_layers", "language_model_path"})
      config.erase(key);
  std::ostringstream table;
  table << config.dump();
  for (const io::ParameterSpec &p : parameterTable(executor.artifact()))
    table << '|' << p.name << io::shapeToString(p.shape)
          << io::toString(p.dtype);
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx",
                static_cast<unsigned long long>(fnv1a(table.str())));
  const std::string name =
      root.model_name() ? root.model_name()->str() : "model";
  return name + "@" + hash;
}

CheckpointStore::CheckpointStore(std::string directory, int keepLast)
    : directory_(std::move(directory)), keepLast_(keepLast) {}

std::vector<std::string> CheckpointStore::list() const {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(directory_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kStepPrefix, 0) == 0 && entry.is_directory(ec) &&
        isCompleteCheckpoint(entry.path()))
      found.push_back(entry.path().string());
  }
  std::sort(found.begin(), found.end()); // zero-padded: by step
  return found;
}

std::optional<std::string> CheckpointStore::latest() const {
  std::vector<std::string> all = list();
  if (all.empty())
    return std::nullopt;
  return all.back();
}

StatusOr<std::string> CheckpointStore::save(Executor &executor,
                                            const TrainerState &state) {
  const std::string final =
      (fs::path(directory_) / stepName(state.step)).string();
  // Checkpoints hold the global tensors: every rank gathers its blocks, the
  // first rank writes.
  STRATA_ASSIGN_OR_RETURN(io::HfFamily family, hfFamilyOf(executor.artifact()));
  STRATA_ASSIGN_OR_RETURN(io::TensorMap params,
                          state.base ? readAdapterParameters(executor)
                                     : readParameters(executor));
  // P-tuning's tables beside the encoders, for inference.
  STRATA_ASSIGN_OR_RETURN(io::TensorMap tables, computePromptTables(executor));
  params.merge(tables);
  STRATA_ASSIGN_OR_RETURN(const io::TensorMap optimizer,
                          readOptimizerState(executor));
  if (!executor.mesh().isFirst())
    return final;

  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec)
    return Status::unavailable(
        directory_ +
        ": cannot create the checkpoint directory: " + ec.message());
  // Leftovers of a save that crashed.
  for (const auto &entry : fs::directory_iterator(directory_, ec))
    if (entry.path().filename().string().rfind(".tmp-", 0) == 0)
      fs::remove_all(entry.path(), ec);

  const std::string tmp =
      (fs::path(directory_) /
       (".tmp-" + stepName(state.step) + "-" + std::to_string(::getpid())))
          .string();
  fs::create_directory(tmp, ec);
  if (ec)
    return Status::unavailable(tmp + ": cannot create: " + ec.message());

  io::SafetensorsMetadata metadata = {
      {"format", kFormat},
      {"step", std::to_string(state.step)},
      {"samples_consumed", std::to_string(state.samplesConsumed)},
      {"rng_counter", std::to_string(state.rngCounter)},
      {"seed", std::to_string(state.seed)},
      {"model", state.model},
      {"data", state.data},
  };
  if (state.lossScaler) {
    char scale[40];
    std::snprintf(scale, sizeof(scale), "%.17g", state.lossScaler->scale);
    metadata["loss_scale"] = scale;
    metadata["loss_scale_growth_tracker"] =
        std::to_string(state.lossScaler->growthTracker);
    metadata["loss_scale_hysteresis_tracker"] =
        std::to_string(state.lossScaler->hysteresisTracker);
    metadata["skipped_steps"] = std::to_string(state.lossScaler->skippedSteps);
  }
  Status status;
  if (state.base) {
    io::SafetensorsMetadata adapters = adapterMetadata(*state.base);
    adapters["strata_step"] = std::to_string(state.step);
    status = io::writeSafetensors(tmp + "/" + kModelFile, params, adapters);
  } else {
    status = io::saveCheckpoint(tmp + "/" + kModelFile, params, family,
                                {{"strata_step", std::to_string(state.step)}});
  }
  pauseForFaultInjection();
  if (status.isOk())
    status =
        io::writeSafetensors(tmp + "/" + kTrainerFile, optimizer, metadata);
  if (status.isOk())
    status = syncDirectory(tmp);
  if (!status.isOk()) {
    fs::remove_all(tmp, ec);
    return status;
  }
  // Re-saving a step (after a resume) replaces it only once the new copy is
  // complete.
  if (fs::exists(final, ec)) {
    const std::string old = tmp + ".old";
    fs::rename(final, old, ec);
    fs::rename(tmp, final, ec);
    fs::remove_all(old, ec);
  } else {
    fs::rename(tmp, final, ec);
  }
  if (ec)
    return Status::unavailable(final +
                               ": cannot move the checkpoint into "
                               "place: " +
                               ec.message());
  STRATA_RETURN_IF_ERROR(syncDirectory(directory_));
  if (keepLast_ > 0) {
    // Renamed out of sight first (atomic), then deleted: a crash while
    // deleting leaves a hidden directory the next save removes, never a
    // half-deleted step-N.
    std::vector<std::string> all = list();
    for (size_t i = 0; i + keepLast_ < all.size(); ++i) {
      const std::string doomed =
          (fs::path(directory_) /
           (".tmp-delete-" + fs::path(all[i]).filename().string()))
              .string();
      fs::rename(all[i], doomed, ec);
      fs::remove_all(ec ? all[i] : doomed, ec);
    }
  }
  if (std::optional<std::string> newest = latest())
    STRATA_RETURN_IF_ERROR(linkLatestCheckpoint(directory_, *newest));
  return final;
}

Status linkLatestCheckpoint(const std::string &directory,
                            const std::string &stepDirectory) {
  const fs::path link = fs::path(directory) / "latest";
  std::error_code ec;
  if (fs::exists(fs::symlink_status(link, ec)) && !fs::is_symlink(link, ec))
    return Status::failedPrecondition(
        link.string() +
        " exists and is not a symbolic link: cannot point it at the newest "
        "checkpoint " +
        stepDirectory + " (move it away)");
  // Relative, so the directory can move; renamed over the old link, so a
  // reader sees the old or the new step, never no link.
  const fs::path tmp = fs::path(directory) /
                       (".tmp-latest-" + std::to_string(::getpid()));
  fs::remove(tmp, ec);
  fs::create_directory_symlink(fs::path(stepDirectory).filename(), tmp, ec);
  if (!ec)
    fs::rename(tmp, link, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return Status::unavailable(link.string() + ": cannot point it at " +
                               stepDirectory + ": " + ec.message());
  }
  return syncDirectory(directory);
}

StatusOr<TrainerState>
CheckpointStore::load(Executor &executor, const std::string &path,
                      const std::optional<BaseModel> &base) {
  const std::string trainerPath = path + "/" + kTrainerFile;
  STRATA_ASSIGN_OR_RETURN(io::SafetensorsContents trainer,
                          io::readSafetensors(trainerPath));
  const io::SafetensorsMetadata &m = trainer.metadata;
  auto format = m.find("format");
  if (format == m.end() || format->second != kFormat)
    return Status::dataLoss(trainerPath +
                            ": not a Strata trainer state "
                            "(format '" +
                            (format == m.end() ? "" : format->second) +
                            "', expected '" + kFormat + "')");
  TrainerState state;
  auto model = m.find("model");
  state.model = model == m.end() ? "" : model->second;
  const std::string expected = modelFingerprint(executor);
  if (state.model != expected)
    return Status::failedPrecondition(
        path + " is a checkpoint of model " + state.model + ", not of " +
        executor.artifact().path() + " (" + expected + ")");
  auto data = m.find("data");
  state.data = data == m.end() ? "" : data->second;
  STRATA_ASSIGN_OR_RETURN(state.step, parseInt(m, "step", trainerPath));
  STRATA_ASSIGN_OR_RETURN(state.samplesConsumed,
                          parseInt(m, "samples_consumed", trainerPath));
  STRATA_ASSIGN_OR_RETURN(int64_t rng, parseInt(m, "rng_counter", trainerPath));
  STRATA_ASSIGN_OR_RETURN(int64_t seed, parseInt(m, "seed", trainerPath));
  state.rngCounter = static_cast<uint64_t>(rng);
  state.seed = static_cast<uint64_t>(seed);
  if (m.count("loss_scale")) {
    LossScalerState scaler;
    const std::string &text = m.at("loss_scale");
    char *end = nullptr;
    scaler.scale = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0')
      return Status::dataLoss(trainerPath + ": metadata 'loss_scale' is '" +
                              text + "', not a number");
    STRATA_ASSIGN_OR_RETURN(
        scaler.growthTracker,
        parseInt(m, "loss_scale_growth_tracker", trainerPath));
    STRATA_ASSIGN_OR_RETURN(
        scaler.hysteresisTracker,
        parseInt(m, "loss_scale_hysteresis_tracker", trainerPath));
    STRATA_ASSIGN_OR_RETURN(scaler.skippedSteps,
                            parseInt(m, "skipped_steps", trainerPath));
    state.lossScaler = scaler;
  }
  const std::string modelPath = path + "/" + kModelFile;
  STRATA_ASSIGN_OR_RETURN(bool adaptersOnly, isAdapterCheckpoint(modelPath));
  if (adaptersOnly != base.has_value())
    return Status::failedPrecondition(
        modelPath + (adaptersOnly
                         ? " holds adapters only, and this run has no base "
                           "model to put them on"
                         : " holds a whole model, not the adapters of a "
                           "frozen base"));
  if (base) {
    STRATA_RETURN_IF_ERROR(loadAdapterCheckpoint(executor, modelPath, *base));
    state.base = base;
  } else {
    STRATA_RETURN_IF_ERROR(loadHfCheckpoint(executor, modelPath));
  }
  STRATA_RETURN_IF_ERROR(
      writeOptimizerState(executor, trainer.tensors, trainerPath));
  executor.setRngCounter(state.rngCounter);
  return state;
}

} // namespace strata::runtime::training

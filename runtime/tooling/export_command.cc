//===- export_command.cc - strata-run export ------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/export_command.h"

#include "runtime/executor/parameters.h"
#include "runtime/io/checkpoint_directory.h"
#include "runtime/io/hf_config.h"
#include "runtime/io/vocab_padding.h"
#include "runtime/tooling/rank_setup.h"
#include "runtime/training/checkpoint_store.h"

#include <cstdio>
#include <memory>

namespace strata::runtime {

namespace {

StatusOr<io::DType> exportType(const std::string &name) {
  if (name == "f32" || name == "fp32" || name == "32")
    return io::DType::F32;
  if (name == "bf16")
    return io::DType::BF16;
  if (name == "f16" || name == "fp16" || name == "16")
    return io::DType::F16;
  return Status::invalidArgument("--dtype " + name +
                                 " is not one of f32, bf16, f16");
}

// Where the parameters come from, for the metadata and the message.
struct Source {
  std::string step;  // "" when a model checkpoint does not record one
  std::string model; // modelFingerprint, when recorded
};

// Loads --from into |executor|: a training checkpoint with its state, or a
// model checkpoint (its recorded step and model, if Strata wrote it).
StatusOr<Source> loadSource(Executor &executor, const std::string &from) {
  if (training::isTrainingCheckpoint(from)) {
    STRATA_ASSIGN_OR_RETURN(training::TrainerState state,
                            training::CheckpointStore::load(executor, from));
    return Source{std::to_string(state.step), state.model};
  }
  STRATA_RETURN_IF_ERROR(loadHfCheckpoint(executor, from));
  io::SafetensorsMetadata metadata;
  STRATA_RETURN_IF_ERROR(
      io::readCheckpointTensors(from, &metadata, [](const std::string &) {
        return false;
      }).status());
  Source source;
  if (auto it = metadata.find("strata_step"); it != metadata.end())
    source.step = it->second;
  if (auto it = metadata.find("strata_model"); it != metadata.end())
    source.model = it->second;
  return source;
}

// The rows of the word embedding, which config.json's vocab_size states.
int64_t embeddingRows(const io::TensorMap &params) {
  auto it = params.find("embedding.word_embeddings.weight");
  return it == params.end() || it->second.shape().empty()
             ? -1
             : it->second.shape()[0];
}

// --format hf: config.json and the tensors, sharded above the limit.
Status writeHfDirectory(const ExportOptions &o, const LoadedArtifact &artifact,
                        io::HfFamily family, io::DType dtype,
                        const io::TensorMap &params,
                        const io::SafetensorsMetadata &metadata) {
  for (const auto &[name, tensor] : params)
    if (io::isAdapterParameter(name))
      return Status::invalidArgument(
          "--format hf writes a model transformers loads, and " +
          artifact.path() + " has adapters (" + name +
          "), which no Hugging Face " + io::toString(family) +
          " class holds: export them with --format safetensors");
  io::CheckpointDirectoryOptions options;
  if (!o.maxShardSize.empty()) {
    STRATA_ASSIGN_OR_RETURN(options.maxShardBytes,
                            io::parseShardSize(o.maxShardSize));
  }
  const auto *recorded = artifact.root().config_json();
  STRATA_ASSIGN_OR_RETURN(
      io::HfModelConfig config,
      io::hfModelConfigFromStrata(recorded ? recorded->str() : "", family,
                                  dtype, artifact.path()));
  if (embeddingRows(params) != config.vocabSize)
    return Status::invalidArgument(
        artifact.path() + " records vocab_size " +
        std::to_string(config.vocabSize) + ", but the exported embedding has " +
        std::to_string(embeddingRows(params)) +
        " rows (an artifact older than format 0.14 does not say which rows "
        "are padding: recompile it)");
  STRATA_ASSIGN_OR_RETURN(options.extraFiles["config.json"],
                          io::hfConfigJson(config));
  // Names as save_pretrained writes them (GPT2LMHeadModel.state_dict():
  // "transformer.h.0..."), without the tied lm_head.weight.
  io::HfExportOptions names;
  names.gpt2TransformerPrefix = true;
  STRATA_ASSIGN_OR_RETURN(io::TensorMap hf,
                          io::toHuggingFace(params, family, names));
  io::SafetensorsMetadata withFormat = metadata;
  withFormat.emplace("format", "pt"); // transformers refuses files without
  STRATA_ASSIGN_OR_RETURN(
      io::WrittenCheckpoint written,
      io::writeCheckpointDirectory(o.out, std::move(hf), withFormat, options));
  std::printf("wrote %s: %d shard%s (%.1f MB), config.json\n", o.out.c_str(),
              written.shards, written.shards == 1 ? "" : "s",
              static_cast<double>(written.tensorBytes) / 1e6);
  return Status::ok();
}

} // namespace

Status runExportCommand(const ExportOptions &o) {
  STRATA_ASSIGN_OR_RETURN(const io::DType dtype, exportType(o.dtype));
  if (o.format != "safetensors" && o.format != "hf")
    return Status::invalidArgument("--format " + o.format +
                                   " is not one of safetensors, hf");
  if (o.format != "hf" && !o.maxShardSize.empty())
    return Status::invalidArgument(
        "--max-shard-size is for --format hf (a safetensors export is one "
        "file)");
  STRATA_ASSIGN_OR_RETURN(RankArtifact loaded,
                          rankSetup().loadArtifact(o.artifact));
  ExecutorOptions executorOptions;
  executorOptions.mesh = loaded.mesh;
  STRATA_ASSIGN_OR_RETURN(Backend * backend, rankSetup().backend(0));
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<Executor> executor,
      Executor::create(std::move(loaded.artifact), *backend, executorOptions));
  STRATA_ASSIGN_OR_RETURN(const Source source,
                          loadSource(*executor, o.checkpoint));
  STRATA_ASSIGN_OR_RETURN(io::HfFamily family,
                          hfFamilyOf(executor->artifact()));
  // Collective: every rank gathers its blocks; the first one writes.
  STRATA_ASSIGN_OR_RETURN(io::TensorMap params, readParameters(*executor));
  STRATA_ASSIGN_OR_RETURN(const io::TensorMap optimizer,
                          readOptimizerState(*executor));
  if (!executor->mesh().isFirst())
    return Status::ok();
  int64_t fromMain = 0;
  for (auto &[name, value] : params) {
    // The F32 main parameter, where O2 keeps one, is the precise value.
    auto main = optimizer.find(name + ".main_param");
    const io::HostTensor &source =
        main != optimizer.end() ? main->second : value;
    fromMain += main != optimizer.end();
    STRATA_ASSIGN_OR_RETURN(io::HostTensor converted,
                            io::convertTensor(source, dtype));
    value = std::move(converted);
  }
  // Hugging Face's vocab_size is the tokenizer's: no padding rows.
  STRATA_RETURN_IF_ERROR(
      io::stripVocabularyPadding(params, realVocabSize(executor->artifact())));
  io::SafetensorsMetadata metadata;
  if (!source.step.empty())
    metadata["strata_step"] = source.step;
  if (!source.model.empty())
    metadata["strata_model"] = source.model;
  if (o.format == "hf")
    STRATA_RETURN_IF_ERROR(writeHfDirectory(o, executor->artifact(), family,
                                            dtype, params, metadata));
  else
    STRATA_RETURN_IF_ERROR(io::saveCheckpoint(o.out, params, family, metadata));
  const std::string from =
      o.checkpoint + (source.step.empty() ? "" : " at step " + source.step);
  std::printf("exported %zu parameters (%lld from f32 main parameters) of %s "
              "in %s to %s\n",
              params.size(), static_cast<long long>(fromMain), from.c_str(),
              io::toString(dtype), o.out.c_str());
  return Status::ok();
}

} // namespace strata::runtime

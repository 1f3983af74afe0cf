//===- export_command.cc - strata-run export ------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/export_command.h"

#include "runtime/executor/parameters.h"
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

} // namespace

Status runExportCommand(const ExportOptions &o) {
  STRATA_ASSIGN_OR_RETURN(const io::DType dtype, exportType(o.dtype));
  STRATA_ASSIGN_OR_RETURN(RankArtifact loaded,
                          rankSetup().loadArtifact(o.artifact));
  ExecutorOptions executorOptions;
  executorOptions.mesh = loaded.mesh;
  STRATA_ASSIGN_OR_RETURN(Backend * backend, rankSetup().backend(0));
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<Executor> executor,
      Executor::create(std::move(loaded.artifact), *backend, executorOptions));
  STRATA_ASSIGN_OR_RETURN(training::TrainerState state,
                          training::CheckpointStore::load(*executor,
                                                          o.checkpoint));
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
    const io::HostTensor &source = main != optimizer.end() ? main->second : value;
    fromMain += main != optimizer.end();
    STRATA_ASSIGN_OR_RETURN(io::HostTensor converted,
                            io::convertTensor(source, dtype));
    value = std::move(converted);
  }
  // Hugging Face's vocab_size is the tokenizer's: no padding rows.
  STRATA_RETURN_IF_ERROR(io::stripVocabularyPadding(
      params, realVocabSize(executor->artifact())));
  STRATA_RETURN_IF_ERROR(io::saveCheckpoint(
      o.out, params, family,
      {{"strata_step", std::to_string(state.step)},
       {"strata_model", state.model}}));
  std::printf("exported %zu parameters (%lld from f32 main parameters) of %s "
              "at step %lld in %s to %s\n",
              params.size(), static_cast<long long>(fromMain),
              o.checkpoint.c_str(), static_cast<long long>(state.step),
              io::toString(dtype), o.out.c_str());
  return Status::ok();
}

} // namespace strata::runtime

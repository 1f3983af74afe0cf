//===- prompt_tables_command.cc - strata-run prompt-tables ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/prompt_tables_command.h"

#include "runtime/executor/adapter_parameters.h"
#include "runtime/executor/prompt_tables.h"
#include "runtime/io/safetensors.h"
#include "runtime/tooling/rank_setup.h"

#include <cstdio>
#include <memory>

namespace strata::runtime {

Status runPromptTablesCommand(const PromptTablesOptions &o) {
  STRATA_ASSIGN_OR_RETURN(RankArtifact loaded,
                          rankSetup().loadArtifact(o.artifact));
  if (computedPromptTables(loaded.artifact).empty())
    return Status::invalidArgument(
        o.artifact +
        " computes no prompt tables: give the p-tuning model compiled for "
        "training (strata-compile without --mode infer)");
  ExecutorOptions executorOptions;
  executorOptions.dropout = false;
  executorOptions.mesh = loaded.mesh;
  STRATA_ASSIGN_OR_RETURN(Backend * backend, rankSetup().backend(0));
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<Executor> executor,
      Executor::create(std::move(loaded.artifact), *backend, executorOptions));
  STRATA_RETURN_IF_ERROR(
      loadModelCheckpoint(*executor, o.checkpoint, o.baseCheckpoint));
  STRATA_ASSIGN_OR_RETURN(io::TensorMap tables, computePromptTables(*executor));
  if (!executor->mesh().isFirst())
    return Status::ok();
  // The checkpoint as it is (whole or adapters only, its metadata, its
  // names), with the tables added or replaced.
  const std::string file = checkpointFile(o.checkpoint);
  STRATA_ASSIGN_OR_RETURN(io::SafetensorsContents contents,
                          io::readSafetensors(file));
  for (auto &[name, table] : tables)
    contents.tensors.insert_or_assign(name, std::move(table));
  STRATA_RETURN_IF_ERROR(
      io::writeSafetensors(o.out, contents.tensors, contents.metadata));
  std::printf("wrote %zu prompt tables beside the %zu tensors of %s to %s\n",
              tables.size(), contents.tensors.size() - tables.size(),
              file.c_str(), o.out.c_str());
  return Status::ok();
}

} // namespace strata::runtime

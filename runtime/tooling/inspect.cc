//===- inspect.cc - strata-run inspect ------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/inspect.h"

#include "runtime/artifact/kernel_signatures.h"

#include <iomanip>
#include <map>

namespace strata::runtime {

namespace {

/// "dp=1 x pp=2 x tp=2", or "" without a mesh.
std::string meshText(const artifact::Artifact &root) {
  std::string text;
  if (!root.mesh_axes() || !root.mesh_shape())
    return text;
  for (uint32_t i = 0; i < root.mesh_shape()->size(); ++i)
    text += (i ? " x " : "") +
            (i < root.mesh_axes()->size() ? root.mesh_axes()->Get(i)->str()
                                          : std::string("?")) +
            "=" + std::to_string(root.mesh_shape()->Get(i));
  return text;
}

/// Parameters, the memory plan and the functions of one program, each line
/// starting with |indent|.
void printProgram(const artifact::Artifact &root, const std::string &indent,
                  std::ostream &os) {
  uint64_t elements = 0, trainable = 0;
  size_t numParameters = root.parameters() ? root.parameters()->size() : 0;
  for (size_t i = 0; i < numParameters; ++i) {
    const artifact::Parameter *p = root.parameters()->Get(i);
    const artifact::Buffer *b = root.buffers()->Get(p->value());
    uint64_t n = b->size() / dtypeSize(b->dtype());
    elements += n;
    trainable += p->trainable() ? n : 0;
  }
  os << indent << "parameters     " << numParameters << " tensors, " << elements
     << " elements (" << trainable << " trainable)\n";
  os << indent << "micro-batches  " << root.micro_batches() << "\n";
  os << indent << "arena          " << root.plan()->arena_size() << " bytes\n";
  os << indent << "transients     " << root.plan()->transient_sum()
     << " bytes without reuse, " << root.plan()->lower_bound()
     << " bytes live at the fullest instruction\n";
  if (const auto *slots = root.pipeline_stash_slots()) {
    os << indent << "stash slots   ";
    for (uint32_t c = 0; c < slots->size(); ++c)
      os << " " << slots->Get(c) << " (chunk " << c << ")";
    os << "\n";
  }
  static const char *const categories[] = {
      "parameter",      "gradient",       "optimizer_state", "activation",
      "workspace",      "input",          "output",          "kv_cache",
      "pipeline_stash", "main_parameter", "gradient_bucket"};
  constexpr size_t kCategories = sizeof(categories) / sizeof(categories[0]);
  if (const auto *peaks = root.plan()->peak_by_category())
    for (size_t i = 0; i < peaks->size() && i < kCategories; ++i)
      os << indent << "  " << std::left << std::setw(16) << categories[i]
         << std::right << std::setw(14) << peaks->Get(i) << " bytes\n";
  for (const artifact::Function *function : *root.functions()) {
    size_t count =
        function->instructions() ? function->instructions()->size() : 0;
    std::map<std::string_view, int> perKernel;
    if (function->instructions())
      for (const artifact::Instruction *instruction : *function->instructions())
        ++perKernel[lookupKernelSignature(instruction->kernel())->name];
    os << indent << "function " << function->name()->str() << ": " << count
       << " instructions";
    const char *separator = " (";
    for (const auto &[name, n] : perKernel) {
      os << separator << name << " " << n;
      separator = ", ";
    }
    os << (perKernel.empty() ? "" : ")") << "\n";
  }
}

} // namespace

void printArtifactSummary(const LoadedArtifact &loaded, std::ostream &os) {
  const artifact::Artifact &root = loaded.root();
  os << "artifact " << loaded.path() << "\n";
  os << "  model          "
     << (root.model_name() ? root.model_name()->str() : "") << "\n";
  os << "  format         " << root.version_major() << "."
     << root.version_minor() << "\n";
  os << "  target         "
     << (root.target() && root.target()->size() ? root.target()->str() : "cpu")
     << "\n";
  os << "  model family   "
     << artifact::EnumNameModelFamily(root.model_family()) << "\n";
  if (root.vocab_size() > 0)
    os << "  vocabulary     " << root.vocab_size()
       << " tokens (padded: the rest of the rows)\n";
  if (const std::string mesh = meshText(root); !mesh.empty())
    os << "  mesh           " << mesh << "\n";
  if (root.prompt_tasks() && root.prompt_tasks()->size()) {
    const bool virtualTokens =
        root.virtual_prompt_style() && root.virtual_prompt_style()->size();
    if (virtualTokens) {
      os << "  virtual tokens " << root.virtual_prompt_style()->str() << ":";
      for (const artifact::PromptTask *task : *root.prompt_tasks())
        os << " " << (task->name() ? task->name()->str() : std::string())
           << " (" << task->total_virtual_tokens()
           << (task->trained() ? ", trained" : ", frozen") << ")";
    } else {
      // LoRA alone: the tasks share the adapters, so new or existing says
      // nothing about what trains.
      os << "  tasks         ";
      for (const artifact::PromptTask *task : *root.prompt_tasks())
        os << " " << (task->name() ? task->name()->str() : std::string());
      os << " (no virtual tokens)";
    }
    os << "\n";
  }
  if (const artifact::LoraMerge *merge = root.lora_merge())
    os << "  lora merged    "
       << (merge->updates() ? merge->updates()->size() : 0)
       << " projections at load, rank " << merge->rank() << ", scale "
       << merge->scale() << "\n";
  if (!loaded.isPipelineRoot()) {
    printProgram(root, "  ", os);
    return;
  }
  const std::vector<LoadedArtifact> &stages = loaded.pipelineStages();
  os << "  micro-batches  " << root.micro_batches() << "\n";
  os << "  pipeline       " << stages.size() << " stages, "
     << stages.front().root().pipeline_chunks() << " model chunks each\n";
  for (size_t s = 0; s < stages.size(); ++s) {
    const artifact::Artifact &stage = stages[s].root();
    os << "  stage " << s << "\n";
    printProgram(stage, "    ", os);
    if (stage.parameters())
      for (const artifact::Parameter *p : *stage.parameters())
        if (p->shared_with_stage() >= 0)
          os << "    shares " << p->name()->str() << " with stage "
             << p->shared_with_stage() << "\n";
  }
}

} // namespace strata::runtime

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

void printArtifactSummary(const LoadedArtifact &loaded, std::ostream &os) {
  const artifact::Artifact &root = loaded.root();
  os << "artifact " << loaded.path() << "\n";
  os << "  model          "
     << (root.model_name() ? root.model_name()->str() : "") << "\n";
  os << "  format         " << root.version_major() << "."
     << root.version_minor() << "\n";
  uint64_t elements = 0, trainable = 0;
  size_t numParameters = root.parameters() ? root.parameters()->size() : 0;
  for (size_t i = 0; i < numParameters; ++i) {
    const artifact::Parameter *p = root.parameters()->Get(i);
    const artifact::Buffer *b = root.buffers()->Get(p->value());
    uint64_t n = b->size() / dtypeSize(b->dtype());
    elements += n;
    trainable += p->trainable() ? n : 0;
  }
  os << "  parameters     " << numParameters << " tensors, " << elements
     << " elements (" << trainable << " trainable)\n";
  os << "  micro-batches  " << root.micro_batches() << "\n";
  os << "  arena          " << root.plan()->arena_size() << " bytes\n";
  os << "  transients     " << root.plan()->transient_sum()
     << " bytes without reuse, " << root.plan()->lower_bound()
     << " bytes live at the fullest instruction\n";
  static const char *const categories[] = {
      "parameter", "gradient", "optimizer_state", "activation",
      "workspace", "input",    "output",          "kv_cache"};
  constexpr size_t kCategories = sizeof(categories) / sizeof(categories[0]);
  if (const auto *peaks = root.plan()->peak_by_category())
    for (size_t i = 0; i < peaks->size() && i < kCategories; ++i)
      os << "    " << std::left << std::setw(16) << categories[i]
         << std::right << std::setw(14) << peaks->Get(i) << " bytes\n";
  for (const artifact::Function *function : *root.functions()) {
    size_t count =
        function->instructions() ? function->instructions()->size() : 0;
    std::map<std::string_view, int> perKernel;
    if (function->instructions())
      for (const artifact::Instruction *instruction :
           *function->instructions())
        ++perKernel[lookupKernelSignature(instruction->kernel())->name];
    os << "  function " << function->name()->str() << ": " << count
       << " instructions";
    const char *separator = " (";
    for (const auto &[name, n] : perKernel) {
      os << separator << name << " " << n;
      separator = ", ";
    }
    os << (perKernel.empty() ? "" : ")") << "\n";
  }
}

} // namespace strata::runtime

//===- InferenceModule.cpp - prefill and decode from one description ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/InferenceModule.h"

#include "compiler/Inference/VirtualTokens.h"

#include "dialects/tfm/IR/TfmOps.h"
#include "frontends/tfmgen/TfmGen.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::strata;
namespace fe = ::strata::frontend;

int64_t mlir::strata::defaultPrefillLength(const fe::ModelDescription &d) {
  return std::min<int64_t>(d.seqLength, 128);
}

OwningOpRef<ModuleOp>
mlir::strata::emitInferenceModule(const fe::ModelDescription &description,
                                  int64_t prefillLength, MLIRContext &context,
                                  std::string *error, bool mergeLora,
                                  int64_t prefillBatch) {
  if (mergeLora && !description.lora.enabled) {
    *error = "--merge-lora merges LoRA adapters into the projections, and "
             "the model has none (no model.peft.peft_scheme lora)";
    return nullptr;
  }
  const int64_t length =
      prefillLength > 0 ? prefillLength : defaultPrefillLength(description);
  if (length > description.maxPositionEmbeddings) {
    *error = "the prefill length " + std::to_string(length) +
             " exceeds max_position_embeddings " +
             std::to_string(description.maxPositionEmbeddings) +
             " (the length of the KV cache)";
    return nullptr;
  }
  // The descriptions differ only in the query length the functions are
  // emitted for; parameters (and their shapes) do not depend on it.
  fe::ModelDescription prefillDescription = description;
  prefillDescription.seqLength = length;
  if (prefillBatch > 0)
    prefillDescription.microBatchSize = prefillBatch;
  fe::ModelDescription decodeDescription = description;
  decodeDescription.seqLength = 1;
  fe::EmitOptions options;
  options.promptTablesAsParameters = true;
  options.mergeLora = mergeLora;
  OwningOpRef<ModuleOp> module =
      fe::emitTfmModule(prefillDescription, context, options);
  OwningOpRef<ModuleOp> decodeModule =
      fe::emitTfmModule(decodeDescription, context, options);

  auto prefill = module->lookupSymbol<func::FuncOp>(fe::kForwardFunctionName);
  auto decode =
      decodeModule->lookupSymbol<func::FuncOp>(fe::kForwardFunctionName);
  prefill.setSymName(kPrefillFunctionName);
  decode.setSymName(kDecodeFunctionName);
  for (auto parameter : decodeModule->getOps<tfm::ParameterOp>()) {
    auto same = module->lookupSymbol<tfm::ParameterOp>(parameter.getSymName());
    if (!same || same.getType() != parameter.getType()) {
      *error = "internal error: parameter @" + parameter.getSymName().str() +
               " differs between the prefill and decode emissions";
      return nullptr;
    }
  }
  decode->moveAfter(prefill);
  // A prompt is prefilled, virtual tokens and all; decode feeds the tokens
  // the model chose, never virtual ones.
  if (failed(removeVirtualTokens(decode))) {
    *error = "internal error: the decode emission keeps its virtual tokens";
    return nullptr;
  }

  // The configuration is the description's, not the prefill emission's.
  if (auto config =
          (*module)->getAttrOfType<DictionaryAttr>(fe::kConfigAttrName)) {
    NamedAttrList entries(config);
    Builder builder(&context);
    entries.set("seq_length", builder.getI64IntegerAttr(description.seqLength));
    if (entries.get("micro_batch_size"))
      entries.set("micro_batch_size",
                  builder.getI64IntegerAttr(description.microBatchSize));
    (*module)->setAttr(fe::kConfigAttrName, entries.getDictionary(&context));
  }
  return module;
}

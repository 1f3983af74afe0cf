//===- TrainingSettingsGen.cpp - training hyperparameters as a module attr ===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The compiler does not use the training hyperparameters; it carries them,
// with where the description gave each, to the artifact, whose runtime
// takes them as the defaults of `strata-run train`.
//
//===----------------------------------------------------------------------===//
#include "frontends/tfmgen/TfmGen.h"

#include "mlir/IR/Builders.h"

namespace strata::frontend {

using namespace mlir;

ArrayAttr trainingSettingsAttr(const ModelDescription &d,
                               MLIRContext &context) {
  Builder builder(&context);
  SmallVector<Attribute> settings;
  for (const TrainingSetting &setting : d.trainingSettings) {
    SmallVector<Attribute> numbers;
    for (double x : setting.numbers)
      numbers.push_back(builder.getF64FloatAttr(x));
    const SourceLocation &at = setting.location;
    std::string source = at.line > 0 ? at.file + ":" + std::to_string(at.line)
                                     : at.file;
    settings.push_back(builder.getDictionaryAttr({
        builder.getNamedAttr("key", builder.getStringAttr(setting.key)),
        builder.getNamedAttr("numbers", builder.getArrayAttr(numbers)),
        builder.getNamedAttr("text", builder.getStringAttr(setting.text)),
        builder.getNamedAttr("source", builder.getStringAttr(source)),
    }));
  }
  return builder.getArrayAttr(settings);
}

} // namespace strata::frontend

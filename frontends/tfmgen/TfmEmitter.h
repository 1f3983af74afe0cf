//===- TfmEmitter.h - the emitter behind emitTfmModule ----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to frontends/tfmgen: the emitter's state and pieces, defined in
// TfmGen.cpp (the base model) and PromptLearningGen.cpp (virtual tokens,
// prompt encoders, LoRA).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_TFMGEN_TFMEMITTER_H
#define STRATA_FRONTENDS_TFMGEN_TFMEMITTER_H

#include "common/prompt_tasks.h"
#include "frontends/model/ModelDescription.h"
#include "frontends/tfmgen/TfmGen.h"

#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace strata::frontend::detail {

using namespace mlir;
using namespace mlir::strata;

class TfmEmitter {
public:
  TfmEmitter(const ModelDescription &description, MLIRContext &context,
             const EmitOptions &options)
      : d(description), options(options), ctx(context), builder(&context) {
    switch (d.precision) {
    case Precision::FP32:
      floatType = builder.getF32Type();
      break;
    case Precision::BF16:
      floatType = builder.getBF16Type();
      break;
    case Precision::FP16:
      floatType = builder.getF16Type();
      break;
    case Precision::FP64:
      floatType = builder.getF64Type();
      break;
    }
    // Mixed precision O1 keeps f32 parameters and casts each read to the
    // compute type; O2 stores them in it, with f32 main parameters.
    parameterType = d.mixedPrecision == MixedPrecision::O1
                        ? Type(builder.getF32Type())
                        : floatType;
    indexType = builder.getI32Type();
    batch = d.microBatchSize;
    seq = d.seqLength;
  }

  OwningOpRef<ModuleOp> emit();

private:
  // Types.
  RankedTensorType floatTensor(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, floatType);
  }
  RankedTensorType hiddenType() {
    return floatTensor({batch, seq, d.hiddenSize});
  }

  Location nameLoc(const std::string &name) {
    return NameLoc::get(builder.getStringAttr(name));
  }

  // Parameters: declared at module level, read where used. Base
  // parameters are frozen when the description tunes adapters on it
  // (prompt learning, LoRA); adapters are Trained unless an existing task's.
  enum class Decay { Yes, No };
  enum class Role { Base, Trained, Frozen };
  Value parameter(const std::string &name, ArrayRef<int64_t> shape,
                  tfm::InitAttr init, Decay decay, Role role = Role::Base);
  Value weight(const std::string &name, ArrayRef<int64_t> shape, double std,
               Role role = Role::Base) {
    return parameter(name, shape,
                     tfm::InitAttr::get(&ctx, tfm::InitKind::normal, std),
                     Decay::Yes, role);
  }
  Value bias(const std::string &name, ArrayRef<int64_t> shape,
             Role role = Role::Base) {
    return parameter(name, shape,
                     tfm::InitAttr::get(&ctx, tfm::InitKind::zeros), Decay::No,
                     role);
  }

  // Model pieces.
  Value emitEmbeddings(Value tokens, Value positions, Value virtualTokens,
                       Value &wordEmbeddings);
  Value emitNorm(const std::string &prefix, Value x);
  Value emitLinear(const std::string &prefix, Value x,
                   ArrayRef<int64_t> outShape, int64_t contracting, double std);
  Value emitAttention(const std::string &prefix, Value x, Value positions);
  Value emitMlp(const std::string &prefix, Value x);
  Value emitDropout(Value x, double rate) {
    if (rate <= 0.0)
      return x;
    return tfm::DropoutOp::create(builder, x.getLoc(), x,
                                  builder.getF64FloatAttr(rate),
                                  /*rng_stream=*/IntegerAttr(),
                                  /*mask_split_dim=*/IntegerAttr(),
                                  /*mask_split_axis=*/StringAttr());
  }
  void emitLayer(int64_t index, Value &hidden, Value positions);

  // Prompt learning and LoRA (PromptLearningGen.cpp).
  /// Each task's virtual tokens in place of their positions' embeddings.
  Value emitVirtualTokens(Value embeddings, Value virtualTokens);
  /// A task's table: its prompt-tuning parameter, or p-tuning's encoder.
  Value emitTaskTable(const PromptTask &task);
  /// One linear layer of a p-tuning encoder, initialized as PyTorch does.
  Value emitEncoderLinear(const std::string &name, Value x, int64_t in,
                          int64_t out);
  Value emitMlpEncoder(const std::string &prefix, Value input);
  Value emitLstmEncoder(const std::string &prefix, Value input);
  /// y + (alpha / r) * dropout(x) A B for each of |outputs| (the
  /// projections sharing one LoRA adapter, named |adapter|; |names| name
  /// each linear_out, |targets| each projection), in order. With
  /// options.mergeLora nothing is emitted: the adapter's tensors are
  /// recorded for loraMergeAttr.
  void addLora(const std::string &adapter, Value x, int64_t contracting,
               ArrayRef<std::string> names,
               ArrayRef<SmallVector<int64_t, 2>> outShapes,
               ArrayRef<std::string> targets, MutableArrayRef<Value> outputs);
  /// kLoraMergeAttrName's value: the updates addLora recorded.
  DictionaryAttr loraMergeAttr();
  DictionaryAttr configAttr();
  DictionaryAttr recordedKeysAttr();
  /// The tasks with virtual tokens as kPromptTasksAttrName says.
  ArrayAttr promptTasksAttr();

  const ModelDescription &d;
  const EmitOptions options;
  MLIRContext &ctx;
  OpBuilder builder;
  ModuleOp module;
  Type floatType, parameterType, indexType;
  int64_t batch = 0, seq = 0;
  Operation *forwardOp = nullptr;     // parameters are declared before it
  SmallVector<Attribute> loraUpdates; // with options.mergeLora
};

} // namespace strata::frontend::detail

#endif // STRATA_FRONTENDS_TFMGEN_TFMEMITTER_H

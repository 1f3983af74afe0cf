//===- ModelDescription.h - A validated transformer model description ----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The plain-data result of reading a YAML model description (NeMo `model:`
// keys). Every field holds the effective value after defaults, `${...}`
// interpolation and command-line overrides; the parser has already checked
// every consistency rule, so consumers (the IR emitter, later the artifact
// writer) never re-validate. No MLIR dependency.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_MODELDESCRIPTION_H
#define STRATA_FRONTENDS_MODEL_MODELDESCRIPTION_H

#include "common/model_family.h"
#include "common/prompt_tasks.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata::frontend {

// The choices that decide the model family are shared with the compiler and
// the runtime (common/model_family.h).
using ::strata::Activation;
using ::strata::Normalization;
using ::strata::PositionEmbedding;
using ::strata::toString;
// Prompt learning's tasks are shared too (common/prompt_tasks.h).
using ::strata::PromptTask;
using ::strata::PromptTaskSet;
using ::strata::PromptTemplate;
using ::strata::VirtualPromptStyle;
/// Compute precision: NeMo's `precision` 32 | 16 | bf16 (and `*-mixed`);
/// 64 (Lightning's "64" / "64-true") gives an f64 program, for
/// finite-difference checks of gradients.
enum class Precision { FP32, FP16, BF16, FP64 };
/// How a half precision (bf16, f16) is applied, as NeMo does it
/// (docs/model-description.md#mixed-precision):
/// - None: every tensor in the precision (32, 64, and Lightning's
///   `bf16-true` / `16-true`);
/// - O1 (`megatron_amp_O2: false`, NeMo's default): f32 parameters,
///   gradients and moments; each parameter read is cast to the half type;
/// - O2 (`megatron_amp_O2: true`): half parameters, each trainable one with
///   an f32 main parameter; f32 gradients and moments.
enum class MixedPrecision { None, O1, O2 };
enum class RecomputeGranularity { None, Selective, Full };
enum class RecomputeMethod { None, Uniform, Block };

/// Where a value came from: a YAML node (1-based line and column) or a
/// command-line override (line 0, `file` is "<command line>").
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

/// p-tuning's prompt encoder (model.p_tuning, docs/prompt-learning.md):
/// each task's virtual tokens are the output of its own encoder.
struct PTuningSettings {
  /// NeMo's `mlp` and `tpmlp` (its tensor-parallel MLP) are both Mlp: a
  /// chain of num_layers linear layers with ReLU between them. Lstm: a
  /// bidirectional LSTM of num_layers layers and an MLP head.
  enum class EncoderType { Mlp, Lstm };
  EncoderType encoderType = EncoderType::Mlp;
  int64_t numLayers = 2;      // the MLP needs >= 2 (in -> hidden -> out)
  int64_t encoderHidden = 0;  // default hidden_size
  double dropout = 0.0;
};

/// LoRA (model.peft.peft_scheme lora, model.peft.lora_tuning): beside each
/// targeted frozen projection y = x W, y += (alpha / adapterDim) *
/// dropout(x) A B.
struct LoraSettings {
  bool enabled = false;
  int64_t adapterDim = 32;    // the rank r
  double alpha = 32;          // default adapter_dim (a scale of 1)
  double adapterDropout = 0.0;
  /// target_modules: NeMo's attention_qkv (the default), attention_dense,
  /// mlp_fc1, mlp_fc2; the groups attention, mlp and all set several.
  bool attentionQkv = false;
  bool attentionDense = false;
  bool mlpFc1 = false;
  bool mlpFc2 = false;
};

/// A key that Strata accepts (a known NeMo key) but whose value does not
/// change the compiled program yet. Kept so nothing is dropped silently.
struct RecordedKey {
  std::string path;   // dotted, e.g. "model.apply_query_key_layer_scaling"
  std::string value;  // the YAML scalar text, or a flow-style rendering
  SourceLocation location;
};

/// A training hyperparameter the description gives (NeMo's model.optim and
/// trainer keys): a default of `strata-run train`, which flags override
/// (docs/cli.md). The artifact carries it with its location.
struct TrainingSetting {
  /// NeMo's path without "model.": "optim.lr", "optim.betas",
  /// "optim.sched.name", "trainer.max_steps"...
  std::string key;
  /// Its number, or numbers (betas); empty for a name.
  std::vector<double> numbers;
  /// A name (optim.name, optim.sched.name); empty for numbers.
  std::string text;
  SourceLocation location;
};

struct ModelDescription {
  std::string name;        // top-level `name:`, else the file stem
  std::string sourcePath;  // the file it was read from ("" for a string)
  std::string sourceText;  // the YAML text, verbatim, for the artifact

  // Architecture.
  int64_t numLayers = 0;
  int64_t hiddenSize = 0;
  int64_t ffnHiddenSize = 0;      // default 4 * hidden_size
  int64_t numAttentionHeads = 0;
  int64_t numQueryGroups = 0;     // default num_attention_heads (MHA)
  int64_t headDim = 0;            // kv_channels, default hidden / heads
  int64_t seqLength = 0;          // seq_length or encoder_seq_length
  int64_t maxPositionEmbeddings = 0;  // default seq_length
  int64_t vocabSize = 0;          // tokenizer vocabulary (0 when unknown)
  int64_t paddedVocabSize = 0;    // rows of the embedding table
  Normalization normalization = Normalization::LayerNorm;
  Activation activation = Activation::Gelu;
  PositionEmbedding positionEmbedding = PositionEmbedding::LearnedAbsolute;
  double rotaryPercentage = 1.0;  // fraction of head_dim that RoPE rotates
  double rotaryBase = 10000.0;
  bool shareEmbeddingsAndOutputWeights = true;
  bool bias = true;               // biases in linear layers and norms
  double hiddenDropout = 0.1;
  double attentionDropout = 0.1;
  double ffnDropout = 0.0;
  double initMethodStd = 0.02;
  bool useScaledInitMethod = true;  // output layers: std / sqrt(2 * layers)
  double layernormEpsilon = 1e-5;
  /// Scores scaled by 1 / sqrt(head_dim) (NeMo's normalize_attention_scores;
  /// false: unscaled, for models converted from checkpoints trained so).
  bool normalizeAttentionScores = true;
  /// NeMo's do_layer_norm_weight_decay: true puts every parameter (norm
  /// weights and biases too) under weight decay; false (Megatron's groups)
  /// exempts norm weights and biases.
  bool doLayerNormWeightDecay = false;

  // Parallelism and batching.
  int64_t tensorParallelSize = 1;
  int64_t pipelineParallelSize = 1;
  int64_t virtualPipelineParallelSize = 1;  // 1 = no interleaving
  int64_t dataParallelSize = 1;   // devices * num_nodes / (tp * pp)
  bool sequenceParallel = false;
  /// optim.name distributed_fused_adam (NeMo; Megatron-LM's
  /// --use-distributed-optimizer): each data-parallel rank keeps the AdamW
  /// state of 1/dp of every parameter. No effect with dp = 1.
  bool distributedOptimizer = false;
  RecomputeGranularity recomputeGranularity = RecomputeGranularity::None;
  RecomputeMethod recomputeMethod = RecomputeMethod::None;
  int64_t recomputeNumLayers = 0;
  int64_t microBatchSize = 1;
  int64_t globalBatchSize = 1;
  Precision precision = Precision::FP32;
  MixedPrecision mixedPrecision = MixedPrecision::None;
  /// f16 dynamic loss scaling (NeMo's GradScaler; only f16 mixed precision
  /// scales): the first scale, the steps without overflow before it
  /// doubles, and the overflowing steps in a row before it halves.
  double lossScaleInit = 4294967296.0; // native_amp_init_scale, 2^32
  int64_t lossScaleGrowthInterval = 1000; // native_amp_growth_interval
  int64_t lossScaleHysteresis = 2;        // hysteresis

  // Prompt learning and LoRA on a frozen base (docs/prompt-learning.md).
  /// model.virtual_prompt_style; unset: no virtual tokens.
  std::optional<VirtualPromptStyle> virtualPromptStyle;
  /// The tasks named by existing_tasks and new_tasks, in the order of
  /// task_templates; trained ones are those of new_tasks. With a style each
  /// has virtual tokens; with LoRA alone none has (totalVirtualTokens 0:
  /// NeMo's PEFT on task data); with neither there are none.
  PromptTaskSet promptTasks;
  /// model.language_model_path: the frozen base checkpoint, a relative path
  /// resolved against the description's directory; "" when not given.
  std::string languageModelPath;
  /// model.p_tuning; used only with virtualPromptStyle p-tuning.
  PTuningSettings pTuning;
  LoraSettings lora;

  /// Prompt learning or LoRA: only the added parameters train, the base
  /// model's have no gradient, optimizer state or main parameter.
  bool freezesBase() const {
    return virtualPromptStyle.has_value() || lora.enabled;
  }

  /// Training hyperparameters the description gives, in a fixed order (the
  /// key order of docs/model-description.md#training); those not given are
  /// absent. The compiler passes them to the artifact.
  std::vector<TrainingSetting> trainingSettings;

  /// Known keys accepted but not used by the compiler yet, in file order.
  std::vector<RecordedKey> recordedKeys;
};

const char *toString(Precision v);
const char *toString(MixedPrecision v);
const char *toString(RecomputeGranularity v);
const char *toString(RecomputeMethod v);
const char *toString(PTuningSettings::EncoderType v);

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_MODELDESCRIPTION_H

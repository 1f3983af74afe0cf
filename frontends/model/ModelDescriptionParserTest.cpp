//===- ModelDescriptionParserTest.cpp - Keys, types, values --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The per-value rules: document shape, unknown and duplicate keys, types,
// ranges, spellings, nulls, recorded keys, files. Cross-key rules are in
// ConsistencyRulesTest.cpp.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ModelDescriptionParser.h"

#include "frontends/model/ParserTestSupport.h"

#include <filesystem>
#include <fstream>

namespace strata::frontend {
namespace {

using namespace strata::frontend::testing;

//===----------------------------------------------------------------------===//
// A good description
//===----------------------------------------------------------------------===//

TEST(ModelDescriptionParserTest, MinimalDescriptionGetsNeMoDefaults) {
  ModelDescription d = parseOk(baseModel());
  EXPECT_EQ(d.name, "test");
  EXPECT_EQ(d.sourcePath, "");
  EXPECT_EQ(d.sourceText, baseModel());
  EXPECT_EQ(d.numLayers, 4);
  EXPECT_EQ(d.hiddenSize, 128);
  EXPECT_EQ(d.ffnHiddenSize, 512);
  EXPECT_EQ(d.numAttentionHeads, 4);
  EXPECT_EQ(d.numQueryGroups, 4);
  EXPECT_EQ(d.headDim, 32);
  EXPECT_EQ(d.seqLength, 128);
  EXPECT_EQ(d.maxPositionEmbeddings, 128);
  EXPECT_EQ(d.vocabSize, 50257);
  EXPECT_EQ(d.paddedVocabSize, 50304);
  EXPECT_EQ(d.normalization, Normalization::LayerNorm);
  EXPECT_EQ(d.activation, Activation::Gelu);
  EXPECT_EQ(d.positionEmbedding, PositionEmbedding::LearnedAbsolute);
  EXPECT_EQ(d.rotaryPercentage, 1.0);
  EXPECT_EQ(d.rotaryBase, 10000.0);
  EXPECT_TRUE(d.shareEmbeddingsAndOutputWeights);
  EXPECT_TRUE(d.bias);
  EXPECT_EQ(d.hiddenDropout, 0.1);
  EXPECT_EQ(d.attentionDropout, 0.1);
  EXPECT_EQ(d.ffnDropout, 0.0);
  EXPECT_EQ(d.initMethodStd, 0.02);
  EXPECT_TRUE(d.useScaledInitMethod);
  EXPECT_EQ(d.layernormEpsilon, 1e-5);
  EXPECT_EQ(d.tensorParallelSize, 1);
  EXPECT_EQ(d.pipelineParallelSize, 1);
  EXPECT_EQ(d.virtualPipelineParallelSize, 1);
  EXPECT_EQ(d.dataParallelSize, 1);
  EXPECT_FALSE(d.sequenceParallel);
  EXPECT_EQ(d.recomputeGranularity, RecomputeGranularity::None);
  EXPECT_EQ(d.recomputeMethod, RecomputeMethod::None);
  EXPECT_EQ(d.recomputeNumLayers, 0);
  EXPECT_EQ(d.microBatchSize, 1);
  EXPECT_EQ(d.globalBatchSize, 1);
  EXPECT_EQ(d.precision, Precision::FP32);
  ASSERT_EQ(d.recordedKeys.size(), 1u);
  EXPECT_EQ(d.recordedKeys[0].path, "model.tokenizer.type");
}

TEST(ModelDescriptionParserTest, EveryUsedKeyReachesItsField) {
  ModelDescription d = parseOk(R"(name: my-model
model:
  num_layers: 6
  hidden_size: 96
  ffn_hidden_size: 200
  num_attention_heads: 6
  num_query_groups: 3
  kv_channels: 24
  seq_length: 64
  max_position_embeddings: 80
  padded_vocab_size: 1000
  make_vocab_size_divisible_by: 8
  normalization: rmsnorm
  activation: swiglu
  position_embedding_type: rope
  rotary_percentage: 0.5
  rotary_base: 500000
  share_embeddings_and_output_weights: false
  bias: False
  hidden_dropout: 0.2
  attention_dropout: 0.0
  ffn_dropout: 0.05
  init_method_std: 0.01
  use_scaled_init_method: FALSE
  layernorm_epsilon: 1e-6
  tensor_model_parallel_size: 1
  pipeline_model_parallel_size: 3
  virtual_pipeline_model_parallel_size: 2
  sequence_parallel: false
  activations_checkpoint_granularity: full
  activations_checkpoint_method: block
  activations_checkpoint_num_layers: 2
  micro_batch_size: 2
  global_batch_size: 16
  precision: bf16-mixed
)");
  EXPECT_EQ(d.name, "my-model");
  EXPECT_EQ(d.numLayers, 6);
  EXPECT_EQ(d.hiddenSize, 96);
  EXPECT_EQ(d.ffnHiddenSize, 200);
  EXPECT_EQ(d.numAttentionHeads, 6);
  EXPECT_EQ(d.numQueryGroups, 3);
  EXPECT_EQ(d.headDim, 24);
  EXPECT_EQ(d.seqLength, 64);
  EXPECT_EQ(d.maxPositionEmbeddings, 80);
  EXPECT_EQ(d.vocabSize, 0);
  EXPECT_EQ(d.paddedVocabSize, 1000);
  EXPECT_EQ(d.normalization, Normalization::RMSNorm);
  EXPECT_EQ(d.activation, Activation::SwiGLU);
  EXPECT_EQ(d.positionEmbedding, PositionEmbedding::Rope);
  EXPECT_EQ(d.rotaryPercentage, 0.5);
  EXPECT_EQ(d.rotaryBase, 500000.0);
  EXPECT_FALSE(d.shareEmbeddingsAndOutputWeights);
  EXPECT_FALSE(d.bias);
  EXPECT_EQ(d.hiddenDropout, 0.2);
  EXPECT_EQ(d.attentionDropout, 0.0);
  EXPECT_EQ(d.ffnDropout, 0.05);
  EXPECT_EQ(d.initMethodStd, 0.01);
  EXPECT_FALSE(d.useScaledInitMethod);
  EXPECT_EQ(d.layernormEpsilon, 1e-6);
  EXPECT_EQ(d.pipelineParallelSize, 3);
  EXPECT_EQ(d.virtualPipelineParallelSize, 2);
  EXPECT_EQ(d.recomputeGranularity, RecomputeGranularity::Full);
  EXPECT_EQ(d.recomputeMethod, RecomputeMethod::Block);
  EXPECT_EQ(d.recomputeNumLayers, 2);
  EXPECT_EQ(d.microBatchSize, 2);
  EXPECT_EQ(d.globalBatchSize, 16);
  EXPECT_EQ(d.precision, Precision::BF16);
  EXPECT_TRUE(d.recordedKeys.empty());
}

TEST(ModelDescriptionParserTest, NameDefaultsToTheFileStem) {
  ParseResult r = parseModelDescription(baseModel(), "/some/dir/gpt-small.yaml");
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_EQ(r.description->name, "gpt-small");
  EXPECT_EQ(parseModelDescription(baseModel(), "").description->name, "model");
}

TEST(ModelDescriptionParserTest, NameMustBeAString) {
  EXPECT_TRUE(hasError(parse("name: [a]\n" + baseModel()), 1,
                       "name must be a non-empty string, got a sequence", 7));
}

//===----------------------------------------------------------------------===//
// Document shape
//===----------------------------------------------------------------------===//

TEST(ModelDescriptionParserTest, EmptyDocument) {
  ParseResult r = parse("# nothing\n");
  EXPECT_TRUE(hasError(r, 1, "the description is empty; expected a mapping "
                             "with a 'model:' section", 1));
  EXPECT_EQ(errorCount(r), 1u);
  EXPECT_TRUE(hasError(parse(""), 1, "the description is empty"));
}

TEST(ModelDescriptionParserTest, TopLevelMustBeAMapping) {
  EXPECT_TRUE(hasError(parse("- a\n- b\n"), 1,
                       "expected a mapping with a 'model:' section at the top "
                       "level, got a sequence"));
  EXPECT_TRUE(hasError(parse("just text\n"), 1,
                       "at the top level, got just text"));
}

TEST(ModelDescriptionParserTest, ModelSectionIsRequired) {
  ParseResult r = parse("name: x\ntrainer:\n  devices: 1\n");
  EXPECT_TRUE(hasError(r, 1, "missing the 'model:' section", 1));
  EXPECT_EQ(errorCount(r), 1u);
}

TEST(ModelDescriptionParserTest, ModelMustBeAMapping) {
  ParseResult r = parse("model: [1, 2]\n");
  EXPECT_TRUE(hasError(r, 1, "model must be a mapping, got a sequence", 8));
  EXPECT_EQ(errorCount(r), 1u) << dump(r);
  EXPECT_TRUE(hasError(parse("model:\n"), 1, "model must be a mapping, got null"));
}

TEST(ModelDescriptionParserTest, MalformedYaml) {
  ParseResult r = parse("model:\n  num_layers: 4\n  hidden_size: [128\n");
  EXPECT_TRUE(hasError(r, 4, "invalid YAML: end of sequence flow not found"));
  EXPECT_EQ(errorCount(r), 1u);
}

TEST(ModelDescriptionParserTest, DuplicateKeys) {
  ParseResult r = parse(baseModel("  hidden_size: 256\n"));
  EXPECT_TRUE(hasError(r, 8, "duplicate key 'hidden_size' at line 8 (first set "
                             "at line 3)", 3));
  ParseResult top = parse(baseModel() + "model:\n  num_layers: 2\n");
  EXPECT_TRUE(hasError(top, 8, "duplicate key 'model' at line 8 (first set at "
                               "line 1)"));
}

TEST(ModelDescriptionParserTest, RequiredKeys) {
  ParseResult r = parse("model:\n  hidden_size: 128\n  padded_vocab_size: 64\n");
  EXPECT_TRUE(hasError(r, 1, "missing required key 'num_layers' in model"));
  EXPECT_TRUE(hasError(r, 1, "missing required key 'num_attention_heads' in model"));
  EXPECT_TRUE(hasError(r, 1, "missing required key 'encoder_seq_length' (or "
                             "'seq_length') in model"));
  EXPECT_EQ(errorCount(r), 3u);
}

TEST(ModelDescriptionParserTest, RequiredKeyGivenNull) {
  ParseResult r = parse(
      "model:\n  num_layers: ~\n  hidden_size: 8\n  num_attention_heads: 2\n"
      "  seq_length: 4\n  padded_vocab_size: 64\n");
  EXPECT_TRUE(hasError(r, 2, "num_layers must be given, got null", 15));
}

TEST(ModelDescriptionParserTest, MandatoryMarker) {
  ParseResult r = parse(baseModel("  ffn_hidden_size: ???\n"));
  EXPECT_TRUE(hasError(r, 8, "ffn_hidden_size is '\?\?\?', a value that must be "
                             "given; set it in the file or with an override"));
}

//===----------------------------------------------------------------------===//
// Unknown keys
//===----------------------------------------------------------------------===//

TEST(ModelDescriptionParserTest, UnknownModelKeyWithSuggestion) {
  ParseResult r = parse(baseModel("  num_layer: 4\n  hiden_size: 3\n"));
  EXPECT_TRUE(hasError(r, 8, "unknown key 'num_layer' in model; did you mean "
                             "'num_layers'?", 3));
  EXPECT_TRUE(hasError(r, 9, "unknown key 'hiden_size' in model; did you mean "
                             "'hidden_size'?", 3));
}

TEST(ModelDescriptionParserTest, UnknownKeyWithoutSuggestion) {
  ParseResult r = parse(baseModel("  completely_new_thing: 1\n"));
  EXPECT_TRUE(hasError(r, 8, "unknown key 'completely_new_thing' in model"));
  EXPECT_EQ(r.diagnostics[0].message.find("did you mean"), std::string::npos);
}

TEST(ModelDescriptionParserTest, UnknownTopLevelKey) {
  ParseResult r = parse(baseModel() + "exp_manger:\n  name: x\n");
  EXPECT_TRUE(hasError(r, 8, "unknown key 'exp_manger' at the top level; did "
                             "you mean 'exp_manager'?", 1));
}

TEST(ModelDescriptionParserTest, UnknownTrainerAndTokenizerKeys) {
  ParseResult r = parse("trainer:\n  device: 8\n" + baseModel() +
                        "    vocab_fil: x.json\n");
  EXPECT_TRUE(hasError(r, 2, "unknown key 'device' in trainer; did you mean "
                             "'devices'?"));
  EXPECT_TRUE(hasError(r, 10, "unknown key 'vocab_fil' in model.tokenizer; did "
                              "you mean 'vocab_file'?"));
}

TEST(ModelDescriptionParserTest, KeyInTheWrongSection) {
  ParseResult r = parse(baseModel("  num_nodes: 2\n"));
  EXPECT_TRUE(hasError(r, 8, "unknown key 'num_nodes' in model; 'num_nodes' "
                             "belongs in trainer"));
}

//===----------------------------------------------------------------------===//
// Types and ranges
//===----------------------------------------------------------------------===//

TEST(ModelDescriptionParserTest, IntegersMustBePlainIntegers) {
  ParseResult r = parse(baseModel("  ffn_hidden_size: \"512\"\n"
                                  "  micro_batch_size: 12.5\n"
                                  "  global_batch_size: true\n"
                                  "  kv_channels: {a: 1}\n"
                                  "  num_query_groups: [2]\n"));
  EXPECT_TRUE(hasError(r, 8, "ffn_hidden_size must be an integer, got the "
                             "string \"512\"", 20));
  EXPECT_TRUE(hasError(r, 9, "micro_batch_size must be an integer, got 12.5", 21));
  EXPECT_TRUE(hasError(r, 10, "global_batch_size must be an integer, got true"));
  EXPECT_TRUE(hasError(r, 11, "kv_channels must be an integer, got a mapping"));
  EXPECT_TRUE(hasError(r, 12, "num_query_groups must be an integer, got a sequence"));
  EXPECT_EQ(errorCount(r), 5u) << dump(r);
}

TEST(ModelDescriptionParserTest, IntegerSpellings) {
  ModelDescription d = parseOk(baseModel("  ffn_hidden_size: 0x200\n"
                                         "  micro_batch_size: +2\n"
                                         "  global_batch_size: 0o10\n"));
  EXPECT_EQ(d.ffnHiddenSize, 512);
  EXPECT_EQ(d.microBatchSize, 2);
  EXPECT_EQ(d.globalBatchSize, 8);
}

TEST(ModelDescriptionParserTest, SizesMustBePositive) {
  ParseResult r = parse(baseModel("  ffn_hidden_size: 0\n"
                                  "  micro_batch_size: -8\n"
                                  "  tensor_model_parallel_size: 0\n"
                                  "  activations_checkpoint_num_layers: -1\n"));
  EXPECT_TRUE(hasError(r, 8, "ffn_hidden_size must be positive, got 0", 20));
  EXPECT_TRUE(hasError(r, 9, "micro_batch_size must be positive, got -8"));
  EXPECT_TRUE(hasError(r, 10, "tensor_model_parallel_size must be positive, got 0"));
  EXPECT_TRUE(hasError(r, 11,
                       "activations_checkpoint_num_layers must be "
                       "0 or more, got -1"));
}

TEST(ModelDescriptionParserTest, HugeIntegers) {
  ParseResult r = parse(baseModel("  ffn_hidden_size: 99999999999999999999\n"
                                  "  micro_batch_size: 2000000000000\n"));
  EXPECT_TRUE(hasError(r, 8, "ffn_hidden_size 99999999999999999999 is too large "
                             "(at most 1099511627776)"));
  EXPECT_TRUE(hasError(r, 9, "micro_batch_size 2000000000000 is too large"));
}

TEST(ModelDescriptionParserTest, Probabilities) {
  ParseResult r = parse(baseModel("  hidden_dropout: 1\n"
                                  "  attention_dropout: -0.1\n"
                                  "  ffn_dropout: \"0.1\"\n"));
  EXPECT_TRUE(hasError(r, 8, "hidden_dropout must be in [0, 1), got 1"));
  EXPECT_TRUE(hasError(r, 9, "attention_dropout must be in [0, 1), got -0.1"));
  EXPECT_TRUE(hasError(r, 10, "ffn_dropout must be a number, got the string \"0.1\""));
  ModelDescription d = parseOk(baseModel("  hidden_dropout: 0\n"
                                         "  attention_dropout: 0.999\n"));
  EXPECT_EQ(d.hiddenDropout, 0.0);
  EXPECT_EQ(d.attentionDropout, 0.999);
}

TEST(ModelDescriptionParserTest, PositiveReals) {
  ParseResult r = parse(baseModel("  layernorm_epsilon: 0\n"
                                  "  init_method_std: -0.02\n"
                                  "  position_embedding_type: rope\n"
                                  "  rotary_base: 0.0\n"
                                  "  rotary_percentage: 1.5\n"));
  EXPECT_TRUE(hasError(r, 8, "layernorm_epsilon must be positive, got 0"));
  EXPECT_TRUE(hasError(r, 9, "init_method_std must be positive, got -0.02"));
  EXPECT_TRUE(hasError(r, 11, "rotary_base must be positive, got 0.0"));
  EXPECT_TRUE(hasError(r, 12, "rotary_percentage must be in (0, 1], got 1.5"));
  EXPECT_TRUE(hasError(parse(baseModel("  layernorm_epsilon: .inf\n")), 8,
                       "layernorm_epsilon must be a number, got .inf"));
}

TEST(ModelDescriptionParserTest, BooleansAreTrueOrFalseInAnyCase) {
  ModelDescription d = parseOk(baseModel("  bias: FALSE\n"
                                         "  share_embeddings_and_output_weights: False\n"
                                         "  use_scaled_init_method: TRUE\n"));
  EXPECT_FALSE(d.bias);
  EXPECT_FALSE(d.shareEmbeddingsAndOutputWeights);
  EXPECT_TRUE(d.useScaledInitMethod);
  ParseResult r = parse(baseModel("  bias: yes\n  sequence_parallel: \"true\"\n"
                                  "  use_scaled_init_method: 1\n"));
  EXPECT_TRUE(hasError(r, 8, "bias must be true or false, got yes", 9));
  EXPECT_TRUE(hasError(r, 9, "sequence_parallel must be true or false, got the "
                             "string \"true\""));
  EXPECT_TRUE(hasError(r, 10, "use_scaled_init_method must be true or false, got 1"));
}

TEST(ModelDescriptionParserTest, NullMeansTheDefault) {
  ModelDescription d = parseOk(baseModel("  ffn_hidden_size: null\n"
                                         "  kv_channels: ~\n"
                                         "  num_query_groups:\n"
                                         "  virtual_pipeline_model_parallel_size: null\n"
                                         "  activations_checkpoint_granularity: null\n"
                                         "  activations_checkpoint_method: null\n"
                                         "  activations_checkpoint_num_layers: null\n"
                                         "  hidden_dropout: null\n"
                                         "  bias: null\n"
                                         "  activation: null\n"
                                         "  precision: null\n"));
  EXPECT_EQ(d.ffnHiddenSize, 512);
  EXPECT_EQ(d.headDim, 32);
  EXPECT_EQ(d.numQueryGroups, 4);
  EXPECT_EQ(d.virtualPipelineParallelSize, 1);
  EXPECT_EQ(d.recomputeGranularity, RecomputeGranularity::None);
  EXPECT_EQ(d.hiddenDropout, 0.1);
  EXPECT_TRUE(d.bias);
  EXPECT_EQ(d.activation, Activation::Gelu);
  EXPECT_EQ(d.precision, Precision::FP32);
}

//===----------------------------------------------------------------------===//
// Enumerations
//===----------------------------------------------------------------------===//

TEST(ModelDescriptionParserTest, Activations) {
  const std::pair<const char *, Activation> cases[] = {
      {"gelu", Activation::Gelu},           {"fast-gelu", Activation::FastGelu},
      {"openai-gelu", Activation::FastGelu}, {"approx-gelu", Activation::FastGelu},
      {"swiglu", Activation::SwiGLU},       {"fast-swiglu", Activation::SwiGLU},
      {"'GeLU'", Activation::Gelu}};
  for (const auto &[text, expected] : cases)
    EXPECT_EQ(parseOk(baseModel(std::string("  activation: ") + text + "\n"))
                  .activation,
              expected)
        << text;
  for (const char *unsupported : {"geglu", "reglu", "squared-relu", "fast-geglu"})
    EXPECT_TRUE(hasError(parse(baseModel(std::string("  activation: ") +
                                         unsupported + "\n")),
                         8,
                         std::string("activation ") + unsupported +
                             " is not supported yet; use gelu, fast-gelu, "
                             "openai-gelu, approx-gelu, swiglu or fast-swiglu"));
  EXPECT_TRUE(hasError(parse(baseModel("  activation: relu\n")), 8,
                       "unknown activation 'relu'; expected gelu, fast-gelu, "
                       "openai-gelu, approx-gelu, swiglu or fast-swiglu"));
}

TEST(ModelDescriptionParserTest, Normalizations) {
  EXPECT_EQ(parseOk(baseModel("  normalization: rmsnorm\n")).normalization,
            Normalization::RMSNorm);
  EXPECT_EQ(parseOk(baseModel("  normalization: 'layernorm'\n")).normalization,
            Normalization::LayerNorm);
  EXPECT_EQ(parseOk(baseModel("  normalization: layernorm1p\n")).normalization,
            Normalization::LayerNorm1P);
  EXPECT_TRUE(hasError(
      parse(baseModel("  normalization: low_precision_layernorm\n")), 8,
      "normalization low_precision_layernorm is not "
      "supported yet; use layernorm, layernorm1p or rmsnorm",
      18));
  EXPECT_TRUE(hasError(parse(baseModel("  normalization: rmsnrom\n")), 8,
                       "unknown normalization 'rmsnrom'; expected layernorm, "
                       "layernorm1p or rmsnorm; did you mean 'rmsnorm'?"));
  EXPECT_TRUE(hasError(parse(baseModel("  normalization: nonsense\n")), 8,
                       "unknown normalization 'nonsense'; expected layernorm, "
                       "layernorm1p or rmsnorm",
                       18));
}

TEST(ModelDescriptionParserTest, PositionEmbeddings) {
  EXPECT_EQ(parseOk(baseModel("  position_embedding_type: rope\n"))
                .positionEmbedding,
            PositionEmbedding::Rope);
  for (const char *unsupported : {"alibi", "none", "xpos", "kerple", "sandwich"})
    EXPECT_TRUE(hasError(parse(baseModel(std::string("  position_embedding_type: ") +
                                         unsupported + "\n")),
                         8,
                         std::string("position_embedding_type ") + unsupported +
                             " is not supported yet; use learned_absolute or rope"));
}

TEST(ModelDescriptionParserTest, Precisions) {
  const std::pair<const char *, Precision> cases[] = {
      {"32", Precision::FP32},          {"'32'", Precision::FP32},
      {"32-true", Precision::FP32},     {"16", Precision::FP16},
      {"16-mixed", Precision::FP16},    {"\"16-mixed\"", Precision::FP16},
      {"bf16", Precision::BF16},        {"bf16-mixed", Precision::BF16},
      {"BF16", Precision::BF16},        {"64", Precision::FP64},
      {"64-true", Precision::FP64},     {"'64'", Precision::FP64},
      {"fp64", Precision::FP64}};
  for (const auto &[text, expected] : cases) {
    EXPECT_EQ(parseOk(baseModel(std::string("  precision: ") + text + "\n"))
                  .precision,
              expected)
        << text;
    EXPECT_EQ(parseOk("trainer:\n  precision: " + std::string(text) + "\n" +
                      baseModel())
                  .precision,
              expected)
        << text;
  }
  EXPECT_TRUE(hasError(parse(baseModel("  precision: transformer-engine\n")), 8,
                       "precision transformer-engine is not supported yet; use "
                       "32, 32-true, fp32, 16, 16-mixed, 16-true, fp16, bf16, "
                       "bf16-mixed, bf16-true, 64, 64-true or fp64"));
  EXPECT_TRUE(hasError(parse(baseModel("  precision: 8\n")), 8,
                       "unknown precision '8'"));
}

TEST(ModelDescriptionParserTest, RecomputeSpellings) {
  EXPECT_TRUE(hasError(parse(baseModel("  activations_checkpoint_granularity: "
                                       "partial\n")),
                       8,
                       "unknown activations_checkpoint_granularity 'partial'; "
                       "expected selective or full"));
  EXPECT_TRUE(hasError(parse(baseModel("  activations_checkpoint_method: unifrom\n")),
                       8,
                       "unknown activations_checkpoint_method 'unifrom'; "
                       "expected uniform or block; did you mean 'uniform'?"));
}

//===----------------------------------------------------------------------===//
// Recorded keys
//===----------------------------------------------------------------------===//

TEST(ModelDescriptionParserTest, RecordedKeysKeepFileOrderAndText) {
  ModelDescription d = parseOk(R"(name: rec
restore_from_path: null
trainer:
  devices: 1
  max_steps: 100
model:
  apply_query_key_layer_scaling: True
  num_layers: 4
  hidden_size: 128
  num_attention_heads: 4
  encoder_seq_length: 128
  persist_layer_norm: true
  tokenizer:
    library: 'megatron'
    type: GPT2BPETokenizer
    merge_file: null
  optim:
    name: fused_adam
    lr: 2e-4
    betas:
    - 0.9
    - 0.98
  seed: 1234
exp_manager:
  name: megatron_gpt
  model_parallel_size: ${multiply:${model.tensor_model_parallel_size}, 1}
)");
  std::vector<std::pair<std::string, std::string>> recorded;
  for (const RecordedKey &key : d.recordedKeys)
    recorded.emplace_back(key.path, key.value);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"restore_from_path", "null"},
      {"model.apply_query_key_layer_scaling", "True"},
      {"model.persist_layer_norm", "true"},
      {"model.tokenizer.library", "megatron"},
      {"model.tokenizer.type", "GPT2BPETokenizer"},
      {"model.tokenizer.merge_file", "null"},
      {"model.seed", "1234"},
      {"exp_manager",
       "{name: megatron_gpt, model_parallel_size: "
       "\"${multiply:${model.tensor_model_parallel_size}, 1}\"}"},
  };
  EXPECT_EQ(recorded, expected);
  EXPECT_EQ(d.recordedKeys[1].location.line, 7);
  EXPECT_EQ(d.recordedKeys[1].location.column, 34);
  EXPECT_EQ(d.recordedKeys[6].location.line, 23);
  // optim and trainer.max_steps are training settings now, not recorded.
  EXPECT_EQ(d.trainingSettings.front().key, "optim.name");
}

TEST(ModelDescriptionParserTest, RecordedMappingsAreNotValidated) {
  ModelDescription d = parseOk(baseModel("  data:\n    anything: [goes, {here: 1}]\n"
                                         "    seq_length: ${model.nonexistent}\n"));
  EXPECT_EQ(d.recordedKeys.back().path, "model.data");
}

TEST(ModelDescriptionParserTest, UnimplementedRecordedValuesWarn) {
  ParseResult r = parse(baseModel("  transformer_block_type: post_ln\n"
                                  "  headscale: False\n"
                                  "  context_parallel_size: 2\n"));
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_TRUE(hasWarning(r, 8,
                         "transformer_block_type post_ln is not "
                         "implemented and is ignored; Strata builds the "
                         "model with transformer_block_type pre_ln"));
  EXPECT_TRUE(hasWarning(r, 10, "context_parallel_size 2 is not implemented"));
  EXPECT_EQ(r.diagnostics.size(), 2u) << dump(r); // headscale False is fine
}

// NeMo's keys that change the math (docs/model-description.md).
TEST(ModelDescriptionParserTest, OpenaiGeluPicksTheTanhGelu) {
  EXPECT_EQ(parseOk(baseModel("  openai_gelu: True\n")).activation,
            Activation::FastGelu);
  EXPECT_EQ(parseOk(baseModel("  openai_gelu: false\n")).activation,
            Activation::Gelu);
  // Megatron applies it to gelu only; SwiGLU ignores it, silently.
  ParseResult swiglu =
      parse(baseModel("  activation: swiglu\n  openai_gelu: true\n"));
  ASSERT_TRUE(swiglu.succeeded()) << dump(swiglu);
  EXPECT_TRUE(swiglu.diagnostics.empty()) << dump(swiglu);
  EXPECT_EQ(swiglu.description->activation, Activation::SwiGLU);
  EXPECT_TRUE(hasError(parse(baseModel("  openai_gelu: maybe\n")), 8,
                       "openai_gelu must be true or false, got maybe"));
}

TEST(ModelDescriptionParserTest, AttentionScoresAndNormWeightDecay) {
  ModelDescription d =
      parseOk(baseModel("  normalize_attention_scores: false\n"
                        "  do_layer_norm_weight_decay: true\n"
                        "  apply_query_key_layer_scaling: true\n"));
  EXPECT_FALSE(d.normalizeAttentionScores);
  EXPECT_TRUE(d.doLayerNormWeightDecay);
  ModelDescription defaults = parseOk(baseModel());
  EXPECT_TRUE(defaults.normalizeAttentionScores);
  EXPECT_FALSE(defaults.doLayerNormWeightDecay);
  EXPECT_TRUE(
      hasError(parse(baseModel("  normalize_attention_scores: 2\n")), 8,
               "normalize_attention_scores must be true or false, got 2"));
}

// The launcher's compiler hints are accepted without a word.
TEST(ModelDescriptionParserTest, CompilerHintsAreSilent) {
  ParseResult r = parse(baseModel("  bias_activation_fusion: True\n"
                                  "  bias_dropout_add_fusion: True\n"
                                  "  masked_softmax_fusion: True\n"
                                  "  persist_layer_norm: True\n"
                                  "  gradient_as_bucket_view: True\n"
                                  "  apply_rope_fusion: true\n"
                                  "  cross_entropy_loss_fusion: true\n"
                                  "  fp8_wgrad: True\n"
                                  "  seed: 1234\n"));
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
}

//===----------------------------------------------------------------------===//
// NeMo's tokenizer files
//===----------------------------------------------------------------------===//

/// A tokenizer section from line 6 on (after baseModel's first 5 lines).
std::string withTokenizer(std::string_view tokenizer) {
  return std::string("model:\n  num_layers: 4\n  hidden_size: 128\n"
                     "  num_attention_heads: 4\n  encoder_seq_length: 128\n"
                     "  tokenizer:\n") +
         std::string(tokenizer);
}

TEST(ModelDescriptionParserTest, LauncherPathsOfGpt2AreLeftAlone) {
  // megatron + GPT2BPETokenizer is GPT-2's vocabulary whatever the paths.
  ParseResult r =
      parse(withTokenizer("    library: 'megatron'\n"
                          "    type: 'GPT2BPETokenizer'\n"
                          "    vocab_file: ${data_dir}/bpe/vocab.json\n"
                          "    merge_file: ${data_dir}/bpe/merges.txt\n"));
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  EXPECT_EQ(r.description->vocabSize, 50257);
  EXPECT_EQ(r.description->paddedVocabSize, 50304);
  // A reference to a key that exists is still followed.
  ParseResult typo = parse(withTokenizer("    type: GPT2BPETokenizer\n"
                                         "    vocab_file: ${model.nope}\n"));
  EXPECT_TRUE(hasError(typo, 8,
                       "interpolation '${model.nope}' refers to a key "
                       "that does not exist"));
}

TEST(ModelDescriptionParserTest, UnresolvableSentencePieceModelIsNamed) {
  ParseResult r =
      parse(withTokenizer("    library: 'sentencepiece'\n"
                          "    model: ${data_dir}/llama/tok.model\n"));
  EXPECT_TRUE(
      hasError(r, 8,
               "the vocabulary size is unknown: model.tokenizer.model "
               "'${data_dir}/llama/tok.model' refers to data_dir, which "
               "the description does not define (NeMo's launcher "
               "does); give it with an override (data_dir=DIR), or set "
               "padded_vocab_size or tokenizer.vocab_size",
               12));
  // With the vocabulary from elsewhere the path is left alone.
  ParseResult sized =
      parse(withTokenizer("    library: 'sentencepiece'\n"
                          "    model: ${data_dir}/llama/tok.model\n"
                          "    vocab_size: 32000\n"));
  ASSERT_TRUE(sized.succeeded()) << dump(sized);
  EXPECT_EQ(sized.description->vocabSize, 32000);
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

TEST(ModelDescriptionParserTest, ReadsFiles) {
  std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "strata-parser-test";
  std::filesystem::create_directories(dir);
  std::filesystem::path file = dir / "from-file.yaml";
  std::ofstream(file) << baseModel();
  ParseResult r = parseModelDescriptionFile(file.string());
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_EQ(r.description->sourcePath, file.string());
  EXPECT_EQ(r.description->name, "from-file");
  EXPECT_EQ(r.description->sourceText, baseModel());

  ParseResult missing = parseModelDescriptionFile((dir / "nope.yaml").string());
  ASSERT_EQ(missing.diagnostics.size(), 1u);
  EXPECT_FALSE(missing.succeeded());
  EXPECT_EQ(missing.diagnostics[0].location.line, 0);
  EXPECT_EQ(missing.diagnostics[0].message,
            "cannot read the model description: No such file or directory");

  ParseResult directory = parseModelDescriptionFile(dir.string());
  ASSERT_EQ(directory.diagnostics.size(), 1u);
  EXPECT_EQ(directory.diagnostics[0].message,
            "cannot read the model description: it is a directory");
  std::filesystem::remove_all(dir);
}

TEST(ModelDescriptionParserTest, DiagnosticsNameTheFile) {
  ParseResult r = parseModelDescription(baseModel("  bias: 3\n"), "dir/x.yaml");
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_EQ(r.diagnostics[0].location.file, "dir/x.yaml");
  EXPECT_EQ(formatDiagnostic(r.diagnostics[0], baseModel("  bias: 3\n")),
            "dir/x.yaml:8:9: error: bias must be true or false, got 3\n"
            "    bias: 3\n"
            "          ^\n");
}

TEST(ModelDescriptionParserTest, ManyErrorsAreCapped) {
  std::string extra;
  for (int i = 0; i < 5000; ++i)
    extra += "  unknown_" + std::to_string(i) + ": 1\n";
  ParseResult r = parse(baseModel(extra));
  EXPECT_FALSE(r.succeeded());
  EXPECT_LE(r.diagnostics.size(), 60u);
}

TEST(ModelDescriptionParserTest, ToStringUsesNeMoSpellings) {
  EXPECT_STREQ(toString(Normalization::RMSNorm), "rmsnorm");
  EXPECT_STREQ(toString(Activation::FastGelu), "fast-gelu");
  EXPECT_STREQ(toString(Activation::SwiGLU), "swiglu");
  EXPECT_STREQ(toString(PositionEmbedding::LearnedAbsolute), "learned_absolute");
  EXPECT_STREQ(toString(Precision::BF16), "bf16");
  EXPECT_STREQ(toString(Precision::FP32), "32");
  EXPECT_STREQ(toString(Precision::FP64), "64");
  EXPECT_STREQ(toString(RecomputeGranularity::Selective), "selective");
  EXPECT_STREQ(toString(RecomputeMethod::Block), "block");
  EXPECT_STREQ(toString(RecomputeMethod::None), "null");
}

} // namespace
} // namespace strata::frontend

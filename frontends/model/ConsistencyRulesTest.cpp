//===- ConsistencyRulesTest.cpp - Rules that relate several keys ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// One good and one bad case per rule; bad cases check the message, the
// line it points at and the line it names for the other key.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ParserTestSupport.h"

namespace strata::frontend {
namespace {

using namespace strata::frontend::testing;

/// A model with |heads|, |hidden| and extra keys from line 6 on; no
/// tokenizer, padded_vocab_size 1024 at line 5.
///   1 model:
///   2   num_layers: 8
///   3   hidden_size: <hidden>
///   4   num_attention_heads: <heads>
///   5   padded_vocab_size: 1024
///   6.. extra (the sequence length must be among them or defaults to
///       seq_length 64 at the end)
std::string sized(int hidden, int heads, std::string_view extra,
                  bool withSeq = true) {
  return "model:\n  num_layers: 8\n  hidden_size: " + std::to_string(hidden) +
         "\n  num_attention_heads: " + std::to_string(heads) +
         "\n  padded_vocab_size: 1024\n" + std::string(extra) +
         (withSeq ? "  seq_length: 64\n" : "");
}

//===----------------------------------------------------------------------===//
// Heads, groups, head size
//===----------------------------------------------------------------------===//

TEST(ConsistencyRulesTest, HeadsDivideHidden) {
  EXPECT_EQ(parseOk(sized(768, 12, "")).headDim, 64);
  ParseResult r = parse(sized(770, 12, ""));
  EXPECT_TRUE(hasError(r, 3, "hidden_size 770 is not divisible by "
                             "num_attention_heads 12 (line 4); change one or "
                             "set kv_channels", 16));
  EXPECT_EQ(errorCount(r), 1u) << dump(r);
}

TEST(ConsistencyRulesTest, KvChannelsLiftsTheHeadRule) {
  ModelDescription d = parseOk(sized(770, 10, "  kv_channels: 80\n"));
  EXPECT_EQ(d.headDim, 80);
  EXPECT_EQ(d.hiddenSize, 770);
}

TEST(ConsistencyRulesTest, QueryGroupsDivideHeads) {
  EXPECT_EQ(parseOk(sized(768, 12, "  num_query_groups: 4\n")).numQueryGroups, 4);
  EXPECT_EQ(parseOk(sized(768, 12, "  num_query_groups: 1\n")).numQueryGroups, 1);
  ParseResult r = parse(sized(768, 12, "  num_query_groups: 5\n"));
  EXPECT_TRUE(hasError(r, 6, "num_attention_heads 12 (line 4) is not divisible "
                             "by num_query_groups 5", 21));
  EXPECT_TRUE(hasError(parse(sized(768, 12, "  num_query_groups: 24\n")), 6,
                       "is not divisible by num_query_groups 24"));
}

//===----------------------------------------------------------------------===//
// Tensor parallelism
//===----------------------------------------------------------------------===//

TEST(ConsistencyRulesTest, TensorParallelDividesHeadsGroupsAndFfn) {
  ModelDescription d = parseOk(sized(768, 12, "  tensor_model_parallel_size: 4\n"
                                              "  num_query_groups: 4\n"));
  EXPECT_EQ(d.tensorParallelSize, 4);

  ParseResult heads = parse(sized(768, 12, "  tensor_model_parallel_size: 8\n"));
  EXPECT_TRUE(hasError(heads, 6, "num_attention_heads 12 (line 4) is not "
                                 "divisible by tensor_model_parallel_size 8", 31));

  ParseResult groups = parse(sized(768, 12, "  num_query_groups: 2\n"
                                            "  tensor_model_parallel_size: 4\n"));
  EXPECT_TRUE(hasError(groups, 7, "num_query_groups 2 (line 6) is not divisible "
                                  "by tensor_model_parallel_size 4"));

  ParseResult ffn = parse(sized(768, 12, "  ffn_hidden_size: 3070\n"
                                         "  tensor_model_parallel_size: 4\n"));
  EXPECT_TRUE(hasError(ffn, 7, "ffn_hidden_size 3070 (line 6) is not divisible "
                               "by tensor_model_parallel_size 4"));
}

TEST(ConsistencyRulesTest, DefaultFfnIsNamedAsADefault) {
  // Only with kv_channels can heads split evenly while 4 * hidden does not.
  ParseResult r = parse(sized(5, 8, "  kv_channels: 1\n"
                                    "  tensor_model_parallel_size: 8\n"));
  EXPECT_TRUE(hasError(r, 7, "ffn_hidden_size 20 (default 4 * hidden_size) is "
                             "not divisible by tensor_model_parallel_size 8"));
  EXPECT_EQ(errorCount(r), 1u) << dump(r);
}

//===----------------------------------------------------------------------===//
// Rotary embeddings
//===----------------------------------------------------------------------===//

TEST(ConsistencyRulesTest, RotaryKeysNeedRope) {
  ModelDescription d = parseOk(sized(768, 12, "  position_embedding_type: rope\n"
                                              "  rotary_percentage: 0.25\n"
                                              "  rotary_base: 500000\n"));
  EXPECT_EQ(d.rotaryPercentage, 0.25);
  EXPECT_EQ(d.rotaryBase, 500000.0);
}

// NeMo's defaults write rotary_percentage (and rotary_base) beside
// learned_absolute positions and ignore them there; so does Strata, silently.
TEST(ConsistencyRulesTest, RotaryKeysAreIgnoredWithoutRope) {
  ParseResult byDefault = parse(sized(768, 12, "  rotary_percentage: 0.5\n"));
  ASSERT_TRUE(byDefault.succeeded()) << dump(byDefault);
  EXPECT_TRUE(byDefault.diagnostics.empty()) << dump(byDefault);
  EXPECT_EQ(byDefault.description->rotaryPercentage, 1.0);
  ParseResult explicitly = parse(sized(768, 12,
                                       "  position_embedding_type: "
                                       "learned_absolute\n"
                                       "  rotary_percentage: 1.0\n"
                                       "  rotary_base: 500000\n"));
  ASSERT_TRUE(explicitly.succeeded()) << dump(explicitly);
  EXPECT_TRUE(explicitly.diagnostics.empty()) << dump(explicitly);
  EXPECT_EQ(explicitly.description->rotaryBase, 10000.0);
  // A value NeMo would reject is still an error.
  EXPECT_TRUE(hasError(parse(sized(768, 12, "  rotary_percentage: 1.5\n")), 6,
                       "rotary_percentage must be in (0, 1], got 1.5"));
}

TEST(ConsistencyRulesTest, RopeRotatesAnEvenNumberOfChannels) {
  ParseResult r = parse(sized(768, 12, "  position_embedding_type: rope\n"
                                       "  rotary_percentage: 0.3\n"));
  EXPECT_TRUE(hasError(r, 7, "rope must rotate an even number of channels per "
                             "head, but rotary_percentage 0.3 of head size 64 "
                             "is 19.2"));
  ParseResult odd = parse(sized(75, 5, "  position_embedding_type: rope\n"));
  EXPECT_TRUE(hasError(odd, 6, "rotary_percentage 1 of head size 15 is 15"));
}

//===----------------------------------------------------------------------===//
// Pipeline parallelism
//===----------------------------------------------------------------------===//

TEST(ConsistencyRulesTest, PipelineDividesLayers) {
  EXPECT_EQ(parseOk(sized(768, 12, "  pipeline_model_parallel_size: 4\n"))
                .pipelineParallelSize,
            4);
  ParseResult r = parse(sized(768, 12, "  pipeline_model_parallel_size: 3\n"));
  EXPECT_TRUE(hasError(r, 6, "num_layers 8 (line 2) is not divisible by "
                             "pipeline_model_parallel_size 3", 33));
}

TEST(ConsistencyRulesTest, VirtualPipelineNeedsPipelineAndDividesLayers) {
  ModelDescription d = parseOk(sized(768, 12, "  pipeline_model_parallel_size: 2\n"
                                              "  virtual_pipeline_model_parallel_size: 4\n"));
  EXPECT_EQ(d.virtualPipelineParallelSize, 4);
  ParseResult noPipeline =
      parse(sized(768, 12, "  virtual_pipeline_model_parallel_size: 2\n"));
  EXPECT_TRUE(hasError(noPipeline, 6, "virtual_pipeline_model_parallel_size 2 "
                                      "needs pipeline_model_parallel_size > 1, "
                                      "got 1 (default)"));
  ParseResult explicitOne =
      parse(sized(768, 12, "  pipeline_model_parallel_size: 1\n"
                           "  virtual_pipeline_model_parallel_size: 2\n"));
  EXPECT_TRUE(hasError(explicitOne, 7, "got 1 (line 6)"));
  ParseResult layers = parse(sized(768, 12, "  pipeline_model_parallel_size: 2\n"
                                            "  virtual_pipeline_model_parallel_size: 8\n"));
  EXPECT_TRUE(hasError(layers, 7, "num_layers 8 (line 2) is not divisible by "
                                  "pipeline_model_parallel_size 2 (line 6) x "
                                  "virtual_pipeline_model_parallel_size 8 = 16"));
}

//===----------------------------------------------------------------------===//
// Activation recomputation
//===----------------------------------------------------------------------===//

TEST(ConsistencyRulesTest, SelectiveRecompute) {
  ModelDescription d =
      parseOk(sized(768, 12, "  activations_checkpoint_granularity: selective\n"));
  EXPECT_EQ(d.recomputeGranularity, RecomputeGranularity::Selective);
  EXPECT_EQ(d.recomputeMethod, RecomputeMethod::None);
  // NeMo's launcher configs write method and 0 layers beside selective;
  // NeMo ignores them there, and so does Strata, silently.
  ParseResult r =
      parse(sized(768, 12,
                  "  activations_checkpoint_granularity: selective\n"
                  "  activations_checkpoint_method: block\n"
                  "  activations_checkpoint_num_layers: 0\n"));
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  EXPECT_EQ(r.description->recomputeMethod, RecomputeMethod::None);
  EXPECT_EQ(r.description->recomputeNumLayers, 0);
  // Values NeMo would reject stay errors.
  EXPECT_TRUE(
      hasError(parse(sized(768, 12,
                           "  activations_checkpoint_granularity: selective\n"
                           "  activations_checkpoint_method: blocks\n")),
               7,
               "unknown activations_checkpoint_method 'blocks'; "
               "expected uniform or block; did you mean 'block'?"));
  EXPECT_TRUE(hasError(
      parse(sized(768, 12, "  activations_checkpoint_num_layers: -1\n")), 6,
      "activations_checkpoint_num_layers must be 0 or more, got -1"));
}

TEST(ConsistencyRulesTest, FullRecompute) {
  ModelDescription d =
      parseOk(sized(768, 12, "  activations_checkpoint_granularity: full\n"
                             "  activations_checkpoint_method: uniform\n"
                             "  activations_checkpoint_num_layers: 2\n"));
  EXPECT_EQ(d.recomputeGranularity, RecomputeGranularity::Full);
  EXPECT_EQ(d.recomputeMethod, RecomputeMethod::Uniform);
  EXPECT_EQ(d.recomputeNumLayers, 2);

  ParseResult noMethod =
      parse(sized(768, 12, "  activations_checkpoint_granularity: full\n"
                           "  activations_checkpoint_num_layers: 1\n"));
  EXPECT_TRUE(hasError(noMethod, 6, "activations_checkpoint_granularity full "
                                    "requires activations_checkpoint_method "
                                    "uniform or block"));
  ParseResult noLayers =
      parse(sized(768, 12, "  activations_checkpoint_granularity: full\n"
                           "  activations_checkpoint_method: block\n"));
  EXPECT_TRUE(hasError(noLayers, 6, "activations_checkpoint_granularity full "
                                    "requires activations_checkpoint_num_layers "
                                    ">= 1"));
  ParseResult zeroLayers =
      parse(sized(768, 12,
                  "  activations_checkpoint_granularity: full\n"
                  "  activations_checkpoint_method: block\n"
                  "  activations_checkpoint_num_layers: 0\n"));
  EXPECT_TRUE(hasError(zeroLayers, 8,
                       "activations_checkpoint_granularity full "
                       "requires activations_checkpoint_num_layers "
                       ">= 1, got 0"));
  ParseResult tooMany =
      parse(sized(768, 12, "  pipeline_model_parallel_size: 4\n"
                           "  activations_checkpoint_granularity: full\n"
                           "  activations_checkpoint_method: block\n"
                           "  activations_checkpoint_num_layers: 3\n"));
  EXPECT_TRUE(hasError(tooMany, 9, "activations_checkpoint_num_layers 3 is more "
                                   "than the 2 layers of each pipeline stage "
                                   "(num_layers 8 (line 2) / "
                                   "pipeline_model_parallel_size 4 (line 6))"));
}

TEST(ConsistencyRulesTest, RecomputeKeysWithoutGranularityAreIgnored) {
  // NeMo's Llama-2 configs: granularity null beside method block and 0
  // layers; megatron_gpt_config.yaml: num_layers 1 alone. NeMo reads them
  // only with granularity full.
  ParseResult r = parse(sized(768, 12,
                              "  activations_checkpoint_granularity: null\n"
                              "  activations_checkpoint_method: block\n"
                              "  activations_checkpoint_num_layers: 1\n"));
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  EXPECT_EQ(r.description->recomputeGranularity, RecomputeGranularity::None);
  EXPECT_EQ(r.description->recomputeMethod, RecomputeMethod::None);
  EXPECT_EQ(r.description->recomputeNumLayers, 0);
}

//===----------------------------------------------------------------------===//
// Sequence parallelism
//===----------------------------------------------------------------------===//

TEST(ConsistencyRulesTest, SequenceParallelNeedsTensorParallel) {
  ParseResult r = parse(sized(768, 12, "  sequence_parallel: true\n"));
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_TRUE(hasWarning(r, 6, "sequence_parallel has no effect with "
                               "tensor_model_parallel_size 1 (default); it is "
                               "turned off"));
  EXPECT_FALSE(r.description->sequenceParallel);
  ModelDescription d = parseOk(sized(768, 12, "  sequence_parallel: true\n"
                                              "  tensor_model_parallel_size: 4\n"));
  EXPECT_TRUE(d.sequenceParallel);
}

TEST(ConsistencyRulesTest, DistributedOptimizerFromTheOptimizerName) {
  // NeMo's names of Megatron's distributed optimizer; the rest of `optim`
  // goes to the training settings.
  for (const char *name :
       {"distributed_fused_adam", "mcore_distributed_optim"}) {
    ModelDescription d = parseOk(baseModel(std::string("  optim:\n    name: ") +
                                           name + "\n    lr: 1e-4\n"));
    EXPECT_TRUE(d.distributedOptimizer) << name;
    ASSERT_EQ(d.trainingSettings.size(), 3u); // name, lr, sched.name
    EXPECT_EQ(d.trainingSettings[0].text, name);
  }
  EXPECT_FALSE(parseOk(baseModel("  optim:\n    name: fused_adam\n"))
                   .distributedOptimizer);
  EXPECT_FALSE(parseOk(baseModel()).distributedOptimizer);
  EXPECT_TRUE(parseOk(baseModel(), {"model.optim.name=distributed_fused_adam"})
                  .distributedOptimizer);
  ParseResult r = parse(baseModel("  optim:\n    name: [adam]\n"));
  EXPECT_TRUE(hasError(r, 9, "optim.name must be a string"));
}

TEST(ConsistencyRulesTest, SequenceParallelSplitsTheSequence) {
  ParseResult r = parse(sized(768, 12, "  sequence_parallel: true\n"
                                       "  tensor_model_parallel_size: 4\n"
                                       "  seq_length: 66\n",
                              false));
  EXPECT_TRUE(hasError(r, 6, "sequence_parallel needs seq_length 66 (line 8) "
                             "to be divisible by tensor_model_parallel_size 4 "
                             "(line 7)"));
}

//===----------------------------------------------------------------------===//
// Data parallelism and batches
//===----------------------------------------------------------------------===//

TEST(ConsistencyRulesTest, DataParallelFromTheTrainer) {
  ModelDescription d = parseOk("trainer:\n  devices: 8\n  num_nodes: 4\n" +
                               sized(768, 12, "  tensor_model_parallel_size: 4\n"
                                              "  pipeline_model_parallel_size: 2\n"));
  EXPECT_EQ(d.dataParallelSize, 4);
  EXPECT_EQ(d.globalBatchSize, 4);  // micro_batch_size 1 x dp 4
  // Without a trainer section the model is on exactly tp x pp devices.
  EXPECT_EQ(parseOk(sized(768, 12, "  tensor_model_parallel_size: 4\n"))
                .dataParallelSize,
            1);
  // A trainer without devices means one device.
  EXPECT_EQ(parseOk("trainer:\n  max_steps: 10\n" + sized(768, 12, ""))
                .dataParallelSize,
            1);
}

TEST(ConsistencyRulesTest, DevicesMustSplitIntoModelParallelGroups) {
  ParseResult r = parse("trainer:\n  devices: 6\n  num_nodes: 1\n" +
                        sized(768, 12, "  tensor_model_parallel_size: 4\n"));
  EXPECT_TRUE(hasError(r, 2, "trainer.devices 6 (line 2) x trainer.num_nodes 1 "
                             "(line 3) = 6 devices is not divisible by "
                             "tensor_model_parallel_size 4 (line 9) x "
                             "pipeline_model_parallel_size 1 (default) = 4", 12));
  ParseResult tooFew = parse("trainer:\n  devices: 2\n" +
                             sized(768, 12, "  tensor_model_parallel_size: 4\n"));
  EXPECT_TRUE(hasError(tooFew, 2, "= 2 devices is not divisible by"));
  ParseResult types = parse("trainer:\n  devices: auto\n  num_nodes: 0\n" +
                            sized(768, 12, ""));
  EXPECT_TRUE(hasError(types, 2, "trainer.devices must be an integer, got auto"));
  EXPECT_TRUE(hasError(types, 3, "trainer.num_nodes must be positive, got 0"));
}

TEST(ConsistencyRulesTest, GlobalBatchDividesIntoMicroBatchesPerReplica) {
  ModelDescription d = parseOk("trainer:\n  devices: 2\n" +
                               sized(768, 12, "  micro_batch_size: 4\n"
                                              "  global_batch_size: 32\n"));
  EXPECT_EQ(d.globalBatchSize, 32);
  EXPECT_EQ(d.microBatchSize, 4);
  ParseResult r = parse(sized(768, 12, "  micro_batch_size: 4\n"
                                       "  global_batch_size: 10\n"));
  EXPECT_TRUE(hasError(r, 7, "global_batch_size 10 is not divisible by "
                             "micro_batch_size 4 (line 6) x data-parallel size "
                             "1 = 4", 22));
  ParseResult dp = parse("trainer:\n  devices: 4\n" +
                         sized(768, 12, "  micro_batch_size: 2\n"
                                        "  global_batch_size: 12\n"));
  EXPECT_TRUE(hasError(dp, 9, "global_batch_size 12 is not divisible by "
                              "micro_batch_size 2 (line 8) x data-parallel "
                              "size 4 = 8"));
}

//===----------------------------------------------------------------------===//
// Sequence length and positions
//===----------------------------------------------------------------------===//

TEST(ConsistencyRulesTest, SequenceLengthKeys) {
  EXPECT_EQ(parseOk(sized(768, 12, "  encoder_seq_length: 96\n", false)).seqLength,
            96);
  EXPECT_EQ(parseOk(sized(768, 12, "  seq_length: 96\n  encoder_seq_length: 96\n",
                          false))
                .seqLength,
            96);
  ParseResult r = parse(sized(768, 12, "  seq_length: 96\n  encoder_seq_length: 128\n",
                              false));
  EXPECT_TRUE(hasError(r, 6, "seq_length 96 does not match encoder_seq_length "
                             "128 (line 7); give only one of them"));
}

TEST(ConsistencyRulesTest, LearnedPositionsCoverTheSequence) {
  EXPECT_EQ(parseOk(sized(768, 12, "  max_position_embeddings: 128\n"))
                .maxPositionEmbeddings,
            128);
  ParseResult r = parse(sized(768, 12, "  max_position_embeddings: 32\n"));
  EXPECT_TRUE(hasError(r, 6, "max_position_embeddings 32 is smaller than "
                             "seq_length 64 (line 7); learned_absolute "
                             "positions need one embedding per position"));
  // Rope has no position table, so any value is fine.
  EXPECT_TRUE(parse(sized(768, 12, "  max_position_embeddings: 32\n"
                                   "  position_embedding_type: rope\n"))
                  .succeeded());
}

//===----------------------------------------------------------------------===//
// Precision
//===----------------------------------------------------------------------===//

TEST(ConsistencyRulesTest, ModelAndTrainerPrecisionMustAgree) {
  EXPECT_EQ(parseOk("trainer:\n  precision: 16-mixed\n" +
                    sized(768, 12, "  precision: 16\n"))
                .precision,
            Precision::FP16);
  ParseResult r = parse("trainer:\n  precision: 16\n" +
                        sized(768, 12, "  precision: bf16\n"));
  EXPECT_TRUE(hasError(r, 8, "precision bf16 does not match trainer.precision "
                             "16 (line 2)", 14));
}

TEST(ConsistencyRulesTest, Float64SpellingsAgreeAcrossModelAndTrainer) {
  // Lightning's "64" and "64-true" are the same precision.
  EXPECT_EQ(parseOk("trainer:\n  precision: 64-true\n" +
                    sized(768, 12, "  precision: 64\n"))
                .precision,
            Precision::FP64);
  EXPECT_EQ(parseOk("trainer:\n  precision: 64\n" + sized(768, 12, "")).precision,
            Precision::FP64);
  ParseResult r = parse("trainer:\n  precision: 64\n" +
                        sized(768, 12, "  precision: 32\n"));
  EXPECT_TRUE(hasError(r, 8, "precision 32 does not match trainer.precision "
                             "64 (line 2)", 14));
}

TEST(ConsistencyRulesTest, HalfPrecisionRecipesFollowNeMo) {
  // NeMo's default (megatron_amp_O2 false) is O1; O2 makes half parameters
  // with f32 main parameters; Lightning's *-true is all-half.
  auto recipe = [](const std::string &extra) {
    return parseOk(baseModel(extra)).mixedPrecision;
  };
  EXPECT_EQ(recipe("  precision: bf16\n"), MixedPrecision::O1);
  EXPECT_EQ(recipe("  precision: bf16-mixed\n  megatron_amp_O2: true\n"),
            MixedPrecision::O2);
  EXPECT_EQ(recipe("  precision: 16\n  megatron_amp_O2: false\n"),
            MixedPrecision::O1);
  EXPECT_EQ(recipe("  precision: 16-mixed\n  megatron_amp_O2: true\n"),
            MixedPrecision::O2);
  EXPECT_EQ(recipe("  precision: bf16-true\n"), MixedPrecision::None);
  EXPECT_EQ(recipe(""), MixedPrecision::None);
  EXPECT_EQ(recipe("  precision: 64\n"), MixedPrecision::None);
  EXPECT_EQ(parseOk("trainer:\n  precision: bf16-mixed\n" +
                    baseModel("  megatron_amp_O2: true\n"))
                .mixedPrecision,
            MixedPrecision::O2);
}

TEST(ConsistencyRulesTest, MegatronAmpO2IsIgnoredWithoutHalfMixedPrecision) {
  ParseResult r = parse(baseModel("  precision: 32\n  megatron_amp_O2: true\n"));
  ASSERT_TRUE(r.succeeded());
  EXPECT_EQ(r.description->mixedPrecision, MixedPrecision::None);
  EXPECT_TRUE(hasWarning(r, 9, "megatron_amp_O2 is ignored with precision 32; "
                                "it applies to bf16, bf16-mixed, 16 and "
                                "16-mixed"));
  r = parse(baseModel("  precision: bf16-true\n  megatron_amp_O2: true\n"));
  EXPECT_TRUE(hasWarning(r, 9, "ignored with precision bf16-true"));
}

TEST(ConsistencyRulesTest, TrueHalfDoesNotMatchMixedHalf) {
  ParseResult r = parse("trainer:\n  precision: bf16-true\n" +
                        sized(768, 12, "  precision: bf16\n"));
  EXPECT_TRUE(hasError(r, 8, "precision bf16 does not match trainer.precision "
                             "bf16-true (line 2)", 14));
}

TEST(ConsistencyRulesTest, LossScalingKeysHaveNeMoDefaults) {
  ModelDescription d = parseOk(baseModel("  precision: 16\n"));
  EXPECT_EQ(d.lossScaleInit, 4294967296.0);
  EXPECT_EQ(d.lossScaleGrowthInterval, 1000);
  EXPECT_EQ(d.lossScaleHysteresis, 2);
  d = parseOk(baseModel("  precision: 16\n  native_amp_init_scale: 65536\n"
                        "  native_amp_growth_interval: 500\n"
                        "  hysteresis: 4\n"));
  EXPECT_EQ(d.lossScaleInit, 65536.0);
  EXPECT_EQ(d.lossScaleGrowthInterval, 500);
  EXPECT_EQ(d.lossScaleHysteresis, 4);
  EXPECT_TRUE(hasError(parse(baseModel("  native_amp_init_scale: 0\n")), 8,
                       "native_amp_init_scale must be positive, got 0"));
  EXPECT_TRUE(hasError(parse(baseModel("  hysteresis: 0\n")), 8,
                       "hysteresis must be positive, got 0"));
  EXPECT_TRUE(hasError(parse(baseModel("  native_amp_growth_interval: 1.5\n")),
                       8, "native_amp_growth_interval must be an integer"));
}

//===----------------------------------------------------------------------===//
// Vocabulary
//===----------------------------------------------------------------------===//

TEST(ConsistencyRulesTest, VocabularyIsPaddedForTensorParallelShards) {
  EXPECT_EQ(parseOk(baseModel()).paddedVocabSize, 50304);
  EXPECT_EQ(parseOk(baseModel("  tensor_model_parallel_size: 2\n")).paddedVocabSize,
            50432);
  EXPECT_EQ(parseOk(baseModel("  make_vocab_size_divisible_by: 1\n")).paddedVocabSize,
            50257);
  EXPECT_EQ(parseOk(baseModel("  make_vocab_size_divisible_by: 64\n"
                              "  tensor_model_parallel_size: 4\n"))
                .paddedVocabSize,
            50432);
}

TEST(ConsistencyRulesTest, ExplicitPaddedVocabulary) {
  ModelDescription d = parseOk(baseModel("  padded_vocab_size: 50258\n"
                                         "  tensor_model_parallel_size: 2\n"));
  EXPECT_EQ(d.vocabSize, 50257);
  EXPECT_EQ(d.paddedVocabSize, 50258);

  ParseResult notDivisible = parse(baseModel("  tensor_model_parallel_size: 2\n"
                                             "  padded_vocab_size: 50257\n"));
  EXPECT_TRUE(hasError(notDivisible, 9,
                       "padded_vocab_size 50257 is not divisible by "
                       "tensor_model_parallel_size 2 (line 8); pad it to 50258 "
                       "or leave it out and set make_vocab_size_divisible_by",
                       22));
  ParseResult tooSmall = parse(baseModel("  padded_vocab_size: 50000\n"));
  EXPECT_TRUE(hasError(tooSmall, 8, "padded_vocab_size 50000 is smaller than the "
                                    "tokenizer's vocabulary of 50257"));
}

TEST(ConsistencyRulesTest, VocabularyMustBeKnown) {
  ParseResult r = parse(
      "model:\n  num_layers: 4\n  hidden_size: 128\n  num_attention_heads: 4\n"
      "  seq_length: 16\n  tokenizer:\n    library: sentencepiece\n"
      "    model: tok.model\n");
  // The SentencePiece model would give it: a file that is not there is named.
  EXPECT_TRUE(hasError(r, 8,
                       "cannot read tokenizer.model 'tok.model': No such "
                       "file or directory",
                       12));
  ParseResult unknown = parse(
      "model:\n  num_layers: 4\n  hidden_size: 128\n  num_attention_heads: 4\n"
      "  seq_length: 16\n  tokenizer:\n    library: huggingface\n"
      "    type: bert-base-cased\n");
  EXPECT_TRUE(hasError(unknown, 7,
                       "the vocabulary size is unknown: set "
                       "padded_vocab_size or tokenizer.vocab_size, or use "
                       "a tokenizer Strata knows"));
  ParseResult noTokenizer = parse(
      "model:\n  num_layers: 4\n  hidden_size: 128\n  num_attention_heads: 4\n"
      "  seq_length: 16\n");
  EXPECT_TRUE(hasError(noTokenizer, 1, "the vocabulary size is unknown"));
  ModelDescription d = parseOk(
      "model:\n  num_layers: 4\n  hidden_size: 128\n  num_attention_heads: 4\n"
      "  seq_length: 16\n  tokenizer:\n    library: sentencepiece\n"
      "    vocab_size: 32000\n");
  EXPECT_EQ(d.vocabSize, 32000);
  EXPECT_EQ(d.paddedVocabSize, 32000);
}

TEST(ConsistencyRulesTest, HuggingFaceGpt2) {
  EXPECT_EQ(parseOk("model:\n  num_layers: 1\n  hidden_size: 8\n"
                    "  num_attention_heads: 1\n  seq_length: 8\n"
                    "  tokenizer:\n    library: huggingface\n    type: gpt2\n")
                .vocabSize,
            50257);
}

TEST(ConsistencyRulesTest, OnlyReportsRulesAfterValuesAreValid) {
  // A type error stops the cross-key rules, so no follow-on noise.
  ParseResult r = parse(sized(770, 12, "  tensor_model_parallel_size: x\n"));
  EXPECT_EQ(errorCount(r), 1u) << dump(r);
}

} // namespace
} // namespace strata::frontend

//===- OverridesTest.cpp - Command-line overrides ------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ParserTestSupport.h"

namespace strata::frontend {
namespace {

using namespace strata::frontend::testing;

/// Whether |result| has an error located on the command line containing
/// |text|.
::testing::AssertionResult hasCommandLineError(const ParseResult &result,
                                               std::string_view text) {
  for (const Diagnostic &d : result.diagnostics)
    if (d.severity == Diagnostic::Severity::Error &&
        d.location.file == "<command line>" && d.location.line == 0 &&
        d.message.find(text) != std::string::npos)
      return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "no command-line error containing \"" << text << "\"; got:\n"
         << dump(result);
}

TEST(OverridesTest, ReplacesAValue) {
  ModelDescription d = parseOk(baseModel(), {"model.num_layers=8"});
  EXPECT_EQ(d.numLayers, 8);
}

TEST(OverridesTest, LaterOverridesWin) {
  ModelDescription d =
      parseOk(baseModel(), {"model.num_layers=8", "model.num_layers=2"});
  EXPECT_EQ(d.numLayers, 2);
}

TEST(OverridesTest, CreatesKeysAndSections) {
  ModelDescription d = parseOk(baseModel(), {"model.tensor_model_parallel_size=2",
                                             "trainer.devices=8",
                                             "trainer.num_nodes=2"});
  EXPECT_EQ(d.tensorParallelSize, 2);
  EXPECT_EQ(d.dataParallelSize, 8);
}

TEST(OverridesTest, ValuesAreTypedLikeFileValues) {
  ModelDescription d = parseOk(baseModel(), {"model.precision=bf16-mixed",
                                             "model.bias=False",
                                             "model.hidden_dropout=0.0",
                                             "model.normalization=rmsnorm"});
  EXPECT_EQ(d.precision, Precision::BF16);
  EXPECT_FALSE(d.bias);
  EXPECT_EQ(d.hiddenDropout, 0.0);
  EXPECT_EQ(d.normalization, Normalization::RMSNorm);

  ParseResult r = parse(baseModel(), {"model.hidden_size=\"128\"",
                                      "model.num_layers=2.5"});
  EXPECT_TRUE(hasCommandLineError(r, "hidden_size must be an integer, got the "
                                     "string \"128\""));
  EXPECT_TRUE(hasCommandLineError(r, "num_layers must be an integer, got 2.5"));
}

TEST(OverridesTest, NullRestoresTheDefault) {
  ModelDescription d = parseOk(baseModel("  ffn_hidden_size: 100\n"),
                               {"model.ffn_hidden_size=null"});
  EXPECT_EQ(d.ffnHiddenSize, 512);
  ModelDescription empty = parseOk(baseModel("  ffn_hidden_size: 100\n"),
                                   {"model.ffn_hidden_size="});
  EXPECT_EQ(empty.ffnHiddenSize, 512);
}

TEST(OverridesTest, UnknownKeysAreErrorsWithSuggestions) {
  ParseResult r = parse(baseModel(), {"model.num_layer=8"});
  EXPECT_TRUE(hasCommandLineError(r, "unknown key 'num_layer' in model; did "
                                     "you mean 'num_layers'?"));
  ParseResult top = parse(baseModel(), {"modle.num_layers=8"});
  EXPECT_TRUE(hasCommandLineError(top, "unknown key 'modle' at the top level; "
                                       "did you mean 'model'?"));
}

TEST(OverridesTest, NeedsAnEqualsSign) {
  ParseResult r = parse(baseModel(), {"model.num_layers"});
  EXPECT_TRUE(hasCommandLineError(r, "override 'model.num_layers' has no '='; "
                                     "write key=value"));
}

TEST(OverridesTest, NeedsKeyNames) {
  EXPECT_TRUE(hasCommandLineError(parse(baseModel(), {"=4"}),
                                  "override '=4' has an empty key name"));
  EXPECT_TRUE(hasCommandLineError(parse(baseModel(), {"model..num_layers=4"}),
                                  "has an empty key name"));
}

TEST(OverridesTest, CannotDescendIntoScalars) {
  ParseResult r = parse(baseModel(), {"model.num_layers.x=4"});
  EXPECT_TRUE(hasCommandLineError(r, "cannot apply override "
                                     "'model.num_layers.x=4': "
                                     "'model.num_layers' is 4, not a mapping"));
}

TEST(OverridesTest, MalformedValues) {
  ParseResult r = parse(baseModel(), {"model.num_layers=[4"});
  EXPECT_TRUE(hasCommandLineError(r, "cannot parse the value of override "
                                     "'model.num_layers=[4'"));
}

TEST(OverridesTest, CrossKeyRulesSeeOverrides) {
  ParseResult r = parse(baseModel(), {"model.tensor_model_parallel_size=8"});
  // The rule points at the override and names the file's key with its line.
  EXPECT_TRUE(hasCommandLineError(r, "num_attention_heads 4 (line 4) is not "
                                     "divisible by tensor_model_parallel_size 8"));
  ParseResult other = parse("model:\n"
                            "  num_layers: 4\n"
                            "  hidden_size: 130\n"
                            "  num_attention_heads: 5\n"
                            "  seq_length: 16\n"
                            "  padded_vocab_size: 64\n",
                            {"model.num_attention_heads=4"});
  EXPECT_TRUE(hasError(other, 3, "hidden_size 130 is not divisible by "
                                 "num_attention_heads 4 (command line)", 16));
}

TEST(OverridesTest, HydraPrefixesAreAccepted) {
  ModelDescription d = parseOk(baseModel(), {"+model.seed=7", "++model.num_layers=6"});
  EXPECT_EQ(d.numLayers, 6);
  ASSERT_FALSE(d.recordedKeys.empty());
  EXPECT_EQ(d.recordedKeys.back().path, "model.seed");
  EXPECT_EQ(d.recordedKeys.back().value, "7");
  EXPECT_EQ(d.recordedKeys.back().location.file, "<command line>");
  EXPECT_EQ(d.recordedKeys.back().location.line, 0);
}

TEST(OverridesTest, RecordedMappingsTakeFlowValues) {
  ModelDescription d = parseOk(baseModel("  nsys_profile:\n    enabled: false\n"),
                               {"model.nsys_profile.end_step=4", "model.data={seq: 3}"});
  ASSERT_GE(d.recordedKeys.size(), 2u);
  EXPECT_EQ(d.recordedKeys[d.recordedKeys.size() - 2].value,
            "{enabled: false, end_step: 4}");
  EXPECT_EQ(d.recordedKeys.back().value, "{seq: 3}");
}

TEST(OverridesTest, OverridesMayInterpolate) {
  ModelDescription d = parseOk(baseModel(),
                               {"model.max_position_embeddings=${.encoder_seq_length}"});
  EXPECT_EQ(d.maxPositionEmbeddings, 128);
}

TEST(OverridesTest, OverridesKeepTheirPlaceInOrder) {
  // Replacing an existing key keeps its position among recorded keys.
  ModelDescription d = parseOk(baseModel("  seed: 1\n  onnx_safe: false\n"),
                               {"model.seed=2"});
  ASSERT_EQ(d.recordedKeys.size(), 3u);
  EXPECT_EQ(d.recordedKeys[1].path, "model.seed");
  EXPECT_EQ(d.recordedKeys[1].value, "2");
  EXPECT_EQ(d.recordedKeys[2].path, "model.onnx_safe");
}

} // namespace
} // namespace strata::frontend

//===- InterpolationTest.cpp - ${...} references -------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "frontends/model/Interpolation.h"

#include "frontends/model/ParserTestSupport.h"

#include <gtest/gtest.h>

namespace strata::frontend {
namespace {

class InterpolationTest : public ::testing::Test {
protected:
  void load(std::string_view text) {
    DiagnosticSink sink(diagnostics);
    root = parseYamlDocument(text, "t.yaml", sink);
    ASSERT_TRUE(root);
    ASSERT_TRUE(diagnostics.empty());
  }

  const YamlNode &node(const std::string &dotted) {
    const YamlNode *current = root.get();
    size_t start = 0;
    while (current) {
      size_t dot = dotted.find('.', start);
      const YamlEntry *entry = current->find(dotted.substr(start, dot - start));
      current = entry ? entry->value.get() : nullptr;
      if (dot == std::string::npos)
        break;
      start = dot + 1;
    }
    if (!current) {
      ADD_FAILURE() << "no node " << dotted;
      static YamlNode none;
      return none;
    }
    return *current;
  }

  /// The resolved text of |dotted|, or "<error>".
  std::string resolve(const std::string &dotted) {
    DiagnosticSink sink(diagnostics);
    Interpolator interpolator(*root, sink);
    std::optional<ResolvedValue> value = interpolator.resolve(node(dotted));
    if (!value)
      return "<error>";
    return value->node->isScalar() ? value->node->text
                                   : renderFlow(*value->node);
  }

  std::string messages() const {
    std::string out;
    for (const Diagnostic &d : diagnostics)
      out += std::to_string(d.location.line) + ":" +
             std::to_string(d.location.column) + ": " + d.message + "\n";
    return out;
  }

  std::vector<Diagnostic> diagnostics;
  std::unique_ptr<YamlNode> root;
};

TEST_F(InterpolationTest, RelativeToTheEnclosingMapping) {
  load("model:\n  seq: 512\n  max: ${.seq}\n");
  EXPECT_EQ(resolve("model.max"), "512");
}

TEST_F(InterpolationTest, ExtraDotsClimbMappings) {
  load("top: 7\nmodel:\n  data:\n    seq: ${..len}\n  len: 9\n  up: ${..top}\n");
  EXPECT_EQ(resolve("model.data.seq"), "9");
  EXPECT_EQ(resolve("model.up"), "7");
}

TEST_F(InterpolationTest, AbsoluteFromTheRoot) {
  load("trainer:\n  devices: 8\nmodel:\n  n: ${trainer.devices}\n");
  EXPECT_EQ(resolve("model.n"), "8");
}

TEST_F(InterpolationTest, FollowsChains) {
  load("model:\n  a: ${.b}\n  b: ${model.c}\n  c: ${.d}\n  d: 42\n");
  EXPECT_EQ(resolve("model.a"), "42");
}

TEST_F(InterpolationTest, KeepsTheTargetsType) {
  load("model:\n  s: \"768\"\n  a: ${.s}\n  n: 768\n  b: ${.n}\n");
  DiagnosticSink sink(diagnostics);
  Interpolator interpolator(*root, sink);
  auto a = interpolator.resolve(node("model.a"));
  auto b = interpolator.resolve(node("model.b"));
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(a->node->plain);
  EXPECT_TRUE(b->node->plain);
  EXPECT_TRUE(b->interpolated);
  // Diagnostics about the value point where it was referred to.
  EXPECT_EQ(b->location.line, 5);
  EXPECT_EQ(b->location.column, 6);
}

TEST_F(InterpolationTest, ReportsCycles) {
  load("model:\n  a: ${.b}\n  b: ${.c}\n  c: ${.a}\n");
  EXPECT_EQ(resolve("model.a"), "<error>");
  ASSERT_EQ(diagnostics.size(), 1u) << messages();
  EXPECT_EQ(diagnostics[0].message,
            "interpolation cycle: model.a -> model.b -> model.c -> model.a");
  // Reported where the cycle closes: back at model.a.
  EXPECT_EQ(diagnostics[0].location.line, 2);
}

TEST_F(InterpolationTest, ReportsSelfReference) {
  load("model:\n  a: ${.a}\n");
  EXPECT_EQ(resolve("model.a"), "<error>");
  EXPECT_EQ(messages(), "2:6: interpolation cycle: model.a -> model.a\n");
}

TEST_F(InterpolationTest, ReportsMissingTargets) {
  load("model:\n  a: ${.nope}\n  b: ${model.x.y}\n  c: ${...too_far}\n");
  EXPECT_EQ(resolve("model.a"), "<error>");
  EXPECT_EQ(resolve("model.b"), "<error>");
  EXPECT_EQ(resolve("model.c"), "<error>");
  EXPECT_EQ(messages(),
            "2:6: interpolation '${.nope}' refers to a key that does not "
            "exist\n"
            "3:6: interpolation '${model.x.y}' refers to a key that does not "
            "exist\n"
            "4:6: interpolation '${...too_far}' refers to a key that does not "
            "exist\n");
}

// NeMo's launcher writes ffn_hidden_size: ${multiply:4, ${.hidden_size}}.
TEST_F(InterpolationTest, EvaluatesNemoResolvers) {
  load("m:\n  h: 768\n  f: ${multiply:4, ${.h}}\n  g: ${multiply:${m.h},0.5}\n"
       "  c: ${divide_ceil:${.h}, 5}\n  d: ${divide_floor:${.h}, 5}\n"
       "  n: ${multiply:2, ${divide_ceil:7, 2}}\n  s: x${multiply:2,3}y\n"
       "  e: ${divide_floor:-7, 2}\n");
  EXPECT_EQ(resolve("m.f"), "3072");
  EXPECT_EQ(resolve("m.g"), "384");
  EXPECT_EQ(resolve("m.c"), "154");
  EXPECT_EQ(resolve("m.d"), "153");
  EXPECT_EQ(resolve("m.n"), "8");
  EXPECT_EQ(resolve("m.s"), "x6y");
  EXPECT_EQ(resolve("m.e"), "-4"); // Python's floor division
  EXPECT_EQ(messages(), "");
}

TEST_F(InterpolationTest, RejectsOtherResolversBadArgumentsAndPathNesting) {
  load("m:\n  a: ${oc.env:HOME}\n  b: ${multiply:2}\n  c: ${multiply:2, x}\n"
       "  d: ${divide_ceil:1, 0}\n  e: ${multiply:2, ${.nope}}\n"
       "  f: ${m.${x}}\n");
  for (const char *key : {"m.a", "m.b", "m.c", "m.d", "m.e", "m.f"})
    EXPECT_EQ(resolve(key), "<error>") << key;
  EXPECT_EQ(messages(),
            "2:6: interpolation '${oc.env:HOME}' calls the resolver 'oc.env', "
            "which Strata does not know; it knows multiply, divide_ceil and "
            "divide_floor (NeMo's); write the value\n"
            "3:6: interpolation '${multiply:2}': multiply takes 2 arguments, "
            "got 1\n"
            "4:6: interpolation '${multiply:2, x}': multiply needs numbers, "
            "got 'x'\n"
            "5:6: interpolation '${divide_ceil:1, 0}' divides by zero\n"
            "6:6: interpolation '${.nope}' in '${multiply:2, ${.nope}}' refers "
            "to a key that does not exist\n"
            "7:6: interpolation '${m.${x}}' nests an interpolation in a key "
            "path; write the path\n");
}

TEST_F(InterpolationTest, NamesTheMissingReferenceWithoutReporting) {
  load("m:\n  a: ${data_dir}/bpe/vocab.json\n  b: ${.a}\n  c: ${multiply:2,3}\n"
       "  d: ${m.nope}\n  e: ${training.run.name}\n  f: ${.nope}\n");
  DiagnosticSink sink(diagnostics);
  Interpolator interpolator(*root, sink);
  EXPECT_EQ(interpolator.missingReference(node("m.a")), "data_dir");
  EXPECT_EQ(interpolator.missingReference(node("m.e")), "training.run.name");
  // Under a key the document has, or relative: a mistake, not a launcher's.
  for (const char *key : {"m.b", "m.c", "m.d", "m.f"})
    EXPECT_EQ(interpolator.missingReference(node(key)), std::nullopt) << key;
  EXPECT_EQ(messages(), "");
}

TEST_F(InterpolationTest, ReportsUnterminatedAndEmpty) {
  load("m:\n  a: ${m.b\n  b: ${}\n");
  EXPECT_EQ(resolve("m.a"), "<error>");
  EXPECT_EQ(resolve("m.b"), "<error>");
  EXPECT_EQ(messages(), "2:6: unterminated interpolation in '${m.b'\n"
                        "3:6: empty interpolation '${}'\n");
}

TEST_F(InterpolationTest, JoinsPiecesIntoAString) {
  load("name: gpt\nm:\n  n: 12\n  z: null\n  a: \"${name}-${.n}L-${.z}\"\n");
  DiagnosticSink sink(diagnostics);
  Interpolator interpolator(*root, sink);
  auto a = interpolator.resolve(node("m.a"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->node->text, "gpt-12L-None");
  EXPECT_FALSE(a->node->plain);
}

TEST_F(InterpolationTest, JoiningAMappingIsAnError) {
  load("m:\n  t: {a: 1}\n  a: x-${.t}\n");
  EXPECT_EQ(resolve("m.a"), "<error>");
  EXPECT_EQ(messages(), "3:6: interpolation '${.t}' inside a string refers "
                        "to a mapping\n");
}

TEST_F(InterpolationTest, EscapedDollarIsLiteral) {
  load("m:\n  a: \"\\\\${.b}\"\n  b: 1\n");
  EXPECT_FALSE(Interpolator::hasInterpolation(node("m.a").text));
  EXPECT_EQ(resolve("m.a"), "${.b}");
}

TEST_F(InterpolationTest, IndexesSequences) {
  load("m:\n  betas: [0.9, 0.95]\n  b: ${m.betas.1}\n  c: ${m.betas.2}\n");
  EXPECT_EQ(resolve("m.b"), "0.95");
  EXPECT_EQ(resolve("m.c"), "<error>");
}

TEST_F(InterpolationTest, TargetsMayBeMappings) {
  load("shared:\n  type: GPT2BPETokenizer\nm:\n  tok: ${shared}\n");
  EXPECT_EQ(resolve("m.tok"), "{type: GPT2BPETokenizer}");
}

TEST_F(InterpolationTest, ResolvesEachNodeOnce) {
  // A long chain referenced by many keys stays linear.
  std::string text = "m:\n  k0: 1\n";
  for (int i = 1; i < 60; ++i)
    text += "  k" + std::to_string(i) + ": ${.k" + std::to_string(i - 1) + "}\n";
  load(text);
  DiagnosticSink sink(diagnostics);
  Interpolator interpolator(*root, sink);
  for (int i = 59; i >= 0; --i) {
    auto value = interpolator.resolve(node("m.k" + std::to_string(i)));
    ASSERT_TRUE(value);
    EXPECT_EQ(value->node->text, "1");
  }
}

TEST_F(InterpolationTest, LimitsChainLength) {
  std::string text = "m:\n  k0: 1\n";
  for (int i = 1; i < 100; ++i)
    text += "  k" + std::to_string(i) + ": ${.k" + std::to_string(i - 1) + "}\n";
  load(text);
  EXPECT_EQ(resolve("m.k99"), "<error>");
  EXPECT_NE(messages().find("interpolation chain longer than 64 references"),
            std::string::npos);
}

TEST(InterpolationParseTest, InterpolatedValuesReportAtTheReferringNode) {
  using namespace strata::frontend::testing;
  ParseResult result = parse("name: wide\n" + baseModel(
                                                  "  ffn_hidden_size: ${name}\n"));
  // Line 9 (the model starts at line 2 here), column 20: the `${name}`.
  EXPECT_TRUE(hasError(result, 9, "ffn_hidden_size must be an integer, got wide",
                       20));
}

} // namespace
} // namespace strata::frontend

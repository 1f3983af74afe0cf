//===- YamlTreeTest.cpp - The located YAML tree --------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "frontends/model/YamlTree.h"

#include <gtest/gtest.h>

namespace strata::frontend {
namespace {

struct Parsed {
  std::vector<Diagnostic> diagnostics;
  std::unique_ptr<YamlNode> root;
};

Parsed load(std::string_view text) {
  Parsed parsed;
  DiagnosticSink sink(parsed.diagnostics);
  parsed.root = parseYamlDocument(text, "t.yaml", sink);
  return parsed;
}

const YamlNode &at(const YamlNode &map, const std::string &key) {
  const YamlEntry *entry = map.find(key);
  if (!entry) {
    ADD_FAILURE() << "no key " << key;
    static YamlNode none;
    return none;
  }
  return *entry->value;
}

TEST(YamlTreeTest, KeepsOrderLocationsAndPaths) {
  Parsed p = load("b: 1\na:\n  c: x\n  d: [1, 2]\n");
  ASSERT_TRUE(p.root);
  ASSERT_TRUE(p.diagnostics.empty());
  ASSERT_TRUE(p.root->isMapping());
  ASSERT_EQ(p.root->entries.size(), 2u);
  EXPECT_EQ(p.root->entries[0].key, "b");
  EXPECT_EQ(p.root->entries[1].key, "a");
  EXPECT_EQ(p.root->entries[1].keyLocation.line, 2);
  EXPECT_EQ(p.root->entries[1].keyLocation.column, 1);
  const YamlNode &c = at(at(*p.root, "a"), "c");
  EXPECT_EQ(c.text, "x");
  EXPECT_EQ(c.location.file, "t.yaml");
  EXPECT_EQ(c.location.line, 3);
  EXPECT_EQ(c.location.column, 6);
  EXPECT_EQ(c.path, "a.c");
  EXPECT_EQ(c.parent, &at(*p.root, "a"));
  const YamlNode &d = at(at(*p.root, "a"), "d");
  ASSERT_TRUE(d.isSequence());
  EXPECT_EQ(d.items[1]->path, "a.d.1");
  EXPECT_EQ(d.items[1]->location.column, 10);
}

TEST(YamlTreeTest, QuotedScalarsAreNotPlain) {
  Parsed p = load("a: 768\nb: \"768\"\nc: '768'\nd: !!str 768\ne: !!int 768\n");
  ASSERT_TRUE(p.root);
  EXPECT_TRUE(at(*p.root, "a").plain);
  EXPECT_FALSE(at(*p.root, "b").plain);
  EXPECT_FALSE(at(*p.root, "c").plain);
  EXPECT_FALSE(at(*p.root, "d").plain);
  EXPECT_TRUE(at(*p.root, "e").plain);
  EXPECT_EQ(at(*p.root, "b").text, "768");
}

TEST(YamlTreeTest, NullsAndTheirLocations) {
  Parsed p = load("a:\nb: ~\nc: null\nd: \"null\"\n");
  ASSERT_TRUE(p.root);
  EXPECT_TRUE(at(*p.root, "a").isNull());
  // An empty value points at its key, not at the next line.
  EXPECT_EQ(at(*p.root, "a").location.line, 1);
  EXPECT_EQ(at(*p.root, "a").location.column, 1);
  EXPECT_TRUE(at(*p.root, "b").isNull());
  EXPECT_EQ(at(*p.root, "b").location.line, 2);
  EXPECT_EQ(at(*p.root, "b").location.column, 4);
  EXPECT_TRUE(at(*p.root, "c").isNull());
  EXPECT_TRUE(at(*p.root, "d").isScalar());
}

TEST(YamlTreeTest, ReportsDuplicateKeysWithBothLines) {
  Parsed p = load("model:\n  hidden_size: 768\n  x: 1\n  hidden_size: 1024\n");
  ASSERT_TRUE(p.root);
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.diagnostics[0].location.line, 4);
  EXPECT_EQ(p.diagnostics[0].location.column, 3);
  EXPECT_EQ(p.diagnostics[0].message,
            "duplicate key 'hidden_size' at line 4 (first set at line 2); "
            "remove one of them");
  // The first one is kept.
  EXPECT_EQ(at(at(*p.root, "model"), "hidden_size").text, "768");
}

TEST(YamlTreeTest, MalformedYamlUsesOneBasedMarks) {
  Parsed p = load("model:\n  a: [1, 2\n  b: 3\n");
  EXPECT_FALSE(p.root);
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.diagnostics[0].message,
            "invalid YAML: end of sequence flow not found");
  // yaml-cpp's mark is (2, 3) zero-based here: the ':' of "  b: 3".
  EXPECT_EQ(p.diagnostics[0].location.line, 3);
  EXPECT_EQ(p.diagnostics[0].location.column, 4);
}

TEST(YamlTreeTest, BadIndentationIsAnError) {
  Parsed p = load("a:\n  b: 1\n   c: 2\n");
  EXPECT_FALSE(p.root);
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.diagnostics[0].location.line, 3);
  EXPECT_NE(p.diagnostics[0].message.find("invalid YAML"), std::string::npos);
}

TEST(YamlTreeTest, EmptyDocumentsGiveANullRoot) {
  for (std::string_view text : {"", "# only a comment\n", "---\n"}) {
    Parsed p = load(text);
    ASSERT_TRUE(p.root) << text;
    EXPECT_TRUE(p.root->isNull()) << text;
    EXPECT_TRUE(p.diagnostics.empty()) << text;
  }
}

TEST(YamlTreeTest, RejectsSeveralDocuments) {
  Parsed p = load("a: 1\n---\nb: 2\n");
  EXPECT_FALSE(p.root);
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.diagnostics[0].location.line, 3);
  EXPECT_NE(p.diagnostics[0].message.find("found 2"), std::string::npos);
}

TEST(YamlTreeTest, RejectsNonScalarKeys) {
  Parsed p = load("? [a, b]\n: 1\nc: 2\n");
  ASSERT_TRUE(p.root);
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.diagnostics[0].message, "mapping keys must be names, got a sequence");
  EXPECT_TRUE(p.root->find("c"));
}

TEST(YamlTreeTest, StopsExpandingAliasBombs) {
  std::string text = "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int i = 1; i < 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k)
      text += (k ? ", " : "") + prev;
    text += "]\n";
  }
  Parsed p = load(text);
  EXPECT_FALSE(p.root);
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_NE(p.diagnostics[0].message.find("more than 200000 nodes"),
            std::string::npos);
}

TEST(YamlTreeTest, SmallAliasesExpand) {
  Parsed p = load("a: &x {p: 1}\nb: *x\n");
  ASSERT_TRUE(p.root);
  EXPECT_EQ(at(at(*p.root, "b"), "p").text, "1");
  EXPECT_EQ(at(at(*p.root, "b"), "p").path, "b.p");
}

TEST(YamlTreeTest, ReportsDeepNesting) {
  std::string text = "a: " + std::string(3000, '[') + std::string(3000, ']');
  Parsed p = load(text);
  EXPECT_FALSE(p.root);
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_NE(p.diagnostics[0].message.find("invalid YAML: nesting deeper than"),
            std::string::npos);
}

TEST(YamlTreeTest, RendersFlowStyle) {
  Parsed p = load("m:\n  name: fused_adam\n  betas: [0.9, 0.98]\n"
                  "  sched: {name: Cosine, min_lr: 2e-5}\n  note: \"a, b\"\n"
                  "  none: null\n  path: '/x/y'\n");
  ASSERT_TRUE(p.root);
  EXPECT_EQ(renderFlow(at(*p.root, "m")),
            "{name: fused_adam, betas: [0.9, 0.98], sched: {name: Cosine, "
            "min_lr: 2e-5}, note: \"a, b\", none: null, path: \"/x/y\"}");
  EXPECT_EQ(renderFlow(at(at(*p.root, "m"), "name")), "fused_adam");
}

TEST(YamlTreeTest, DescribesValuesForMessages) {
  Parsed p = load("a: 12.5\nb: \"768\"\nc: [1]\nd: {x: 1}\ne:\n");
  ASSERT_TRUE(p.root);
  EXPECT_EQ(describeNode(at(*p.root, "a")), "12.5");
  EXPECT_EQ(describeNode(at(*p.root, "b")), "the string \"768\"");
  EXPECT_EQ(describeNode(at(*p.root, "c")), "a sequence");
  EXPECT_EQ(describeNode(at(*p.root, "d")), "a mapping");
  EXPECT_EQ(describeNode(at(*p.root, "e")), "null");
}

TEST(YamlTreeTest, AppendAndReplaceKeepPathsAndIndex) {
  Parsed p = load("a: 1\nb: 2\n");
  ASSERT_TRUE(p.root);
  auto value = std::make_unique<YamlNode>();
  value->kind = YamlNode::Kind::Mapping;
  value->append("x", {}, std::make_unique<YamlNode>());
  p.root->append("c", {}, std::move(value));
  EXPECT_EQ(at(at(*p.root, "c"), "x").path, "c.x");
  auto scalar = std::make_unique<YamlNode>();
  scalar->kind = YamlNode::Kind::Scalar;
  scalar->text = "9";
  p.root->replace(*p.root->find("a"), std::move(scalar));
  EXPECT_EQ(p.root->entries[0].key, "a");
  EXPECT_EQ(at(*p.root, "a").text, "9");
  EXPECT_EQ(at(*p.root, "a").parent, p.root.get());
  EXPECT_EQ(p.root->find("zz"), nullptr);
}

TEST(YamlTreeTest, ParsesOverrideValues) {
  std::vector<Diagnostic> diagnostics;
  DiagnosticSink sink(diagnostics);
  SourceLocation where{kCommandLineFile, 0, 0};
  auto number = parseYamlValue("8", where, "override 'x=8'", sink);
  ASSERT_TRUE(number);
  EXPECT_TRUE(number->isScalar() && number->plain && number->text == "8");
  EXPECT_EQ(number->location.file, kCommandLineFile);
  auto empty = parseYamlValue("", where, "override 'x='", sink);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->isNull());
  auto list = parseYamlValue("[1, 2]", where, "override", sink);
  ASSERT_TRUE(list && list->isSequence());
  EXPECT_EQ(list->items[1]->location.line, 0);
  EXPECT_TRUE(diagnostics.empty());
  EXPECT_FALSE(parseYamlValue("[1, 2", where, "override 'x=[1, 2'", sink));
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].message.rfind(
                "cannot parse the value of override 'x=[1, 2': ", 0),
            0u);
}

} // namespace
} // namespace strata::frontend

//===- CheckModel.cpp - Parse one model description, print diagnostics ---===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// strata-check-model-sanitized FILE [KEY=VALUE...]
// Parses FILE with the overrides and prints every diagnostic the way
// compilers do; on success prints a one-line summary. Exit status: 0 parsed,
// 1 the description has errors, 2 usage. Built against the ASan/UBSan copy
// of the frontend by tests/frontend/CMakeLists.txt.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ModelDescriptionParser.h"

#include <fstream>
#include <iostream>
#include <sstream>

using namespace strata::frontend;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " FILE [KEY=VALUE...]\n";
    return 2;
  }
  const std::string path = argv[1];
  Overrides overrides(argv + 2, argv + argc);
  ParseResult result = parseModelDescriptionFile(path, overrides);

  // The excerpts need the text the locations point into.
  std::string text;
  if (std::ifstream in{path, std::ios::binary}) {
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  for (const Diagnostic &diagnostic : result.diagnostics)
    std::cerr << formatDiagnostic(diagnostic, diagnostic.location.file == path
                                                  ? std::string_view(text)
                                                  : std::string_view());
  if (!result.succeeded())
    return 1;

  const ModelDescription &d = *result.description;
  std::cout << "ok: " << d.name << ": " << d.numLayers << " layers, hidden "
            << d.hiddenSize << ", " << d.numAttentionHeads << " heads ("
            << d.numQueryGroups << " query groups), ffn " << d.ffnHiddenSize
            << ", seq " << d.seqLength << ", vocab " << d.vocabSize
            << " padded to " << d.paddedVocabSize << ", "
            << toString(d.normalization) << ", " << toString(d.activation)
            << ", " << toString(d.positionEmbedding) << ", tp "
            << d.tensorParallelSize << " pp " << d.pipelineParallelSize
            << " dp " << d.dataParallelSize << ", precision "
            << toString(d.precision) << ", " << d.recordedKeys.size()
            << " recorded keys\n";
  return 0;
}

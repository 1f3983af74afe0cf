//===- run_main.cc - the strata-run command line --------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Subcommands arrive with the executor; each is listed by --help only once
// it works.
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/run_main.h"

#include "runtime/artifact/artifact_loader.h"
#include "runtime/tooling/inspect.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace strata::runtime {

int runStrataRunMain(int argc, char **argv) {
  CLI::App app{"strata-run: loads a compiled Strata artifact (.strata) and "
               "runs it"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "strata-run (Strata) 0.1.0");

  std::string artifactPath;
  CLI::App *inspect = app.add_subcommand(
      "inspect", "Check an artifact (every buffer, parameter and "
                 "instruction) and print what it holds");
  inspect->add_option("artifact", artifactPath, "The .strata file")
      ->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &error) {
    return app.exit(error);
  }

  StatusOr<LoadedArtifact> loaded = loadArtifact(artifactPath);
  if (!loaded.isOk()) {
    std::cerr << "strata-run: error: " << loaded.status().message() << "\n";
    return 1;
  }
  printArtifactSummary(*loaded, std::cout);
  return 0;
}

} // namespace strata::runtime

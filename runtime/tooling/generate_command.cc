//===- generate_command.cc - strata-run generate --------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/generate_command.h"

#include "runtime/tooling/rank_setup.h"

#include "runtime/executor/parameters.h"
#include "runtime/io/file_io.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/tooling/training_command.h"

#include <cstdio>
#include <memory>
#include <unistd.h>

namespace strata::runtime {

namespace {

/// Prompts from --prompt flags, or one per line of --prompt-file (a line
/// may spell a newline as the two characters "\n").
StatusOr<std::vector<std::string>> readPrompts(const GenerateOptions &o) {
  std::vector<std::string> prompts = o.prompts;
  if (!o.promptFile.empty()) {
    STRATA_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                            io::readWholeFile(o.promptFile));
    std::string line;
    auto flush = [&] {
      std::string text;
      for (size_t i = 0; i < line.size(); ++i)
        if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == 'n') {
          text += '\n';
          ++i;
        } else {
          text += line[i];
        }
      if (!text.empty())
        prompts.push_back(text);
      line.clear();
    };
    for (uint8_t byte : bytes) {
      if (byte == '\n')
        flush();
      else
        line += static_cast<char>(byte);
    }
    flush();
  }
  if (prompts.empty())
    return Status::invalidArgument("no prompt: give --prompt TEXT or "
                                   "--prompt-file FILE");
  return prompts;
}

} // namespace

Status runGenerateCommand(const GenerateOptions &o) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> prompts, readPrompts(o));
  STRATA_ASSIGN_OR_RETURN(
      tokenizer::Tokenizer tokenizer,
      tokenizer::Tokenizer::load(resolveTokenizerDirectory(o.tokenizer)));
  STRATA_ASSIGN_OR_RETURN(
      RankArtifact loaded,
      rankSetup().loadArtifact(
          o.artifact, "inference does not run under pipeline parallelism: "
                      "compile the model with --mode infer at pp 1 (tensor "
                      "parallelism is fine) and load the checkpoint"));
  ExecutorOptions executorOptions;
  executorOptions.dropout = false;
  executorOptions.profile = o.profile;
  executorOptions.mesh = loaded.mesh;
  STRATA_ASSIGN_OR_RETURN(Backend * backend, rankSetup().backend(o.threads));
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<Executor> executor,
      Executor::create(std::move(loaded.artifact), *backend, executorOptions));
  if (o.checkpoint.empty())
    return Status::invalidArgument("generate needs --checkpoint (a trained "
                                   "model's model.safetensors)");
  STRATA_RETURN_IF_ERROR(loadHfCheckpoint(*executor, o.checkpoint));
  STRATA_ASSIGN_OR_RETURN(inference::Generator generator,
                          inference::Generator::create(*executor));
  if (tokenizer.vocabSize() > generator.vocabSize())
    return Status::invalidArgument(
        "the tokenizer has " + std::to_string(tokenizer.vocabSize()) +
        " ids but the model's vocabulary is " +
        std::to_string(generator.vocabSize()));
  inference::GenerationOptions generation = o.generation;
  generation.endOfText = tokenizer.endOfTextId();
  generation.allowedVocab = tokenizer.vocabSize();
  const int64_t batch =
      o.batch > 0 ? std::min(o.batch, generator.batchSize())
                  : generator.batchSize();
  const bool stream = prompts.size() == 1 && isatty(fileno(stdout));

  for (size_t first = 0; first < prompts.size(); first += batch) {
    const size_t count = std::min<size_t>(batch, prompts.size() - first);
    std::vector<std::vector<int32_t>> ids;
    for (size_t i = 0; i < count; ++i) {
      ids.push_back(tokenizer.encode(prompts[first + i]));
      if (ids.back().empty())
        return Status::invalidArgument("prompt " + std::to_string(first + i + 1) +
                                       " is empty");
    }
    if (stream)
      std::fputs(prompts[first].c_str(), stdout);
    inference::TokenCallback onToken;
    if (stream)
      onToken = [&](size_t, int32_t id) {
        std::string_view bytes = tokenizer.tokenBytes(id);
        std::fwrite(bytes.data(), 1, bytes.size(), stdout);
        std::fflush(stdout);
      };
    inference::GenerationTiming timing;
    StatusOr<std::vector<std::vector<int32_t>>> generated =
        generator.generate(ids, generation, onToken, &timing);
    if (!generated.isOk())
      return generated.status().withContext(
          "prompts " + std::to_string(first + 1) + ".." +
          std::to_string(first + count));
    for (size_t i = 0; i < count; ++i) {
      if (stream) {
        std::fputc('\n', stdout);
      } else {
        STRATA_ASSIGN_OR_RETURN(std::string text,
                                tokenizer.decode((*generated)[i]));
        if (prompts.size() > 1)
          std::printf("--- prompt %zu\n", first + i + 1);
        std::printf("%s%s\n", prompts[first + i].c_str(), text.c_str());
      }
      if (o.printIds) {
        std::printf("ids:");
        for (int32_t id : ids[i])
          std::printf(" %d", id);
        std::printf(" |");
        for (int32_t id : (*generated)[i])
          std::printf(" %d", id);
        std::printf("\n");
      }
    }
    if (o.timing) {
      const double perToken =
          timing.decodeSteps > 0 ? timing.decodeSeconds / timing.decodeSteps
                                 : 0.0;
      std::printf("time to first token %.3f s; decode %.1f tokens/s per row "
                  "(%lld steps, batch %zu)\n",
                  timing.prefillSeconds, perToken > 0 ? 1.0 / perToken : 0.0,
                  static_cast<long long>(timing.decodeSteps), count);
    }
    std::fflush(stdout);
  }
  if (o.profile)
    for (const KernelProfile &k : executor->profile())
      std::printf("%-24s %8lld calls %10.4f s\n", k.kernel.c_str(),
                  static_cast<long long>(k.calls), k.seconds);
  return Status::ok();
}

} // namespace strata::runtime

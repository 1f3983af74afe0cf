//===- generate_command.cc - strata-run generate --------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/generate_command.h"

#include "runtime/tooling/rank_setup.h"
#include "runtime/tooling/terminal_output.h"

#include "runtime/executor/artifact_prompt_tasks.h"
#include "runtime/executor/adapter_parameters.h"
#include "runtime/executor/parameters.h"
#include "runtime/tokenizer/text_stream.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/tooling/training_command.h"

#include <algorithm>
#include <cstdio>
#include <memory>

namespace strata::runtime {

namespace {

/// The parameters generation runs with, from --checkpoint: the whole model,
/// a prompt-learning model's adapters included (saveHfCheckpoint writes them
/// under their Strata names, io::isAdapterParameter). Kept in this one
/// function on purpose: adapter-only checkpoints with a separate base
/// (--base-checkpoint) replace its body.
Status loadGenerationParameters(Executor &executor, const GenerateOptions &o) {
  if (o.checkpoint.empty())
    return Status::invalidArgument("generate needs --checkpoint (a trained "
                                   "model's model.safetensors)");
  // A model with adapters may come as an adapter checkpoint over its base.
  return loadModelCheckpoint(executor, o.checkpoint, o.baseCheckpoint);
}

/// The text of |ids| as valid UTF-8 (tokenizer::TextStream: a byte that
/// forms no character is U+FFFD).
std::string textOf(const tokenizer::Tokenizer &tokenizer,
                   const std::vector<int32_t> &ids) {
  tokenizer::TextStream stream(tokenizer);
  std::string text;
  for (int32_t id : ids)
    text += stream.push(id);
  return text + stream.finish();
}

/// "ids: 1 2 3 | 4 5", a virtual token as "v" and its global row.
void printIds(const inference::GenerationPrompt &prompt,
              const std::vector<int32_t> &generated) {
  std::printf("ids:");
  for (size_t i = 0; i < prompt.ids.size(); ++i)
    if (!prompt.virtualRows.empty() && prompt.virtualRows[i] >= 0)
      std::printf(" v%d", prompt.virtualRows[i]);
    else
      std::printf(" %d", prompt.ids[i]);
  std::printf(" |");
  for (int32_t id : generated)
    std::printf(" %d", id);
  std::printf("\n");
}

} // namespace

Status runGenerateCommand(const GenerateOptions &o) {
  STRATA_ASSIGN_OR_RETURN(
      tokenizer::Tokenizer tokenizer,
      tokenizer::Tokenizer::load(resolveTokenizerDirectory(o.tokenizer)));
  STRATA_ASSIGN_OR_RETURN(
      RankArtifact loaded,
      rankSetup().loadArtifact(o.artifact));
  // The requests are checked before the parameters are read: a mistyped
  // task costs no checkpoint load.
  STRATA_ASSIGN_OR_RETURN(PromptTaskSet tasks, promptTasksOf(loaded.artifact));
  STRATA_ASSIGN_OR_RETURN(
      std::vector<GenerationRequest> requests,
      readGenerationRequests(o.inputs, tasks, o.artifact, tokenizer));
  ExecutorOptions executorOptions;
  executorOptions.dropout = false;
  executorOptions.profile = o.profile;
  executorOptions.mesh = loaded.mesh;
  STRATA_ASSIGN_OR_RETURN(Backend * backend, rankSetup().backend(o.threads));
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<Executor> executor,
      Executor::create(std::move(loaded.artifact), *backend, executorOptions));
  STRATA_RETURN_IF_ERROR(loadGenerationParameters(*executor, o));
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
  // The model's own vocabulary, where it records one, bounds it too: its
  // padding rows are no tokens.
  if (const int64_t real = realVocabSize(executor->artifact()); real > 0)
    generation.allowedVocab = std::min(generation.allowedVocab, real);
  const int64_t batch =
      o.batch > 0 ? std::min(o.batch, generator.batchSize())
                  : generator.batchSize();
  const bool stream = requests.size() == 1 && isLiveTerminal(stdout);

  for (size_t first = 0; first < requests.size(); first += batch) {
    const size_t count = std::min<size_t>(batch, requests.size() - first);
    // Rows of different tasks share the batch: each carries its own
    // virtual rows.
    std::vector<inference::GenerationPrompt> prompts;
    for (size_t i = 0; i < count; ++i)
      prompts.push_back(requests[first + i].prompt);
    if (stream)
      std::fputs(requests[first].text.c_str(), stdout);
    // Printed as each token comes, never half a UTF-8 character.
    std::vector<tokenizer::TextStream> texts(count,
                                             tokenizer::TextStream(tokenizer));
    inference::TokenCallback onToken;
    if (stream)
      onToken = [&](size_t row, int32_t id) {
        const std::string text = texts[row].push(id);
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
      };
    inference::GenerationTiming timing;
    StatusOr<std::vector<std::vector<int32_t>>> generated =
        generator.generate(prompts, generation, onToken, &timing);
    if (!generated.isOk())
      return generated.status().withContext(
          (tasks.tasks.empty() ? "prompts " : "requests ") +
          std::to_string(first + 1) + ".." + std::to_string(first + count));
    for (size_t i = 0; i < count; ++i) {
      const GenerationRequest &request = requests[first + i];
      if (stream) {
        std::fputs((texts[i].finish() + "\n").c_str(), stdout);
      } else {
        const std::string text = textOf(tokenizer, (*generated)[i]);
        if (requests.size() > 1)
          std::printf("--- %s\n", request.name.c_str());
        std::printf("%s%s\n", request.text.c_str(), text.c_str());
      }
      if (o.printIds)
        printIds(request.prompt, (*generated)[i]);
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

//===- generation_requests.cc - what strata-run generate continues --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/generation_requests.h"

#include "runtime/data/prompt_dataset.h"
#include "runtime/io/file_io.h"

namespace strata::runtime {

namespace {

std::string taskNames(const PromptTaskSet &tasks) {
  std::string names;
  for (const PromptTask &task : tasks.tasks)
    names += (names.empty() ? "" : ", ") + task.name;
  return names;
}

/// Prompts from --prompt flags, or one per line of --prompt-file (a line
/// may spell a newline as the two characters "\n").
StatusOr<std::vector<std::string>> readPromptTexts(const GenerationInputs &o) {
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

/// A plain model's rows: the prompts' text, tokenized.
StatusOr<std::vector<GenerationRequest>>
plainRequests(const GenerationInputs &inputs, const std::string &artifact,
              const tokenizer::Tokenizer &tokenizer) {
  const char *flag = !inputs.task.empty()       ? "--task"
                     : !inputs.fields.empty()   ? "--field"
                     : !inputs.requests.empty() ? "--requests"
                                                : nullptr;
  if (flag)
    return Status::invalidArgument(
        std::string(flag) + " applies to a prompt-learning model; " +
        artifact + " records no tasks (compiled without "
        "virtual_prompt_style): give --prompt TEXT or --prompt-file FILE");
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> texts,
                          readPromptTexts(inputs));
  std::vector<GenerationRequest> requests;
  for (size_t i = 0; i < texts.size(); ++i) {
    GenerationRequest request;
    request.name = "prompt " + std::to_string(i + 1);
    request.text = texts[i];
    request.prompt.ids = tokenizer.encode(texts[i]);
    if (request.prompt.ids.empty())
      return Status::invalidArgument(request.name + " is empty");
    requests.push_back(std::move(request));
  }
  return requests;
}

GenerationRequest fromSample(data::PromptSample sample, std::string text,
                             std::string name) {
  GenerationRequest request;
  request.text = std::move(text);
  request.name = std::move(name);
  request.prompt.ids = std::move(sample.ids);
  request.prompt.virtualRows = std::move(sample.virtualRows);
  return request;
}

} // namespace

StatusOr<data::PromptFields>
parseFieldFlags(const std::vector<std::string> &flags) {
  data::PromptFields fields;
  for (const std::string &flag : flags) {
    const size_t equals = flag.find('=');
    if (equals == std::string::npos || equals == 0)
      return Status::invalidArgument("--field \"" + flag +
                                     "\" should be NAME=VALUE");
    const std::string name = flag.substr(0, equals);
    if (!fields.emplace(name, flag.substr(equals + 1)).second)
      return Status::invalidArgument("--field " + name + " is given twice");
  }
  return fields;
}

StatusOr<std::vector<GenerationRequest>>
readGenerationRequests(const GenerationInputs &inputs,
                       const PromptTaskSet &tasks, const std::string &artifact,
                       const tokenizer::Tokenizer &tokenizer) {
  if (tasks.tasks.empty())
    return plainRequests(inputs, artifact, tokenizer);
  const std::string model = artifact + " is a prompt-learning model (tasks " +
                            taskNames(tasks) + "): give --task NAME with its "
                            "fields as --field NAME=VALUE, or --requests "
                            "FILE.jsonl";
  if (!inputs.prompts.empty() || !inputs.promptFile.empty())
    return Status::invalidArgument(
        model + ", instead of " +
        (inputs.prompts.empty() ? "--prompt-file" : "--prompt"));
  if (!inputs.task.empty() && !inputs.requests.empty())
    return Status::invalidArgument("give --task (one request) or --requests "
                                   "(a file of them), not both");
  if (!inputs.fields.empty() && inputs.task.empty())
    return Status::invalidArgument(
        "--field needs --task: the task whose template the fields fill");
  if (!inputs.requests.empty()) {
    STRATA_ASSIGN_OR_RETURN(
        std::vector<data::PromptRequest> file,
        data::loadPromptRequests(inputs.requests, tasks, tokenizer));
    std::vector<GenerationRequest> requests;
    for (size_t i = 0; i < file.size(); ++i) {
      const std::string &task = tasks.tasks[file[i].prompt.task].name;
      requests.push_back(fromSample(
          std::move(file[i].prompt), std::move(file[i].text),
          "request " + std::to_string(i + 1) + " (" + task + ", line " +
              std::to_string(file[i].line) + ")"));
    }
    return requests;
  }
  if (inputs.task.empty())
    return Status::invalidArgument(model);
  StatusOr<size_t> task = data::findPromptTask(tasks, inputs.task);
  if (!task.isOk())
    return task.status().withContext(artifact);
  STRATA_ASSIGN_OR_RETURN(data::PromptFields fields,
                          parseFieldFlags(inputs.fields));
  STRATA_ASSIGN_OR_RETURN(
      data::PromptSample sample,
      data::buildGenerationPrompt(tasks, *task, fields, tokenizer));
  std::vector<GenerationRequest> requests;
  requests.push_back(
      fromSample(std::move(sample),
                 data::generationPromptText(tasks.tasks[*task], fields),
                 "request 1 (" + inputs.task + ")"));
  return requests;
}

} // namespace strata::runtime

//===- prompt_records.cc - NeMo's prompt-learning JSON lines --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/data/prompt_records.h"

#include "runtime/io/file_io.h"

#include <nlohmann/json.hpp>

namespace strata::runtime::data {

namespace {

using json = nlohmann::json;

std::string quoted(const std::string &s) { return "\"" + s + "\""; }

/// "an array", "a boolean", "null": what a value is, for messages.
std::string describe(const json &value) {
  switch (value.type()) {
  case json::value_t::object:
    return "an object";
  case json::value_t::array:
    return "an array";
  case json::value_t::null:
    return "null";
  case json::value_t::boolean:
    return "a boolean";
  case json::value_t::string:
    return "a string";
  default:
    return "a number";
  }
}

/// nlohmann's message without its "[json.exception.parse_error.101] " tag.
std::string parserMessage(const json::exception &error) {
  std::string message = error.what();
  if (!message.empty() && message.front() == '[') {
    const size_t close = message.find("] ");
    if (close != std::string::npos)
      message.erase(0, close + 2);
  }
  return message;
}

bool isBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

} // namespace

StatusOr<PromptRecord> parsePromptRecord(std::string_view line,
                                         const PromptTaskSet &tasks) {
  json object;
  try {
    object = json::parse(line.begin(), line.end());
  } catch (const json::exception &error) {
    return Status::invalidArgument("not valid JSON: " + parserMessage(error));
  }
  if (!object.is_object())
    return Status::invalidArgument("a line must be a JSON object, got " +
                                   describe(object));
  auto name = object.find("taskname");
  if (name == object.end())
    return Status::invalidArgument("the object has no \"taskname\"");
  if (!name->is_string())
    return Status::invalidArgument("\"taskname\" is " + describe(*name) +
                                   ", not a string");
  const std::string &taskName = name->get_ref<const std::string &>();
  STRATA_ASSIGN_OR_RETURN(size_t task, findPromptTask(tasks, taskName));
  PromptRecord record;
  record.task = task;
  for (const auto &item : object.items()) {
    if (item.key() == "taskname")
      continue;
    const json &value = item.value();
    if (value.is_string())
      record.fields[item.key()] = value.get<std::string>();
    else if (value.is_number())
      record.fields[item.key()] = value.dump();
    else
      return Status::invalidArgument("field " + quoted(item.key()) +
                                     " of task " + quoted(taskName) + " is " +
                                     describe(value) + ", not a string");
  }
  return record;
}

Status
forEachPromptRecord(const std::string &path, const PromptTaskSet &tasks,
                    const std::function<Status(const PromptRecord &)> &visit) {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, io::readWholeFile(path));
  const std::string_view text(reinterpret_cast<const char *>(bytes.data()),
                              bytes.size());
  int64_t lineNumber = 0;
  for (size_t begin = 0; begin < text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos)
      end = text.size();
    const std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    ++lineNumber;
    if (isBlank(line))
      continue;
    auto at = [&](const Status &status) {
      return Status(status.code(), path + ":" + std::to_string(lineNumber) +
                                       ": " + status.message());
    };
    StatusOr<PromptRecord> record = parsePromptRecord(line, tasks);
    if (!record.isOk())
      return at(record.status());
    record->line = lineNumber;
    Status visited = visit(*record);
    if (!visited.isOk())
      return at(visited);
  }
  return Status::ok();
}

} // namespace strata::runtime::data

//===- prompt_tasks.cc - prompt-learning tasks as plain data --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "common/prompt_tasks.h"

#include <algorithm>
#include <cctype>

namespace strata {

namespace {

constexpr std::string_view kMarkerOpen = "<|VIRTUAL_PROMPT_";
constexpr std::string_view kMarkerClose = "|>";

std::string at(size_t offset) {
  return " at character " + std::to_string(offset);
}

} // namespace

std::vector<std::string> PromptTemplate::fields() const {
  std::vector<std::string> names;
  for (const PromptPiece &piece : pieces)
    if (piece.kind == PromptPiece::Kind::Field &&
        std::find(names.begin(), names.end(), piece.text) == names.end())
      names.push_back(piece.text);
  return names;
}

int64_t PromptTemplate::virtualMarkers() const {
  return std::count_if(pieces.begin(), pieces.end(), [](const PromptPiece &p) {
    return p.kind == PromptPiece::Kind::Virtual;
  });
}

Checked<PromptTemplate> parsePromptTemplate(std::string_view text) {
  PromptTemplate parsed;
  std::string literal;
  auto flushLiteral = [&] {
    if (literal.empty())
      return;
    parsed.pieces.push_back({PromptPiece::Kind::Text, literal, 0});
    literal.clear();
  };
  int64_t nextMarker = 0;
  std::vector<std::string> seenFields;
  size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, kMarkerOpen.size()) == kMarkerOpen) {
      size_t digits = i + kMarkerOpen.size();
      size_t end = digits;
      while (end < text.size() &&
             std::isdigit(static_cast<unsigned char>(text[end])))
        ++end;
      if (end == digits || text.substr(end, kMarkerClose.size()) != kMarkerClose)
        return checkFailed("prompt template: a virtual prompt marker must be "
                           "<|VIRTUAL_PROMPT_N|> with a number N" +
                           at(i));
      const int64_t n = std::stoll(std::string(text.substr(digits, end - digits)));
      if (n != nextMarker)
        return checkFailed(
            "prompt template: <|VIRTUAL_PROMPT_" + std::to_string(n) + "|>" +
            at(i) + " is out of order: markers are numbered 0, 1, ... in order "
            "of appearance, and the next one is <|VIRTUAL_PROMPT_" +
            std::to_string(nextMarker) + "|>");
      flushLiteral();
      parsed.pieces.push_back({PromptPiece::Kind::Virtual, "", n});
      ++nextMarker;
      i = end + kMarkerClose.size();
      continue;
    }
    if (text[i] == '{') {
      size_t close = text.find('}', i + 1);
      if (close == std::string_view::npos)
        return checkFailed("prompt template: '{'" + at(i) +
                           " has no closing '}'");
      std::string name(text.substr(i + 1, close - i - 1));
      if (name.empty() || name.find('{') != std::string::npos)
        return checkFailed("prompt template: a field must be {name} with a "
                           "non-empty name" +
                           at(i));
      if (std::find(seenFields.begin(), seenFields.end(), name) !=
          seenFields.end())
        return checkFailed("prompt template: field {" + name + "}" + at(i) +
                           " appears twice");
      seenFields.push_back(name);
      flushLiteral();
      parsed.pieces.push_back({PromptPiece::Kind::Field, name, 0});
      i = close + 1;
      continue;
    }
    if (text[i] == '}')
      return checkFailed("prompt template: '}'" + at(i) + " closes no field");
    literal.push_back(text[i]);
    ++i;
  }
  flushLiteral();
  return parsed;
}

const char *toString(VirtualPromptStyle style) {
  switch (style) {
  case VirtualPromptStyle::PromptTuning:
    return "prompt-tuning";
  case VirtualPromptStyle::PTuning:
    return "p-tuning";
  }
  return "?";
}

std::optional<VirtualPromptStyle> parseVirtualPromptStyle(std::string_view s) {
  if (s == "prompt-tuning" || s == "prompt_tuning")
    return VirtualPromptStyle::PromptTuning;
  if (s == "p-tuning" || s == "p_tuning")
    return VirtualPromptStyle::PTuning;
  return std::nullopt;
}

std::optional<size_t> PromptTaskSet::find(std::string_view name) const {
  for (size_t i = 0; i < tasks.size(); ++i)
    if (tasks[i].name == name)
      return i;
  return std::nullopt;
}

int64_t PromptTaskSet::offsetOf(size_t task) const {
  int64_t offset = 0;
  for (size_t i = 0; i < task && i < tasks.size(); ++i)
    offset += tasks[i].totalVirtualTokens;
  return offset;
}

int64_t PromptTaskSet::totalVirtualTokens() const {
  return offsetOf(tasks.size());
}

} // namespace strata

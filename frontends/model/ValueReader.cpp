//===- ValueReader.cpp - Reading one value of a description --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ValueReader.h"

namespace strata::frontend {

void ValueReader::record(const std::string &path, const KeyInfo &info,
                         const YamlNode &value) {
  std::string text = value.isScalar() ? value.text : renderFlow(value);
  if (!info.implemented.empty() &&
      !(value.isScalar() && Interpolator::hasInterpolation(value.text))) {
    std::string actual = value.isScalar() ? toLower(value.text) : text;
    const std::string name(info.name);
    const std::string implemented(info.implemented);
    if (actual != info.implemented) {
      if (info.strict)
        sink.error(value.location, name + " " + text +
                                       " is not supported yet; Strata "
                                       "supports only " +
                                       name + " " + implemented);
      else
        sink.warning(value.location,
                     name + " " + text +
                         " is not implemented and is ignored; Strata builds "
                         "the model with " +
                         name + " " + implemented);
    }
  }
  recorded.push_back(RecordedKey{path, std::move(text), value.location});
}

std::optional<ResolvedValue> ValueReader::resolveUsed(const std::string &name,
                                                      const YamlNode &node) {
  std::optional<ResolvedValue> value = interpolator.resolve(node);
  if (value && (*value)->isScalar() && (*value)->plain &&
      (*value)->text == "???") {
    sink.error(value->location, name +
                                    " is '\?\?\?', a value that must be given; "
                                    "set it in the file or with an override");
    return std::nullopt;
  }
  return value;
}

bool ValueReader::expectMapping(const std::string &name,
                                const ResolvedValue &value) {
  if (value->isMapping())
    return true;
  sink.error(value.location,
             name + " must be a mapping, got " + describeNode(*value));
  return false;
}

void ValueReader::readSection(Section section, const std::string &prefix,
                              const YamlNode &mapping,
                              const UsedKeyReader &used) {
  for (const YamlEntry &entry : mapping.entries) {
    const KeyInfo *info = findKey(section, entry.key);
    if (!info) {
      sink.error(entry.keyLocation, unknownKeyMessage(section, entry.key));
      continue;
    }
    const std::string name = prefix + entry.key;
    if (info->use == KeyUse::Recorded) {
      record("model." + name, *info, *entry.value);
      continue;
    }
    if (std::optional<ResolvedValue> value = resolveUsed(name, *entry.value))
      used(entry.key, name, *value);
  }
}

std::optional<int64_t> ValueReader::integerIn(const std::string &name,
                                              const YamlNode &node,
                                              const SourceLocation &at,
                                              IntRange range) {
  int64_t parsed = 0;
  IntegerStatus status = node.isScalar() && node.plain
                             ? parseYamlInteger(node.text, parsed)
                             : IntegerStatus::NotAnInteger;
  if (status == IntegerStatus::NotAnInteger) {
    sink.error(at, name + " must be an integer, got " + describeNode(node));
    return std::nullopt;
  }
  if (status == IntegerStatus::OutOfRange || parsed > kMaxIntegerValue) {
    sink.error(at, name + " " + node.text + " is too large (at most " +
                       std::to_string(kMaxIntegerValue) + ")");
    return std::nullopt;
  }
  if (range == IntRange::Positive && parsed <= 0) {
    sink.error(at, name + " must be positive, got " + node.text);
    return std::nullopt;
  }
  if (range == IntRange::NonNegative && parsed < 0) {
    sink.error(at, name + " must be 0 or more, got " + node.text);
    return std::nullopt;
  }
  return parsed;
}

void ValueReader::readInt(const std::string &name, const ResolvedValue &v,
                          Given<int64_t> &out, IntRange range) {
  if (begin(v, out))
    out.value = integerIn(name, *v, v.location, range);
}

void ValueReader::readFloat(const std::string &name, const ResolvedValue &v,
                            FloatRange range, Given<double> &out) {
  if (!begin(v, out))
    return;
  std::optional<double> parsed;
  if (v->isScalar() && v->plain)
    parsed = parseYamlFloat(v->text);
  if (!parsed) {
    sink.error(v.location, name + " must be a number, got " + describeNode(*v));
    return;
  }
  double x = *parsed;
  switch (range) {
  case FloatRange::Probability:
    if (x < 0 || x >= 1) {
      sink.error(v.location, name + " must be in [0, 1), got " + v->text);
      return;
    }
    break;
  case FloatRange::Positive:
    if (x <= 0) {
      sink.error(v.location, name + " must be positive, got " + v->text);
      return;
    }
    break;
  case FloatRange::Fraction:
    if (x <= 0 || x > 1) {
      sink.error(v.location, name + " must be in (0, 1], got " + v->text);
      return;
    }
    break;
  }
  out.value = x;
}

void ValueReader::readBool(const std::string &name, const ResolvedValue &v,
                           Given<bool> &out) {
  if (!begin(v, out))
    return;
  std::optional<bool> parsed;
  if (v->isScalar() && v->plain)
    parsed = parseYamlBool(v->text);
  if (!parsed) {
    sink.error(v.location,
               name + " must be true or false, got " + describeNode(*v));
    return;
  }
  out.value = *parsed;
}

void ValueReader::readString(const std::string &name, const ResolvedValue &v,
                             Given<std::string> &out) {
  if (!begin(v, out))
    return;
  if (!v->isScalar()) {
    sink.error(v.location, name + " must be a string, got " + describeNode(*v));
    return;
  }
  out.value = v->text;
}

void ValueReader::readStringList(const std::string &name,
                                 const ResolvedValue &v,
                                 Given<std::vector<ListItem>> &out) {
  if (!begin(v, out))
    return;
  out.text = renderFlow(*v);
  if (!v->isSequence()) {
    sink.error(v.location,
               name + " must be a list of names, got " + describeNode(*v));
    return;
  }
  std::vector<ListItem> items;
  bool ok = true;
  for (const auto &item : v->items) {
    std::optional<ResolvedValue> resolved = resolveUsed(name, *item);
    if (!resolved) {
      ok = false;
      continue;
    }
    if (!(*resolved)->isScalar() || (*resolved)->text.empty()) {
      sink.error(resolved->location, name + " entries must be names, got " +
                                         describeNode(**resolved));
      ok = false;
      continue;
    }
    items.push_back(ListItem{(*resolved)->text, resolved->location});
  }
  if (ok)
    out.value = std::move(items);
}

void ValueReader::readIntList(const std::string &name, const ResolvedValue &v,
                              Given<std::vector<int64_t>> &out) {
  if (!begin(v, out))
    return;
  out.text = renderFlow(*v);
  if (!v->isSequence()) {
    sink.error(v.location,
               name + " must be a list of integers, got " + describeNode(*v));
    return;
  }
  std::vector<int64_t> values;
  bool ok = true;
  for (const auto &item : v->items) {
    std::optional<ResolvedValue> resolved = resolveUsed(name, *item);
    std::optional<int64_t> parsed;
    if (resolved)
      parsed = integerIn(name + " entries", **resolved, resolved->location,
                         IntRange::Positive);
    if (parsed)
      values.push_back(*parsed);
    else
      ok = false;
  }
  if (ok)
    out.value = std::move(values);
}

std::optional<size_t>
ValueReader::findSpelling(const std::string &name, const ResolvedValue &v,
                          const std::vector<std::string_view> &texts,
                          const std::vector<bool> &supported) {
  if (!v->isScalar()) {
    sink.error(v.location, name + " must be a string, got " + describeNode(*v));
    return std::nullopt;
  }
  std::vector<std::string_view> usable;
  for (size_t i = 0; i < texts.size(); ++i)
    if (supported[i])
      usable.push_back(texts[i]);
  std::string choices;
  for (size_t i = 0; i < usable.size(); ++i)
    choices += (i == 0                   ? ""
                : i + 1 == usable.size() ? " or "
                                         : ", ") +
               std::string(usable[i]);

  const std::string text = toLower(v->text);
  for (size_t i = 0; i < texts.size(); ++i) {
    if (texts[i] != text)
      continue;
    if (supported[i])
      return i;
    sink.error(v.location,
               name + " " + v->text + " is not supported yet; use " + choices);
    return std::nullopt;
  }
  std::string message =
      "unknown " + name + " '" + v->text + "'; expected " + choices;
  std::string close = closestMatch(text, texts);
  if (!close.empty())
    message += "; did you mean '" + close + "'?";
  sink.error(v.location, message);
  return std::nullopt;
}

} // namespace strata::frontend

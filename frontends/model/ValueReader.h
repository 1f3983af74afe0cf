//===- ValueReader.h - Reading one value of a description ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend: the per-value steps every
// section shares. Resolve `${...}`, check the value alone (type, range,
// spelling) and store it with its location in a Given<T>; record known keys
// the compiler does not use; walk a mapping of known keys. Messages name the
// value as |name| ("hidden_size", "peft.lora_tuning.alpha").
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_VALUEREADER_H
#define STRATA_FRONTENDS_MODEL_VALUEREADER_H

#include "frontends/model/DiagnosticSink.h"
#include "frontends/model/EditDistance.h"
#include "frontends/model/Interpolation.h"
#include "frontends/model/KeyTable.h"
#include "frontends/model/ScalarValues.h"
#include "frontends/model/Settings.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::frontend {

/// Largest integer any used key accepts (2^40): products of two such values
/// cannot overflow int64_t.
inline constexpr int64_t kMaxIntegerValue = int64_t(1) << 40;

/// How an enumerated key may be spelled; no value means "known but not
/// supported yet".
template <typename E> struct Spelling {
  std::string_view text;
  std::optional<E> value;
};

template <typename E> using Spellings = std::vector<Spelling<E>>;

enum class IntRange {
  Positive,    // > 0
  NonNegative, // >= 0: a count that may be none
};

enum class FloatRange {
  Probability, // [0, 1)
  Positive,    // > 0
  Fraction,    // (0, 1]
};

class ValueReader {
public:
  /// Reads values of the document |root|; recorded keys go to |recorded|.
  ValueReader(const YamlNode &root, DiagnosticSink &sink,
              std::vector<RecordedKey> &recorded)
      : root(root), sink(sink), recorded(recorded), interpolator(root, sink) {}

  const YamlNode &document() const { return root; }
  DiagnosticSink &diagnostics() { return sink; }

  /// Keeps |value| of the known-but-unused key at |path|; warns (or, for a
  /// strict key, errs) when it is not the value Strata implements.
  void record(const std::string &path, const KeyInfo &info,
              const YamlNode &value);
  /// Follows |node|'s interpolations; nullopt after an error (reported
  /// once, however often |node| is resolved).
  std::optional<ResolvedValue> resolve(const YamlNode &node) {
    return interpolator.resolve(node);
  }
  /// The undefined key |node| interpolates, if any (reports nothing).
  std::optional<std::string> missingReference(const YamlNode &node) const {
    return interpolator.missingReference(node);
  }
  /// resolve() for a value that is read: OmegaConf's `???` is an error too.
  std::optional<ResolvedValue> resolveUsed(const std::string &name,
                                           const YamlNode &node);
  bool expectMapping(const std::string &name, const ResolvedValue &value);

  /// Walks the mapping |mapping| of |section|, whose keys are named
  /// |prefix| + key in messages and records: unknown keys are errors,
  /// recorded keys are recorded, and each used key's resolved value goes to
  /// |used|(key, name, value).
  using UsedKeyReader = std::function<void(
      const std::string &key, const std::string &name, const ResolvedValue &)>;
  void readSection(Section section, const std::string &prefix,
                   const YamlNode &mapping, const UsedKeyReader &used);

  void readInt(const std::string &name, const ResolvedValue &value,
               Given<int64_t> &out, IntRange range = IntRange::Positive);
  void readFloat(const std::string &name, const ResolvedValue &value,
                 FloatRange range, Given<double> &out);
  void readBool(const std::string &name, const ResolvedValue &value,
                Given<bool> &out);
  void readString(const std::string &name, const ResolvedValue &value,
                  Given<std::string> &out);
  template <typename E>
  void readEnum(const std::string &name, const ResolvedValue &value,
                const Spellings<E> &spellings, Given<E> &out);
  /// A sequence of non-empty strings, each with its location (null leaves
  /// |out| unset, as for any key).
  void readStringList(const std::string &name, const ResolvedValue &value,
                      Given<std::vector<ListItem>> &out);
  /// A sequence of positive integers.
  void readIntList(const std::string &name, const ResolvedValue &value,
                   Given<std::vector<int64_t>> &out);

  /// Marks |out| present at |value|; false when the value is null (the
  /// setting then keeps its default).
  template <typename T>
  static bool begin(const ResolvedValue &value, Given<T> &out) {
    out.present = true;
    out.null = value->isNull();
    out.location = value.location;
    out.value.reset();
    out.text = value->isNull() ? "null" : value->text;
    return !value->isNull();
  }

private:
  /// The index of |value|'s spelling among |texts| (any letter case), after
  /// reporting an unknown one (with a suggestion) or an unsupported one.
  std::optional<size_t> findSpelling(const std::string &name,
                                     const ResolvedValue &value,
                                     const std::vector<std::string_view> &texts,
                                     const std::vector<bool> &supported);
  /// The integer |node| holds, after reporting a non-integer, a value
  /// that is too large or one outside |range|.
  std::optional<int64_t> integerIn(const std::string &name,
                                   const YamlNode &node,
                                   const SourceLocation &at, IntRange range);

  const YamlNode &root;
  DiagnosticSink &sink;
  std::vector<RecordedKey> &recorded;
  Interpolator interpolator;
};

template <typename E>
void ValueReader::readEnum(const std::string &name, const ResolvedValue &v,
                           const Spellings<E> &spellings, Given<E> &out) {
  if (!begin(v, out))
    return;
  std::vector<std::string_view> texts;
  std::vector<bool> supported;
  for (const Spelling<E> &spelling : spellings) {
    texts.push_back(spelling.text);
    supported.push_back(spelling.value.has_value());
  }
  if (std::optional<size_t> index = findSpelling(name, v, texts, supported))
    out.value = *spellings[*index].value;
}

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_VALUEREADER_H

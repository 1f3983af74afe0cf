//===- Given.h - One value of a description, as written -----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend: a setting with the place it
// was written, so cross-key messages can point at it.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_GIVEN_H
#define STRATA_FRONTENDS_MODEL_GIVEN_H

#include "frontends/model/ModelDescription.h"

#include <optional>
#include <string>

namespace strata::frontend {

/// One setting: its value when given (a null leaves it unset, meaning "use
/// the default"), the text it was written as, and where.
template <typename T> struct Given {
  std::optional<T> value;
  /// The value as written, for messages ("bf16-mixed", "0.1").
  std::string text;
  /// Where the value was written (also for a null): the place to point at.
  SourceLocation location;
  /// The key appears (possibly with null).
  bool present = false;
  /// The key appears with null.
  bool null = false;

  bool has() const { return value.has_value(); }
  const T &operator*() const { return *value; }
  const T *operator->() const { return &*value; }
  T valueOr(T fallback) const { return value.value_or(fallback); }
};

/// A string in a list (a task name, a LoRA target), with where it was
/// written.
struct ListItem {
  std::string text;
  SourceLocation location;
};

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_GIVEN_H

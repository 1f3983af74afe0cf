//===- ScalarValues.h - Typing YAML scalars ------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend. yaml-cpp hands out text; these
// decide what a plain scalar means, following YAML 1.2's core schema (what
// OmegaConf and PyYAML agree on for the values NeMo configs use): integers
// `[-+]?[0-9]+`, `0x...`, `0o...`; floats `1.5`, `1e-5`, `.5`; booleans
// true/false in any case. Quoted scalars are strings and never reach these.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_SCALARVALUES_H
#define STRATA_FRONTENDS_MODEL_SCALARVALUES_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata::frontend {

enum class IntegerStatus { Ok, NotAnInteger, OutOfRange };

/// Parses a YAML integer; |out| is set only when the status is Ok.
IntegerStatus parseYamlInteger(std::string_view text, int64_t &out);

/// Parses a YAML float or integer into a finite double; nullopt for
/// anything else, including .inf and .nan.
std::optional<double> parseYamlFloat(std::string_view text);

/// true/false in any letter case; nullopt otherwise (YAML 1.1's yes/no/on/
/// off are not booleans here, as in YAML 1.2).
std::optional<bool> parseYamlBool(std::string_view text);

/// ASCII lower case.
std::string toLower(std::string_view text);

/// Shortest text that reads back as |value| ("0.1", "1e-05", "10000").
std::string formatDouble(double value);

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_SCALARVALUES_H

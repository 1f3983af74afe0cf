//===- Overrides.h - Hydra-style command-line overrides ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend: applies "model.num_layers=4"
// style overrides to the YAML tree before anything is read, so an override
// is checked exactly like a value written in the file (unknown keys, types,
// every rule); its location is "<command line>".
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_OVERRIDES_H
#define STRATA_FRONTENDS_MODEL_OVERRIDES_H

#include "frontends/model/YamlTree.h"

namespace strata::frontend {

/// Applies each "dotted.key=value" of |overrides| to |root| in order: the
/// value is parsed as YAML ("8", "bf16", "null", "[1, 2]", "" for null),
/// missing intermediate mappings are created, an existing key keeps its
/// place. Hydra's "+" and "++" prefixes are accepted and mean the same.
/// Does nothing when |root| is not a mapping (the reader reports that).
void applyOverrides(YamlNode &root, const Overrides &overrides,
                    DiagnosticSink &sink);

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_OVERRIDES_H

//===- SectionReader.h - Reading the sections of a description -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend: walks the top level, `trainer`,
// `model` and `model.tokenizer` mappings in file order, resolves `${...}`
// references, types and range-checks each value, records known-but-unused
// keys and rejects unknown ones. Rules that relate several keys are left to
// ConsistencyRules.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_SECTIONREADER_H
#define STRATA_FRONTENDS_MODEL_SECTIONREADER_H

#include "frontends/model/DiagnosticSink.h"
#include "frontends/model/Settings.h"
#include "frontends/model/ValueReader.h" // kMaxIntegerValue
#include "frontends/model/YamlTree.h"

namespace strata::frontend {

/// Reads the document |root| into |settings| (whose fileName is set).
void readSections(const YamlNode &root, Settings &settings,
                  DiagnosticSink &sink);

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_SECTIONREADER_H

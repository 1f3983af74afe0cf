//===- EditDistance.h - "did you mean" suggestions -----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend: Levenshtein distance and the
// closest-candidate search behind "unknown key 'hiden_size'; did you mean
// 'hidden_size'?".
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_EDITDISTANCE_H
#define STRATA_FRONTENDS_MODEL_EDITDISTANCE_H

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace strata::frontend {

/// Levenshtein distance (insertions, deletions, substitutions; each costs
/// one) between |a| and |b|, comparing ASCII letters case-insensitively.
/// Returns |limit| + 1 as soon as the distance is known to exceed |limit|,
/// so a long string costs O(|a| * (2 * limit + 1)) at most.
size_t editDistance(std::string_view a, std::string_view b, size_t limit);

/// The candidate closest to |word| if it is close enough to be a plausible
/// typo (a third of the word's length rounded up, between 1 and 3 edits;
/// a swap of two letters counts as two);
/// ties go to the earliest candidate. Empty when none is close.
std::string closestMatch(std::string_view word,
                         const std::vector<std::string_view> &candidates);

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_EDITDISTANCE_H

//===- vocab_padding.cc - checkpoints across vocabulary padding -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/vocab_padding.h"

#include <algorithm>
#include <cstring>

namespace strata::runtime::io {

namespace {

/// |tensor|'s first |count| rows (dimension 0) followed by zero rows up to
/// |total|.
StatusOr<HostTensor> firstRows(const HostTensor &tensor, int64_t count,
                               int64_t total) {
  std::vector<int64_t> shape = tensor.shape();
  const int64_t rowBytes =
      shape[0] == 0 ? 0 : int64_t(tensor.byteSize()) / shape[0];
  shape[0] = total;
  STRATA_ASSIGN_OR_RETURN(HostTensor out,
                          HostTensor::allocate(tensor.dtype(), shape));
  std::memcpy(out.bytes(), tensor.bytes(), size_t(count * rowBytes));
  return out; // allocate zero-fills the rest
}

bool isVocabularyHfName(const std::string &name,
                        ::strata::ModelFamily family) {
  if (name == "lm_head.weight")
    return true;
  if (family == ::strata::ModelFamily::Gpt2)
    return name == "wte.weight" || name == "transformer.wte.weight";
  return name == "model.embed_tokens.weight";
}

} // namespace

bool isVocabularyParameter(const std::string &strataName) {
  return strataName == "embedding.word_embeddings.weight" ||
         strataName == "output.weight";
}

StatusOr<HostTensor> fitVocabularyRows(const HostTensor &tensor,
                                       const VocabularyRows &rows,
                                       const std::string &name,
                                       const std::string &source) {
  if (tensor.rank() == 0)
    return Status::invalidArgument(source + ": " + name +
                                   " is a scalar, not a vocabulary tensor");
  const int64_t have = tensor.shape()[0];
  if (have == rows.padded)
    return tensor;
  if (have < rows.real)
    return Status::invalidArgument(
        source + ": " + name + " has " + std::to_string(have) +
        " vocabulary rows, fewer than the model's vocabulary of " +
        std::to_string(rows.real) + " tokens (padded to " +
        std::to_string(rows.padded) +
        " rows); the checkpoint is of another vocabulary");
  return firstRows(tensor, rows.real, rows.padded);
}

Status fitCheckpointVocabulary(TensorMap &hf, ::strata::ModelFamily family,
                               const VocabularyRows &rows,
                               const std::string &source) {
  if (rows.real <= 0)
    return Status::ok();
  for (auto &[name, tensor] : hf) {
    if (!isVocabularyHfName(name, family) || tensor.rank() == 0 ||
        tensor.shape()[0] == rows.padded)
      continue;
    STRATA_ASSIGN_OR_RETURN(HostTensor fitted,
                            fitVocabularyRows(tensor, rows, name, source));
    tensor = std::move(fitted);
  }
  return Status::ok();
}

Status stripVocabularyPadding(TensorMap &params, int64_t realVocab) {
  if (realVocab <= 0)
    return Status::ok();
  for (auto &[name, tensor] : params) {
    if (!isVocabularyParameter(name) || tensor.rank() == 0 ||
        tensor.shape()[0] <= realVocab)
      continue;
    STRATA_ASSIGN_OR_RETURN(HostTensor cut,
                            firstRows(tensor, realVocab, realVocab));
    tensor = std::move(cut);
  }
  return Status::ok();
}

} // namespace strata::runtime::io

//===- hf_checkpoint.cc - Hugging Face checkpoints of Strata models -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/hf_checkpoint.h"

#include "runtime/io/checkpoint_directory.h"
#include "runtime/io/vocab_padding.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

namespace strata::runtime::io {

bool isAdapterParameter(const std::string &name) {
  return name.rfind("prompt_table.", 0) == 0 ||
         name.rfind("prompt_encoder.", 0) == 0 ||
         name.find(".lora_") != std::string::npos;
}

const char *toString(HfFamily family) { return modelFamilyName(family); }

namespace {

// True when |s| begins with |prefix|.
bool startsWith(const std::string &s, const std::string &prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Splits "layers.12.attention.query.weight" into 12 and
// "attention.query.weight". Only canonical decimal indices are accepted.
bool splitLayerName(const std::string &name, int64_t &layer,
                    std::string &rest) {
  const std::string prefix = "layers.";
  if (!startsWith(name, prefix))
    return false;
  size_t pos = prefix.size(), start = pos;
  int64_t value = 0;
  while (pos < name.size() && name[pos] >= '0' && name[pos] <= '9') {
    if (__builtin_mul_overflow(value, int64_t(10), &value) ||
        __builtin_add_overflow(value, int64_t(name[pos] - '0'), &value))
      return false;
    ++pos;
  }
  if (pos == start || pos >= name.size() || name[pos] != '.' ||
      (name[start] == '0' && pos - start > 1))
    return false;
  layer = value;
  rest = name.substr(pos + 1);
  return true;
}

// True when |name| is "<prefix><digits><suffix>".
bool matchesIndexed(const std::string &name, const std::string &prefix,
                    const std::string &suffix) {
  if (name.size() <= prefix.size() + suffix.size() ||
      !startsWith(name, prefix) ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  for (size_t i = prefix.size(); i < name.size() - suffix.size(); ++i)
    if (name[i] < '0' || name[i] > '9')
      return false;
  return true;
}

// 'name', for messages.
std::string quote(const std::string &name) { return "'" + name + "'"; }

// |name| as the mapping spells it: GPT-2 without "transformer." (the gpt2
// hub checkpoint's names), Llama with "model." (a LlamaModel's state dict,
// the base model without its head, lacks it).
std::string canonicalHfName(const std::string &name, HfFamily family) {
  if (family == HfFamily::Gpt2)
    return startsWith(name, "transformer.")
               ? name.substr(std::strlen("transformer."))
               : name;
  if (startsWith(name, "embed_tokens.") || startsWith(name, "layers.") ||
      startsWith(name, "norm."))
    return "model." + name;
  return name;
}

// Builds the mapping of one parameter; |byName| gives the rest of the table.
class MappingBuilder {
public:
  MappingBuilder(HfFamily family,
                 const std::map<std::string, const ParameterSpec *> &byName)
      : family_(family), byName_(byName) {}

  // Fills |m| with where |spec| lives in the Hugging Face checkpoint.
  Status map(const ParameterSpec &spec, HfTensorMapping &m) {
    m.strataName = spec.name;
    m.strataShape = spec.shape;
    m.dtype = spec.dtype;
    const std::vector<int64_t> &s = spec.shape;
    const bool gpt2 = family_ == HfFamily::Gpt2;
    const std::string &name = spec.name;

    if (isAdapterParameter(name))
      return reshape(m, name, s);
    if (name == "embedding.word_embeddings.weight") {
      STRATA_RETURN_IF_ERROR(expectRank(spec, 2, "[vocab, hidden]"));
      return reshape(m, gpt2 ? "wte.weight" : "model.embed_tokens.weight", s);
    }
    if (name == "embedding.position_embeddings.weight" && gpt2) {
      STRATA_RETURN_IF_ERROR(expectRank(spec, 2, "[positions, hidden]"));
      return reshape(m, "wpe.weight", s);
    }
    if (name == "final_norm.weight" || (name == "final_norm.bias" && gpt2)) {
      STRATA_RETURN_IF_ERROR(expectRank(spec, 1, "[hidden]"));
      std::string field = name.substr(name.rfind('.') + 1);
      return reshape(m, gpt2 ? "ln_f." + field : "model.norm.weight", s);
    }
    if (name == "output.weight") {
      STRATA_RETURN_IF_ERROR(expectRank(spec, 2, "[vocab, hidden]"));
      return reshape(m, "lm_head.weight", s);
    }
    int64_t layer;
    std::string rest;
    if (!splitLayerName(name, layer, rest))
      return unmappable(spec);
    const std::string n = std::to_string(layer);
    return gpt2 ? mapGpt2Layer(spec, n, rest, m)
                : mapLlamaLayer(spec, n, rest, m);
  }

private:
  // The error for a parameter |family_| has no name for.
  Status unmappable(const ParameterSpec &spec) const {
    return Status::invalidArgument("parameter " + quote(spec.name) +
                                   " has no Hugging Face " +
                                   toString(family_) + " equivalent");
  }

  // An error unless |spec| has |rank| dimensions (|layout| names them).
  Status expectRank(const ParameterSpec &spec, size_t rank,
                    const char *layout) const {
    if (spec.shape.size() != rank)
      return Status::invalidArgument(
          "parameter " + quote(spec.name) + " has shape " +
          shapeToString(spec.shape) + "; expected rank " +
          std::to_string(rank) + " " + layout);
    return Status::ok();
  }

  // Fills |m| as a Reshape into |hfName| of |hfShape|.
  static Status reshape(HfTensorMapping &m, std::string hfName,
                        std::vector<int64_t> hfShape) {
    m.hfName = std::move(hfName);
    m.hfShape = std::move(hfShape);
    m.layout = HfTensorMapping::Layout::Reshape;
    return Status::ok();
  }

  // Fills |m| as TransposedColumns [begin, begin + count) of |hfName|.
  static Status columns(HfTensorMapping &m, std::string hfName,
                        std::vector<int64_t> hfShape, int64_t begin,
                        int64_t count) {
    m.hfName = std::move(hfName);
    m.hfShape = std::move(hfShape);
    m.layout = HfTensorMapping::Layout::TransposedColumns;
    m.columnBegin = begin;
    m.columnCount = count;
    return Status::ok();
  }

  // Maps the layer-|n| parameter whose name ends in |rest| to GPT-2.
  Status mapGpt2Layer(const ParameterSpec &spec, const std::string &n,
                      const std::string &rest, HfTensorMapping &m) {
    const std::vector<int64_t> &s = spec.shape;
    const std::string h = "h." + n + ".";
    for (const char *field : {"weight", "bias"}) {
      if (rest == std::string("input_norm.") + field ||
          rest == std::string("post_attention_norm.") + field) {
        STRATA_RETURN_IF_ERROR(expectRank(spec, 1, "[hidden]"));
        const char *norm = startsWith(rest, "input_norm") ? "ln_1." : "ln_2.";
        return reshape(m, h + norm + field, s);
      }
    }
    static const char *const kParts[] = {"query", "key", "value"};
    for (int part = 0; part < 3; ++part) {
      const std::string prefix = std::string("attention.") + kParts[part];
      if (rest != prefix + ".weight" && rest != prefix + ".bias")
        continue;
      const bool weight = rest == prefix + ".weight";
      STRATA_RETURN_IF_ERROR(expectRank(
          spec, weight ? 3 : 2,
          weight ? "[heads, head_dim, hidden]" : "[heads, head_dim]"));
      // GPT-2's fused c_attn is [hidden, 3 * hidden] with heads * head_dim
      // == hidden and as many key/value heads as query heads.
      const std::string queryName =
          "layers." + n + ".attention.query.weight";
      auto query = byName_.find(queryName);
      if (query == byName_.end())
        return Status::invalidArgument(
            "parameter " + quote(spec.name) + " needs " + quote(queryName) +
            " to place it in h." + n + ".attn.c_attn, but the table has no "
            "such parameter");
      const std::vector<int64_t> &q = query->second->shape;
      if (q.size() != 3)
        return expectRank(*query->second, 3, "[heads, head_dim, hidden]");
      const int64_t heads = q[0], headDim = q[1], hidden = q[2];
      if (heads * headDim != hidden)
        return Status::invalidArgument(
            "GPT-2 needs heads * head_dim == hidden, but " + queryName +
            " has shape " + shapeToString(q));
      if (s[0] != heads)
        return Status::invalidArgument(
            "GPT-2 has multi-head attention only, but layer " + n + " has " +
            std::to_string(heads) + " query heads and " +
            std::to_string(s[0]) + " key/value groups (" + spec.name + " " +
            shapeToString(s) + ")");
      std::vector<int64_t> expected = weight ? q
                                             : std::vector<int64_t>{q[0], q[1]};
      if (s != expected)
        return Status::invalidArgument(
            "parameter " + quote(spec.name) + " has shape " +
            shapeToString(s) + "; GPT-2 needs " + shapeToString(expected) +
            " to match " + queryName + " " + shapeToString(q));
      if (weight)
        return columns(m, h + "attn.c_attn.weight", {hidden, 3 * hidden},
                       part * hidden, hidden);
      return columns(m, h + "attn.c_attn.bias", {3 * hidden}, part * hidden,
                     hidden);
    }
    if (rest == "attention.output.weight") {
      STRATA_RETURN_IF_ERROR(
          expectRank(spec, 3, "[hidden, heads, head_dim]"));
      return columns(m, h + "attn.c_proj.weight", {s[1] * s[2], s[0]}, 0,
                     s[0]);
    }
    if (rest == "attention.output.bias") {
      STRATA_RETURN_IF_ERROR(expectRank(spec, 1, "[hidden]"));
      return reshape(m, h + "attn.c_proj.bias", s);
    }
    if (rest == "mlp.fc1.weight" || rest == "mlp.fc2.weight") {
      STRATA_RETURN_IF_ERROR(expectRank(spec, 2, "[out, in]"));
      const char *conv = rest == "mlp.fc1.weight" ? "mlp.c_fc.weight"
                                                  : "mlp.c_proj.weight";
      return columns(m, h + conv, {s[1], s[0]}, 0, s[0]);
    }
    if (rest == "mlp.fc1.bias" || rest == "mlp.fc2.bias") {
      STRATA_RETURN_IF_ERROR(expectRank(spec, 1, "[out]"));
      const char *conv =
          rest == "mlp.fc1.bias" ? "mlp.c_fc.bias" : "mlp.c_proj.bias";
      return reshape(m, h + conv, s);
    }
    return unmappable(spec);
  }

  // Maps the layer-|n| parameter whose name ends in |rest| to Llama.
  Status mapLlamaLayer(const ParameterSpec &spec, const std::string &n,
                       const std::string &rest, HfTensorMapping &m) {
    const std::vector<int64_t> &s = spec.shape;
    const std::string l = "model.layers." + n + ".";
    if (rest == "input_norm.weight" || rest == "post_attention_norm.weight") {
      STRATA_RETURN_IF_ERROR(expectRank(spec, 1, "[hidden]"));
      return reshape(m,
                     l + (rest == "input_norm.weight"
                              ? "input_layernorm.weight"
                              : "post_attention_layernorm.weight"),
                     s);
    }
    static const std::pair<const char *, const char *> kProjections[] = {
        {"query", "q_proj"}, {"key", "k_proj"}, {"value", "v_proj"}};
    for (const auto &[ours, theirs] : kProjections) {
      const std::string prefix = std::string("attention.") + ours;
      if (rest == prefix + ".weight") {
        STRATA_RETURN_IF_ERROR(
            expectRank(spec, 3, "[heads, head_dim, hidden]"));
        return reshape(m, l + "self_attn." + theirs + ".weight",
                       {s[0] * s[1], s[2]});
      }
      if (rest == prefix + ".bias") {
        STRATA_RETURN_IF_ERROR(expectRank(spec, 2, "[heads, head_dim]"));
        return reshape(m, l + "self_attn." + theirs + ".bias",
                       {s[0] * s[1]});
      }
    }
    if (rest == "attention.output.weight") {
      STRATA_RETURN_IF_ERROR(
          expectRank(spec, 3, "[hidden, heads, head_dim]"));
      return reshape(m, l + "self_attn.o_proj.weight", {s[0], s[1] * s[2]});
    }
    if (rest == "attention.output.bias") {
      STRATA_RETURN_IF_ERROR(expectRank(spec, 1, "[hidden]"));
      return reshape(m, l + "self_attn.o_proj.bias", s);
    }
    static const std::pair<const char *, const char *> kMlp[] = {
        {"gate", "gate_proj"}, {"up", "up_proj"}, {"fc2", "down_proj"}};
    for (const auto &[ours, theirs] : kMlp) {
      const std::string prefix = std::string("mlp.") + ours;
      if (rest == prefix + ".weight") {
        STRATA_RETURN_IF_ERROR(expectRank(spec, 2, "[out, in]"));
        return reshape(m, l + "mlp." + theirs + ".weight", s);
      }
      if (rest == prefix + ".bias") {
        STRATA_RETURN_IF_ERROR(expectRank(spec, 1, "[out]"));
        return reshape(m, l + "mlp." + theirs + ".bias", s);
      }
    }
    return unmappable(spec);
  }

  HfFamily family_;
  const std::map<std::string, const ParameterSpec *> &byName_;
};

// The Hugging Face name of the word embeddings, which a tied lm_head copies.
const char *embeddingName(HfFamily family) {
  return family == HfFamily::Gpt2 ? "wte.weight" : "model.embed_tokens.weight";
}

// Views a Hugging Face shape as [rows, columns] (a vector as one row).
void viewAsMatrix(const std::vector<int64_t> &shape, int64_t &rows,
                  int64_t &cols) {
  cols = shape.empty() ? 1 : shape.back();
  rows = 1;
  for (size_t i = 0; i + 1 < shape.size(); ++i)
    rows *= shape[i];
}

// strata[j][r] = hf[r][c0 + j] (gather) or the reverse (scatter), in 32x32
// blocks so both sides stay in cache.
template <typename T, bool Gather>
void transposeColumns(T *hf, T *strata, int64_t rows, int64_t cols,
                      int64_t c0, int64_t count) {
  constexpr int64_t kBlock = 32;
  for (int64_t rb = 0; rb < rows; rb += kBlock)
    for (int64_t jb = 0; jb < count; jb += kBlock) {
      const int64_t rEnd = std::min(rows, rb + kBlock);
      const int64_t jEnd = std::min(count, jb + kBlock);
      for (int64_t r = rb; r < rEnd; ++r)
        for (int64_t j = jb; j < jEnd; ++j) {
          if (Gather)
            strata[j * rows + r] = hf[r * cols + c0 + j];
          else
            hf[r * cols + c0 + j] = strata[j * rows + r];
        }
    }
}

// Copies between the Hugging Face tensor |hf| and the Strata tensor |strata|
// (same dtype) as |m| says; |gather| reads hf into strata.
template <bool Gather>
void moveElements(const HfTensorMapping &m, uint8_t *hf, uint8_t *strata,
                  size_t elementSize, size_t byteSize) {
  if (m.layout == HfTensorMapping::Layout::Reshape) {
    if (byteSize)
      std::memcpy(Gather ? strata : hf, Gather ? hf : strata, byteSize);
    return;
  }
  int64_t rows, cols;
  viewAsMatrix(m.hfShape, rows, cols);
  switch (elementSize) {
  case 2:
    transposeColumns<uint16_t, Gather>(reinterpret_cast<uint16_t *>(hf),
                                       reinterpret_cast<uint16_t *>(strata),
                                       rows, cols, m.columnBegin,
                                       m.columnCount);
    return;
  case 4:
    transposeColumns<uint32_t, Gather>(reinterpret_cast<uint32_t *>(hf),
                                       reinterpret_cast<uint32_t *>(strata),
                                       rows, cols, m.columnBegin,
                                       m.columnCount);
    return;
  default:
    transposeColumns<uint64_t, Gather>(reinterpret_cast<uint64_t *>(hf),
                                       reinterpret_cast<uint64_t *>(strata),
                                       rows, cols, m.columnBegin,
                                       m.columnCount);
    return;
  }
}

// |items| separated by |separator|.
std::string join(const std::vector<std::string> &items,
                 const std::string &separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? separator : "") + items[i];
  return out;
}

// The first element where |a| and |b| (same shape) differ, rendered for a
// message, or "" when they are bitwise equal.
std::string firstDifference(const HostTensor &a, const HostTensor &b) {
  const size_t size = dtypeSize(a.dtype());
  for (int64_t i = 0; i < a.numElements(); ++i)
    if (std::memcmp(a.bytes() + i * size, b.bytes() + i * size, size) != 0)
      return "element " + std::to_string(i) + " is " +
             std::to_string(a.elementAsDouble(i)) + " in one and " +
             std::to_string(b.elementAsDouble(i)) + " in the other";
  return "";
}

// fromHuggingFace; when |consumable| is set (it is |hf|), each Hugging Face
// tensor is erased from it once its last parameter is built, which keeps
// loadCheckpoint's peak memory near one copy of the checkpoint.
StatusOr<TensorMap> convertFromHuggingFace(const TensorMap &hf,
                                           TensorMap *consumable,
                                           const ParameterTable &table,
                                           HfFamily family,
                                           const std::string &source) {
  StatusOr<std::vector<HfTensorMapping>> mappingsOr =
      huggingFaceMapping(table, family);
  if (!mappingsOr.isOk())
    return mappingsOr.status().withContext("while loading " + source);
  const std::vector<HfTensorMapping> &mappings = mappingsOr.value();

  std::vector<std::string> problems;
  // Canonical name -> (name in the checkpoint, tensor). A name the mapping
  // has as it is stays as it is: adapter parameters pass through under
  // their Strata names (layers.N.attention.lora_*), which a Llama name
  // without "model." would otherwise take.
  std::set<std::string> mapped;
  for (const HfTensorMapping &m : mappings)
    mapped.insert(m.hfName);
  std::map<std::string, std::pair<std::string, const HostTensor *>> present;
  for (const auto &[name, tensor] : hf) {
    const std::string canonical =
        mapped.count(name) ? name : canonicalHfName(name, family);
    auto [it, inserted] = present.emplace(canonical,
                                          std::make_pair(name, &tensor));
    if (!inserted)
      problems.push_back("both " + it->second.first + " and " + name +
                         " are present");
  }

  // Every Hugging Face tensor the table needs, with its expected shape and
  // the dtypes it must convert to.
  std::map<std::string, std::pair<std::vector<int64_t>, std::set<DType>>>
      expected;
  std::map<std::string, int> usesLeft;
  bool tied = true, hasEmbedding = false;
  DType embeddingDType = DType::F32;
  for (const HfTensorMapping &m : mappings) {
    auto &entry = expected[m.hfName];
    entry.first = m.hfShape;
    entry.second.insert(m.dtype);
    ++usesLeft[m.hfName];
    if (m.strataName == "output.weight")
      tied = false;
    if (m.strataName == "embedding.word_embeddings.weight") {
      hasEmbedding = true;
      embeddingDType = m.dtype;
    }
  }

  std::vector<std::string> missing, misshaped, unconvertible, unexpected;
  for (const auto &[name, entry] : expected) {
    auto it = present.find(name);
    if (it == present.end()) {
      missing.push_back(name);
      continue;
    }
    const HostTensor &tensor = *it->second.second;
    if (tensor.shape() != entry.first)
      misshaped.push_back(it->second.first + " has shape " +
                          shapeToString(tensor.shape()) + ", expected " +
                          shapeToString(entry.first));
    for (DType to : entry.second)
      if (isFloatingPoint(tensor.dtype()) != isFloatingPoint(to))
        unconvertible.push_back(it->second.first + " has dtype " +
                                toString(tensor.dtype()) +
                                ", which cannot be converted to " +
                                toString(to));
  }
  const std::string embedding = embeddingName(family);
  std::string tiedProblem;
  for (const auto &[canonical, entry] : present) {
    if (expected.count(canonical) || isIgnoredHfBuffer(canonical, family))
      continue;
    if (canonical == "lm_head.weight" && tied && hasEmbedding) {
      // A tied model may carry a copy of the embedding as lm_head.
      auto emb = present.find(embedding);
      if (emb == present.end() ||
          emb->second.second->shape() != expected[embedding].first)
        continue; // reported as missing or mis-shaped already
      const HostTensor &head = *entry.second;
      if (head.shape() != emb->second.second->shape()) {
        tiedProblem = entry.first + " has shape " +
                      shapeToString(head.shape()) + " but the tied " +
                      emb->second.first + " has shape " +
                      shapeToString(emb->second.second->shape());
        continue;
      }
      if (!isFloatingPoint(head.dtype())) {
        tiedProblem = entry.first + " has dtype " + toString(head.dtype()) +
                      ", which cannot be converted to " +
                      toString(embeddingDType);
        continue;
      }
      StatusOr<HostTensor> a = convertTensor(head, embeddingDType);
      StatusOr<HostTensor> b =
          convertTensor(*emb->second.second, embeddingDType);
      if (!a.isOk() || !b.isOk())
        continue; // the embedding's own problem is reported elsewhere
      std::string difference = firstDifference(a.value(), b.value());
      if (!difference.empty())
        tiedProblem = entry.first + " differs from " + emb->second.first +
                      " although the model ties them (" + difference +
                      "); load it as an untied model (with output.weight) "
                      "instead";
      continue;
    }
    unexpected.push_back(entry.first + " " +
                         shapeToString(entry.second->shape()));
  }
  if (!missing.empty())
    problems.push_back("missing " + std::to_string(missing.size()) +
                       (missing.size() == 1 ? " tensor: " : " tensors: ") +
                       join(missing, ", "));
  problems.insert(problems.end(), misshaped.begin(), misshaped.end());
  problems.insert(problems.end(), unconvertible.begin(), unconvertible.end());
  if (!unexpected.empty())
    problems.push_back(std::string("unexpected ") +
                       (unexpected.size() == 1 ? "tensor: " : "tensors: ") +
                       join(unexpected, ", "));
  if (!tiedProblem.empty())
    problems.push_back(tiedProblem);
  if (!problems.empty())
    return Status::invalidArgument(source + ": checkpoint does not match the " +
                                   toString(family) + " model: " +
                                   join(problems, "; "));

  TensorMap params;
  for (const HfTensorMapping &m : mappings) {
    const std::string hfName = present.at(m.hfName).first;
    const HostTensor *tensor = present.at(m.hfName).second;
    // Rearrange in the checkpoint's dtype, then convert only this part.
    StatusOr<HostTensor> part =
        HostTensor::allocate(tensor->dtype(), m.strataShape);
    if (!part.isOk())
      return part.status().withContext(source + ": " + m.strataName);
    moveElements</*Gather=*/true>(m, const_cast<uint8_t *>(tensor->bytes()),
                                  part->bytes(), dtypeSize(tensor->dtype()),
                                  part->byteSize());
    if (part->dtype() == m.dtype) {
      params.emplace(m.strataName, std::move(part).value());
    } else {
      StatusOr<HostTensor> converted = convertTensor(part.value(), m.dtype);
      if (!converted.isOk())
        return converted.status().withContext(source + ": " + hfName +
                                              " -> " + m.strataName);
      params.emplace(m.strataName, std::move(converted).value());
    }
    if (consumable && --usesLeft[m.hfName] == 0) {
      present.erase(m.hfName);
      consumable->erase(hfName);
    }
  }
  return params;
}

} // namespace

bool isIgnoredHfBuffer(const std::string &name, HfFamily family) {
  const std::string canonical = canonicalHfName(name, family);
  if (family == HfFamily::Gpt2)
    return matchesIndexed(canonical, "h.", ".attn.bias") ||
           matchesIndexed(canonical, "h.", ".attn.masked_bias");
  return matchesIndexed(canonical, "model.layers.",
                        ".self_attn.rotary_emb.inv_freq");
}

StatusOr<HfFamily> pickHfFamily(Normalization normalization,
                                Activation activation,
                                PositionEmbedding positionEmbedding) {
  Checked<ModelFamily> family =
      modelFamilyOf(normalization, activation, positionEmbedding);
  if (!family.isOk())
    return Status::invalidArgument(family.error());
  return *family;
}

ParameterTable parameterTableOf(const TensorMap &params) {
  ParameterTable table;
  table.reserve(params.size());
  for (const auto &[name, tensor] : params)
    table.push_back({name, tensor.shape(), tensor.dtype()});
  return table;
}

StatusOr<std::vector<HfTensorMapping>>
huggingFaceMapping(const ParameterTable &table, HfFamily family) {
  std::map<std::string, const ParameterSpec *> byName;
  for (const ParameterSpec &spec : table) {
    if (!byName.emplace(spec.name, &spec).second)
      return Status::invalidArgument("parameter " + quote(spec.name) +
                                     " appears twice in the table");
    StatusOr<int64_t> count = checkedNumElements(spec.shape);
    if (!count.isOk())
      return count.status().withContext("parameter " + quote(spec.name));
  }
  MappingBuilder builder(family, byName);
  std::vector<HfTensorMapping> mappings;
  mappings.reserve(table.size());
  std::map<std::string, std::vector<int64_t>> hfShapes;
  for (const ParameterSpec &spec : table) {
    HfTensorMapping m;
    STRATA_RETURN_IF_ERROR(builder.map(spec, m));
    StatusOr<int64_t> count = checkedNumElements(m.hfShape);
    if (!count.isOk())
      return count.status().withContext(m.hfName);
    // Parts of one fused tensor must agree on its shape (c_attn).
    auto [it, inserted] = hfShapes.emplace(m.hfName, m.hfShape);
    if (!inserted && it->second != m.hfShape)
      return Status::invalidArgument(
          "parameter " + quote(spec.name) + " needs " + m.hfName + " " +
          shapeToString(m.hfShape) + ", but another parameter needs it " +
          shapeToString(it->second));
    mappings.push_back(std::move(m));
  }
  return mappings;
}

StatusOr<TensorMap> toHuggingFace(const TensorMap &params, HfFamily family,
                                  const HfExportOptions &options) {
  STRATA_ASSIGN_OR_RETURN(
      std::vector<HfTensorMapping> mappings,
      huggingFaceMapping(parameterTableOf(params), family));
  struct Target {
    std::vector<int64_t> shape;
    DType dtype;
    std::string firstPart;
    int64_t coveredColumns = 0;
    std::vector<std::string> parts;
  };
  std::map<std::string, Target> targets;
  for (const HfTensorMapping &m : mappings) {
    auto [it, inserted] = targets.emplace(m.hfName, Target{});
    Target &target = it->second;
    if (inserted) {
      target.shape = m.hfShape;
      target.dtype = m.dtype;
      target.firstPart = m.strataName;
    } else if (target.dtype != m.dtype) {
      return Status::invalidArgument(
          m.hfName + " would combine " + target.firstPart + " (" +
          toString(target.dtype) + ") with " + m.strataName + " (" +
          toString(m.dtype) + "); convert them to one dtype first");
    }
    int64_t rows, cols;
    viewAsMatrix(m.hfShape, rows, cols);
    target.coveredColumns +=
        m.layout == HfTensorMapping::Layout::Reshape ? cols : m.columnCount;
    target.parts.push_back(m.strataName);
  }
  TensorMap hf;
  for (const auto &[name, target] : targets) {
    int64_t rows, cols;
    viewAsMatrix(target.shape, rows, cols);
    if (target.coveredColumns != cols)
      return Status::invalidArgument(
          "cannot build " + name + " " + shapeToString(target.shape) +
          ": the parameters cover " + std::to_string(target.coveredColumns) +
          " of its " + std::to_string(cols) + " columns (only " +
          join(target.parts, ", ") + ")");
    STRATA_ASSIGN_OR_RETURN(HostTensor tensor,
                            HostTensor::allocate(target.dtype, target.shape));
    hf.emplace(name, std::move(tensor));
  }
  for (const HfTensorMapping &m : mappings) {
    HostTensor &out = hf.at(m.hfName);
    const HostTensor &in = params.at(m.strataName);
    moveElements</*Gather=*/false>(m, out.bytes(),
                                   const_cast<uint8_t *>(in.bytes()),
                                   dtypeSize(in.dtype()), in.byteSize());
  }
  if (family == HfFamily::Gpt2 && options.gpt2TransformerPrefix) {
    TensorMap prefixed;
    for (auto &[name, tensor] : hf)
      prefixed.emplace(name == "lm_head.weight" ? name : "transformer." + name,
                       std::move(tensor));
    return prefixed;
  }
  return hf;
}

StatusOr<TensorMap> fromHuggingFace(const TensorMap &hf,
                                    const ParameterTable &table,
                                    HfFamily family,
                                    const std::string &source) {
  return convertFromHuggingFace(hf, nullptr, table, family, source);
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

StatusOr<TensorMap> readCheckpointTensors(const std::string &path,
                                          SafetensorsMetadata *metadata,
                                          const SafetensorsFilter &include) {
  STRATA_ASSIGN_OR_RETURN(std::string file, resolveCheckpointPath(path));
  if (isCheckpointIndex(file))
    return readShardedCheckpoint(file, metadata, include);
  STRATA_ASSIGN_OR_RETURN(SafetensorsContents contents,
                          readSafetensors(file, include));
  if (metadata)
    *metadata = std::move(contents.metadata);
  return std::move(contents.tensors);
}

Status saveCheckpoint(const std::string &path, const TensorMap &params,
                      HfFamily family, const SafetensorsMetadata &metadata) {
  StatusOr<TensorMap> hf = toHuggingFace(params, family);
  if (!hf.isOk())
    return hf.status().withContext("while saving " + path);
  SafetensorsMetadata withFormat = metadata;
  withFormat.emplace("format", "pt");
  return writeSafetensors(path, hf.value(), withFormat);
}

StatusOr<TensorMap> loadCheckpoint(const std::string &path,
                                   const ParameterTable &table,
                                   HfFamily family,
                                   SafetensorsMetadata *metadata,
                                   int64_t realVocab) {
  // Messages name the file read, not the directory holding it.
  STRATA_ASSIGN_OR_RETURN(const std::string file, resolveCheckpointPath(path));
  STRATA_ASSIGN_OR_RETURN(
      TensorMap hf,
      readCheckpointTensors(file, metadata, [family](const std::string &name) {
        return !isIgnoredHfBuffer(name, family);
      }));
  // The table's vocabulary tensors say how many rows the model pads to.
  for (const ParameterSpec &spec : table)
    if (realVocab > 0 && isVocabularyParameter(spec.name) &&
        !spec.shape.empty()) {
      STRATA_RETURN_IF_ERROR(fitCheckpointVocabulary(
          hf, family, VocabularyRows{realVocab, spec.shape[0]}, file));
      break;
    }
  return convertFromHuggingFace(hf, &hf, table, family, file);
}

} // namespace strata::runtime::io

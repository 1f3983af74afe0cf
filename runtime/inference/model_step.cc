//===- model_step.cc - one prefill or decode call of a batch --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/inference/model_step.h"

#include "runtime/executor/artifact_prompt_tasks.h"
#include "runtime/executor/pipeline_group.h"
#include "runtime/support/half_float.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>

namespace strata::runtime::inference {

namespace {

std::vector<int64_t> shapeOf(const artifact::Buffer &buffer) {
  return std::vector<int64_t>(buffer.shape()->begin(), buffer.shape()->end());
}

bool isLogitsType(artifact::DType type) {
  return type == artifact::DType::F32 || type == artifact::DType::BF16 ||
         type == artifact::DType::F16;
}

/// |count| logits of |type| (f32, bf16 or f16) at |raw| as floats in |out|
/// (exact: widening loses nothing).
void widenLogits(const void *raw, DType type, size_t count, float *out) {
  if (type == DType::F32) {
    std::memcpy(out, raw, count * sizeof(float));
    return;
  }
  const auto *halves = static_cast<const uint16_t *>(raw);
  for (size_t i = 0; i < count; ++i)
    out[i] = type == DType::BF16 ? float(bf16::fromBits(halves[i]))
                                 : float(f16::fromBits(halves[i]));
}

/// The arguments of |f| by name: since format 0.14 an argument's buffer is
/// named "<function>.<tfm.name>" (prefill.block_table); empty when some
/// argument has no such name (an older artifact: "<function>.argN").
std::map<std::string, int> namedArguments(const Executor &executor,
                                          const PreparedFunction &f) {
  std::map<std::string, int> named;
  const std::string prefix = f.name + ".";
  for (size_t i = 0; i < f.arguments.size(); ++i) {
    const auto *name = executor.buffer(f.arguments[i]).name();
    std::string text = name ? name->str() : std::string();
    if (text.rfind(prefix, 0) != 0)
      return {};
    text = text.substr(prefix.size());
    if (text.rfind("arg", 0) == 0)
      return {};
    named[text] = static_cast<int>(i);
  }
  return named;
}

/// The model's max_position_embeddings from the artifact's configuration
/// (0 when absent).
int64_t maxPositionsOf(const Executor &executor) {
  const auto *text = executor.root().config_json();
  const nlohmann::json config =
      nlohmann::json::parse(text ? text->str() : std::string("{}"), nullptr,
                            /*allow_exceptions=*/false);
  if (!config.is_object())
    return 0;
  auto it = config.find("max_position_embeddings");
  return it != config.end() && it->is_number_integer() ? it->get<int64_t>()
                                                       : 0;
}

} // namespace

StatusOr<ModelStep::LogitsShape>
ModelStep::logitsOf(const Executor &executor, const PreparedFunction &f) {
  const std::string &path = executor.artifact().path();
  // Every stage but the last learns the shape from the last stage.
  const bool here = executor.root().pipeline_stage() < 0 ||
                    pipelineGroupOf(executor.mesh()).isLastStage();
  const LoadedArtifact &owner =
      here ? executor.artifact() : executor.artifact().pipelineStages().back();
  const artifact::Function *function = owner.findFunction(f.name);
  const size_t results =
      function && function->results() ? function->results()->size() : 0;
  if (results != 1)
    return Status::dataLoss(owner.path() + ": function " + f.name +
                            " should return logits");
  if (f.results.size() != (here ? 1u : 0u))
    return Status::dataLoss(path + ": function " + f.name + " should return " +
                            (here ? "logits" : "nothing (not the last stage)"));
  const artifact::Buffer &buffer =
      *owner.root().buffers()->Get(function->results()->Get(0));
  LogitsShape out;
  out.shape = shapeOf(buffer);
  out.type = buffer.dtype();
  // Vocabulary-parallel logits are gathered: the global vocabulary.
  const auto *dims = function->result_split_dims();
  const auto *axes = function->result_split_axes();
  if (out.shape.size() == 3 && dims && axes && dims->size() > 0 &&
      axes->size() > 0 && dims->Get(0) == 2 && axes->Get(0) >= 0 &&
      size_t(axes->Get(0)) < executor.mesh().shape.size())
    out.shape[2] *= executor.mesh().shape[axes->Get(0)];
  return out;
}

StatusOr<ModelStep> ModelStep::create(Executor &executor) {
  ModelStep step(executor);
  const std::string &path = executor.artifact().path();
  // A pipeline stage runs its piece of each function, prefill.0 and
  // decode.0 (one model chunk per stage); the last stage's logits reach
  // the others after each call.
  step.pipeline_ = pipelineGroupOf(executor.mesh());
  const bool pipelined = executor.root().pipeline_stage() >= 0;
  if (pipelined && executor.root().pipeline_chunks() > 1)
    return Status::failedPrecondition(
        path + ": inference runs one model chunk per pipeline stage, the "
               "artifact has " +
        std::to_string(executor.root().pipeline_chunks()));
  const std::string suffix = pipelined ? ".0" : "";
  step.prefill_ = executor.findFunction("prefill" + suffix);
  step.decode_ = executor.findFunction("decode" + suffix);
  if (!step.prefill_ || !step.decode_)
    return Status::failedPrecondition(
        path + " has no prefill and decode functions: compile it with "
               "strata-compile --mode infer");
  STRATA_ASSIGN_OR_RETURN(step.prefillLogits_,
                          logitsOf(executor, *step.prefill_));
  STRATA_ASSIGN_OR_RETURN(step.decodeLogits_,
                          logitsOf(executor, *step.decode_));
  auto shape = [&](const PreparedFunction &f, size_t argument) {
    return shapeOf(executor.buffer(f.arguments[argument]));
  };
  const Status badPrefill = Status::dataLoss(
      path + ": function prefill should take (tokens, positions[, "
             "block_table][, virtual_tokens][, last]) and return logits");
  const size_t arguments = step.prefill_->arguments.size();
  if (arguments < 2)
    return badPrefill;
  const auto prefillTokens = shape(*step.prefill_, 0);
  if (prefillTokens.size() != 2)
    return badPrefill;
  const std::map<std::string, int> named =
      namedArguments(executor, *step.prefill_);
  if (!named.empty()) {
    // Format 0.14: every argument named; tokens and positions first.
    for (const auto &[name, index] : named) {
      int *slot = name == "block_table"      ? &step.prefillTableArgument_
                  : name == "virtual_tokens" ? &step.virtualTokensArgument_
                  : name == "last"           ? &step.lastArgument_
                                             : nullptr;
      if (slot)
        *slot = index;
      else if (!(name == "tokens" && index == 0) &&
               !(name == "positions" && index == 1))
        return Status::dataLoss(path + ": prefill's argument " +
                                std::to_string(index) + " is named '" + name +
                                "'; " + badPrefill.message());
    }
    const std::map<std::string, int> decodeNamed =
        namedArguments(executor, *step.decode_);
    if (auto it = decodeNamed.find("block_table"); it != decodeNamed.end())
      step.decodeTableArgument_ = it->second;
    if (decodeNamed.size() !=
        2 + static_cast<size_t>(step.decodeTableArgument_ >= 0))
      return Status::dataLoss(path + ": function decode should take "
                                     "(tokens, positions[, block_table])");
  } else {
    // Older artifacts do not name arguments and have no block table: told
    // apart by shape, virtual_tokens [B, P] (a prompt-learning model), then
    // last [B].
    size_t next = 2;
    if (next < arguments && shape(*step.prefill_, next) == prefillTokens)
      step.virtualTokensArgument_ = static_cast<int>(next++);
    if (next < arguments &&
        shape(*step.prefill_, next) == std::vector<int64_t>{prefillTokens[0]})
      step.lastArgument_ = static_cast<int>(next++);
    if (arguments != next)
      return badPrefill;
    if (step.decode_->arguments.size() != 2)
      return Status::dataLoss(path + ": function decode should take (tokens, "
                                     "positions) and return logits");
  }
  for (const PreparedFunction *f : {step.prefill_, step.decode_}) {
    const bool selects = f == step.prefill_ && step.lastArgument_ >= 0;
    const auto tokens = shape(*f, 0);
    const LogitsShape &result =
        f == step.prefill_ ? step.prefillLogits_ : step.decodeLogits_;
    const std::vector<int64_t> &logits = result.shape;
    if (tokens.size() != 2 || logits.size() != 3 || logits[0] != tokens[0] ||
        logits[1] != (selects ? 1 : tokens[1]) || shape(*f, 1) != tokens ||
        !isLogitsType(result.type))
      return Status::dataLoss(path + ": function " + f->name +
                              " should map tokens [B, S] to f32, bf16 or "
                              "f16 logits [B, S, V]");
  }
  const auto decodeShape = shape(*step.decode_, 0);
  const bool paged = step.prefillTableArgument_ >= 0;
  // Only paged pools let prefill and decode differ in batch.
  if (decodeShape[1] != 1 || (!paged && decodeShape[0] != prefillTokens[0]))
    return Status::dataLoss(path + ": decode should take tokens [B, 1]");
  step.limits_.batch = decodeShape[0];
  step.prefillBatch_ = prefillTokens[0];
  step.prefillLength_ = prefillTokens[1];
  step.limits_.vocab = step.prefillLogits_.shape[2];

  // The caches: [B, Tmax, G, D], or paged pools [M, N, G, D] with a table
  // [B, W] in both functions.
  if (paged != (step.decodeTableArgument_ >= 0))
    return Status::dataLoss(path + ": prefill and decode should both take a "
                                   "block_table, or neither");
  std::vector<int64_t> cacheShape;
  for (const artifact::Buffer *buffer : *executor.root().buffers())
    if (buffer->category() == artifact::BufferCategory::KVCache &&
        buffer->shape()->size() == 4)
      cacheShape = shapeOf(*buffer);
  if (cacheShape.empty())
    return Status::dataLoss(path + ": no key/value cache");
  if (paged) {
    const auto table = shape(*step.prefill_, step.prefillTableArgument_);
    const auto decodeTable = shape(*step.decode_, step.decodeTableArgument_);
    if (table.size() != 2 || table[0] != step.prefillBatch_ ||
        decodeTable.size() != 2 || decodeTable[0] != step.limits_.batch ||
        decodeTable[1] != table[1])
      return Status::dataLoss(path + ": block_table should be [B, W] in "
                                     "prefill and decode");
    step.numBlocks_ = cacheShape[0];
    step.blockSize_ = cacheShape[1];
    step.tableWidth_ = table[1];
    // W = ceil(Tmax / N): the last block may reach past the model's
    // positions, which a row must not (learned position embeddings).
    step.limits_.context = step.tableWidth_ * step.blockSize_;
    if (const int64_t maxPositions = maxPositionsOf(executor);
        maxPositions > 0)
      step.limits_.context = std::min(step.limits_.context, maxPositions);
  } else {
    step.limits_.context = cacheShape[1];
  }
  if (step.limits_.context < step.prefillLength_)
    return Status::dataLoss(path + ": no key/value cache of at least " +
                            std::to_string(step.prefillLength_) +
                            " positions");
  if (step.virtualTokensArgument_ >= 0) {
    step.limits_.virtualTokens = true;
    STRATA_ASSIGN_OR_RETURN(PromptTaskSet tasks,
                            promptTasksOf(executor.artifact()));
    step.limits_.virtualRows = tasks.totalVirtualTokens();
  }
  return step;
}

Status ModelStep::writeInput(const PreparedFunction &function, int argument,
                             const char *name,
                             const std::vector<int32_t> *values,
                             size_t expected) {
  if ((argument >= 0) != (values != nullptr))
    return Status::invalidArgument(
        function.name + (argument >= 0 ? " needs " : " takes no ") + name +
        (argument >= 0 ? " (" + std::to_string(expected) + " values)" : ""));
  if (!values)
    return Status::ok();
  if (values->size() != expected)
    return Status::invalidArgument(function.name + ": " + name + " has " +
                                   std::to_string(values->size()) +
                                   " values, expected " +
                                   std::to_string(expected));
  return executor_->writeBytes(function.arguments[argument], values->data(),
                               values->size() * sizeof(int32_t));
}

StatusOr<const float *>
ModelStep::prefill(const std::vector<int32_t> &tokens,
                   const std::vector<int32_t> &positions,
                   const std::vector<int32_t> *last,
                   const std::vector<int32_t> *blockTable,
                   const std::vector<int32_t> *virtualTokens) {
  const PreparedFunction &f = *prefill_;
  const size_t rows = static_cast<size_t>(prefillBatch_);
  const size_t ids = rows * static_cast<size_t>(prefillLength_);
  STRATA_RETURN_IF_ERROR(writeInput(f, 0, "tokens", &tokens, ids));
  STRATA_RETURN_IF_ERROR(writeInput(f, 1, "positions", &positions, ids));
  STRATA_RETURN_IF_ERROR(writeInput(f, prefillTableArgument_, "block_table",
                                    blockTable,
                                    rows * static_cast<size_t>(tableWidth_)));
  STRATA_RETURN_IF_ERROR(writeInput(f, virtualTokensArgument_,
                                    "virtual_tokens", virtualTokens, ids));
  STRATA_RETURN_IF_ERROR(writeInput(f, lastArgument_, "last", last, rows));
  return runAndReadLogits(f);
}

StatusOr<const float *>
ModelStep::decode(const std::vector<int32_t> &tokens,
                  const std::vector<int32_t> &positions,
                  const std::vector<int32_t> *blockTable) {
  const PreparedFunction &f = *decode_;
  const size_t rows = static_cast<size_t>(limits_.batch);
  STRATA_RETURN_IF_ERROR(writeInput(f, 0, "tokens", &tokens, rows));
  STRATA_RETURN_IF_ERROR(writeInput(f, 1, "positions", &positions, rows));
  STRATA_RETURN_IF_ERROR(writeInput(f, decodeTableArgument_, "block_table",
                                    blockTable,
                                    rows * static_cast<size_t>(tableWidth_)));
  return runAndReadLogits(f);
}

StatusOr<const float *>
ModelStep::runAndReadLogits(const PreparedFunction &function) {
  STRATA_RETURN_IF_ERROR(executor_->run(function));
  if (!pipeline_.isPipelined())
    return readLogits(function);
  // No message of the call outlives it; then the last stage's logits go to
  // every other stage, so that every rank samples the same tokens.
  STRATA_RETURN_IF_ERROR(executor_->completeSends());
  const LogitsShape &shape =
      &function == prefill_ ? prefillLogits_ : decodeLogits_;
  const size_t bytes = size_t(shape.shape[0] * shape.shape[1] *
                              shape.shape[2]) * sizeof(float);
  const int64_t last = pipeline_.stages - 1;
  const auto tag = PipelineTag::Inference;
  if (!pipeline_.isLastStage()) {
    hostLogits_.resize(bytes / sizeof(float));
    STRATA_RETURN_IF_ERROR(
        recvFromStage(pipeline_, hostLogits_.data(), bytes, last, tag)
            .withContext("receiving the last pipeline stage's logits"));
    return hostLogits_.data();
  }
  STRATA_ASSIGN_OR_RETURN(const float *logits, readLogits(function));
  for (int64_t stage = 0; stage < last; ++stage)
    STRATA_RETURN_IF_ERROR(
        sendToStage(pipeline_, logits, bytes, stage, tag)
            .withContext("sending the logits to pipeline stage " +
                         std::to_string(stage)));
  return logits;
}

StatusOr<const float *>
ModelStep::readLogits(const PreparedFunction &function) {
  // Sampling reads f32: half logits (bf16 and f16 artifacts) are widened
  // into hostLogits_, kept across steps (no allocation per token).
  if (function.resultSplitDims[0] < 0) {
    const artifact::Buffer &buffer = executor_->buffer(function.results[0]);
    const DType type = toRuntimeDType(buffer.dtype());
    const size_t bytes = buffer.size();
    const size_t count = bytes / dtypeSize(type);
    hostLogits_.resize(count);
    if (type == DType::F32) {
      STRATA_RETURN_IF_ERROR(
          executor_->readBytes(function.results[0], hostLogits_.data(), bytes));
      return hostLogits_.data();
    }
    hostHalfLogits_.resize(count);
    STRATA_RETURN_IF_ERROR(executor_->readBytes(
        function.results[0], hostHalfLogits_.data(), bytes));
    widenLogits(hostHalfLogits_.data(), type, count, hostLogits_.data());
    return hostLogits_.data();
  }
  // Vocabulary-parallel logits: gathered from the tensor-parallel ranks.
  STRATA_ASSIGN_OR_RETURN(gatheredLogits_, executor_->readResult(function, 0));
  if (gatheredLogits_.dtype() == DType::F32)
    return gatheredLogits_.data<float>();
  hostLogits_.resize(gatheredLogits_.numElements());
  widenLogits(gatheredLogits_.bytes(), gatheredLogits_.dtype(),
              hostLogits_.size(), hostLogits_.data());
  return hostLogits_.data();
}

} // namespace strata::runtime::inference

//===- rank_calls.cc - the first rank drives the others -------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/rank_calls.h"

#include "runtime/executor/communicator.h"

#include <array>

namespace strata::runtime::serving {

namespace {

enum class CallKind : int64_t { Idle = 0, Prefill = 1, Decode = 2, Close = 3 };
constexpr int kHeaderTag = 7101, kPayloadTag = 7102;

/// kind and the five arrays' lengths.
using Header = std::array<int64_t, 6>;

Status sendCall(Communicator &world, CallKind kind, const CallInputs *in) {
  Header header{static_cast<int64_t>(kind), 0, 0, 0, 0, 0};
  std::vector<int32_t> payload;
  if (in) {
    header = {static_cast<int64_t>(kind),       int64_t(in->tokens.size()),
              int64_t(in->positions.size()),    int64_t(in->blockTable.size()),
              int64_t(in->last.size()),         int64_t(in->virtualTokens.size())};
    for (const auto *part : {&in->tokens, &in->positions, &in->blockTable,
                             &in->last, &in->virtualTokens})
      payload.insert(payload.end(), part->begin(), part->end());
  }
  for (int peer = 1; peer < world.size(); ++peer) {
    STRATA_RETURN_IF_ERROR(
        world.send(header.data(), sizeof(Header), peer, kHeaderTag));
    if (!payload.empty())
      STRATA_RETURN_IF_ERROR(world.send(payload.data(),
                                        payload.size() * sizeof(int32_t), peer,
                                        kPayloadTag));
  }
  return Status::ok();
}

} // namespace

StatusOr<const float *> DrivingModel::prefill(const CallInputs &inputs) {
  STRATA_RETURN_IF_ERROR(sendCall(*world_, CallKind::Prefill, &inputs));
  return local_->prefill(inputs);
}

StatusOr<const float *> DrivingModel::decode(const CallInputs &inputs) {
  STRATA_RETURN_IF_ERROR(sendCall(*world_, CallKind::Decode, &inputs));
  return local_->decode(inputs);
}

Status DrivingModel::idle() {
  return sendCall(*world_, CallKind::Idle, nullptr);
}

Status DrivingModel::close() {
  return sendCall(*world_, CallKind::Close, nullptr);
}

Status serveAsWorker(PagedModel &local, Communicator &world) {
  CallInputs inputs;
  std::vector<int32_t> payload;
  for (;;) {
    Header header{};
    if (Status s = world.recv(header.data(), sizeof(Header), 0, kHeaderTag);
        !s.isOk())
      return s.withContext("waiting for the first rank's next call (is it "
                           "still running?)");
    const auto kind = static_cast<CallKind>(header[0]);
    if (kind == CallKind::Idle)
      continue;
    if (kind == CallKind::Close)
      return Status::ok();
    int64_t total = 0;
    for (int i = 1; i < 6; ++i) {
      if (header[i] < 0 || header[i] > (int64_t(1) << 28))
        return Status::dataLoss("a malformed call from the first rank "
                                "(array length " +
                                std::to_string(header[i]) + ")");
      total += header[i];
    }
    if (kind != CallKind::Prefill && kind != CallKind::Decode)
      return Status::dataLoss("a malformed call from the first rank (kind " +
                              std::to_string(header[0]) + ")");
    payload.resize(static_cast<size_t>(total));
    STRATA_RETURN_IF_ERROR(world.recv(
        payload.data(), payload.size() * sizeof(int32_t), 0, kPayloadTag));
    auto at = payload.begin();
    std::vector<int32_t> *parts[] = {&inputs.tokens, &inputs.positions,
                                     &inputs.blockTable, &inputs.last,
                                     &inputs.virtualTokens};
    for (int i = 0; i < 5; ++i) {
      parts[i]->assign(at, at + header[1 + i]);
      at += header[1 + i];
    }
    StatusOr<const float *> logits = kind == CallKind::Prefill
                                         ? local.prefill(inputs)
                                         : local.decode(inputs);
    if (!logits.isOk())
      return logits.status();
  }
}

} // namespace strata::runtime::serving

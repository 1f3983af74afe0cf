//===- completion_stream.cc - one completion's output, across threads -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/completion_stream.h"

namespace strata::runtime::serving {

const char *finishReasonName(FinishReason reason) {
  switch (reason) {
  case FinishReason::Length:
    return "length";
  case FinishReason::Stop:
    return "stop";
  case FinishReason::Cancelled:
    return "cancelled";
  case FinishReason::Error:
    return "error";
  case FinishReason::None:
    break;
  }
  return nullptr;
}

void CompletionStream::push(int32_t token, const TokenLogprob *logprob,
                            std::string text) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.tokens.push_back(token);
    if (logprob)
      pending_.logprobs.push_back(*logprob);
    pending_.text += text;
  }
  changed_.notify_all();
}

void CompletionStream::pushText(std::string text) {
  if (text.empty())
    return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.text += text;
  }
  changed_.notify_all();
}

void CompletionStream::finish(FinishReason reason, std::string error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
    pending_.finish = reason;
    pending_.error = std::move(error);
  }
  changed_.notify_all();
}

bool CompletionStream::take(CompletionPiece &piece,
                            std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto ready = [&] { return finished_ || !pending_.tokens.empty() ||
                            !pending_.text.empty(); };
  if (!changed_.wait_for(lock, timeout, ready))
    return false;
  piece = std::move(pending_);
  pending_ = CompletionPiece{};
  if (finished_) { // later takes see the end again
    pending_.finish = piece.finish;
    pending_.error = piece.error;
  }
  return true;
}

} // namespace strata::runtime::serving

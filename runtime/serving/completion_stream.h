//===- completion_stream.h - one completion's output, across threads -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The engine thread pushes a completion's tokens and text as it generates
// them; the HTTP thread that serves the request takes them (all at the end,
// or piece by piece for a streamed response) and may cancel it, e.g. when
// its client went away. Thread-safe.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SERVING_COMPLETION_STREAM_H
#define STRATA_RUNTIME_SERVING_COMPLETION_STREAM_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace strata::runtime::serving {

enum class FinishReason {
  None,      // still running
  Length,    // max_tokens reached
  Stop,      // end of text or a stop string
  Cancelled, // the client cancelled (or went away)
  Error,     // the engine failed; see error()
};

/// OpenAI's finish_reason: "length", "stop"; null while running.
const char *finishReasonName(FinishReason reason);

/// A chosen token's log-probability and, when asked for, the most likely
/// alternatives at its position.
struct TokenLogprob {
  float logprob = 0.0f;
  std::vector<std::pair<int32_t, float>> top;
};

/// What a completion produced since it was last taken.
struct CompletionPiece {
  std::string text;
  std::vector<int32_t> tokens;
  std::vector<TokenLogprob> logprobs; // one per token when asked for
  FinishReason finish = FinishReason::None;
  std::string error;
};

class CompletionStream {
public:
  // The engine's side.
  void push(int32_t token, const TokenLogprob *logprob, std::string text);
  /// Text without a new token (the held-back tail at the end).
  void pushText(std::string text);
  void finish(FinishReason reason, std::string error = "");
  bool cancelled() const { return cancelled_.load(); }
  /// Times the engine records for latency metrics.
  std::chrono::steady_clock::time_point created() const { return created_; }

  // The HTTP side.
  /// Waits until output arrives, the completion finishes, or |timeout|
  /// passes; moves what arrived into |piece| (piece.finish is set once the
  /// completion finished and everything was taken). False on timeout with
  /// nothing new.
  bool take(CompletionPiece &piece, std::chrono::milliseconds timeout);
  /// Asks the engine to stop the completion and free its cache.
  void cancel() { cancelled_.store(true); }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  CompletionPiece pending_;
  bool finished_ = false;
  std::atomic<bool> cancelled_{false};
  std::chrono::steady_clock::time_point created_ =
      std::chrono::steady_clock::now();
};

} // namespace strata::runtime::serving

#endif // STRATA_RUNTIME_SERVING_COMPLETION_STREAM_H

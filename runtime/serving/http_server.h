//===- http_server.h - the OpenAI-compatible HTTP endpoint ------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// cpp-httplib (Debian's libcpp-httplib-dev) parses HTTP; this file maps its
// requests onto the engine:
//   POST /v1/completions   completions, streamed as server-sent events
//   GET  /v1/models        the one model served
//   GET  /health           200 while serving, 503 once draining
//   GET  /metrics          Prometheus text (serving_metrics.h)
// Errors use OpenAI's shape: 400 for a bad request, 404 for an unknown
// model or path, 413 for a body over the limit, 429 with Retry-After when
// the queue is full, 503 while shutting down. A streamed completion whose
// client goes away is cancelled, and its KV blocks return to the pool.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SERVING_HTTP_SERVER_H
#define STRATA_RUNTIME_SERVING_HTTP_SERVER_H

#include "runtime/executor/artifact_prompt_tasks.h"
#include "runtime/serving/engine.h"
#include "runtime/serving/openai_protocol.h"
#include "runtime/serving/serving_metrics.h"
#include "runtime/support/status.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace httplib {
class Server;
}

namespace strata::runtime::serving {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8000; // 0: any free port
  /// Requests served at once (each open stream holds one).
  int threads = 64;
  size_t maxBodyBytes = size_t(1) << 20;
  int retryAfterSeconds = 1;
  ProtocolLimits protocol;
  /// A prompt-learning model's tasks (requests with `task` fill in their
  /// templates) and the artifact they come from, for messages.
  const PromptTaskSet *tasks = nullptr;
  std::string artifactPath;
};

class HttpServer {
public:
  HttpServer(Engine &engine, const tokenizer::Tokenizer &tokenizer,
             ServingMetrics &metrics, HttpOptions options);
  ~HttpServer();

  /// Binds the socket; returns the port (the one chosen for port 0).
  StatusOr<int> bind();
  /// Serves until stop(); run it on its own thread.
  void listen();
  /// New completions get 503 and /health says draining.
  void drain() { draining_.store(true); }
  /// Stops listening and waits for the handlers.
  void stop();

private:
  void routes();
  /// listen() again on the bound socket with kListenBacklog.
  Status widenBacklog();
  static constexpr int kListenBacklog = 1024;

  Engine *engine_;
  const tokenizer::Tokenizer *tokenizer_;
  ServingMetrics *metrics_;
  HttpOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> nextId_{1};
  int64_t started_ = 0;
  int listeningSocket_ = -1;
};

} // namespace strata::runtime::serving

#endif // STRATA_RUNTIME_SERVING_HTTP_SERVER_H

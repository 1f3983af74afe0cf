//===- http_server.cc - the OpenAI-compatible HTTP endpoint ---------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/http_server.h"

#include "runtime/tokenizer/tokenizer.h"
#include "runtime/tooling/generation_requests.h"

#include <httplib.h>
#include <sys/socket.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>

namespace strata::runtime::serving {

namespace {

using namespace std::chrono_literals;

int64_t unixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void sendError(httplib::Response &res, const ApiError &error) {
  res.status = error.status;
  res.set_content(error.json(), "application/json");
}

ApiError apiError(int status, std::string type, std::string message) {
  ApiError e;
  e.status = status;
  e.type = std::move(type);
  e.message = std::move(message);
  return e;
}

/// An engine check's "param: message" as an ApiError naming the param.
ApiError fromCheck(const std::string &message) {
  ApiError e;
  const size_t colon = message.find(": ");
  bool named = colon != std::string::npos && colon > 0;
  for (size_t i = 0; named && i < colon; ++i)
    named = std::islower(static_cast<unsigned char>(message[i])) ||
            message[i] == '_';
  if (named)
    e.param = message.substr(0, colon);
  e.message = message;
  return e;
}

/// A streamed or collected completion: its choices as they grow.
struct Completion {
  ResponseHeader header;
  std::vector<std::shared_ptr<CompletionStream>> streams;
  std::vector<ChoiceOutput> choices;
  std::vector<bool> done;
  bool withLogprobs = false;
  int64_t promptTokens = 0;
  std::chrono::steady_clock::time_point started =
      std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> firstToken;
  bool logged = false;

  void cancel() {
    for (auto &s : streams)
      s->cancel();
  }
  bool finished() const {
    for (bool d : done)
      if (!d)
        return false;
    return true;
  }
  /// Takes choice |i|'s new output into |piece| and the choice; true when
  /// something arrived.
  bool take(size_t i, CompletionPiece &piece, std::chrono::milliseconds wait) {
    if (done[i] || !streams[i]->take(piece, wait))
      return false;
    ChoiceOutput &c = choices[i];
    if (!firstToken && !piece.tokens.empty())
      firstToken = std::chrono::steady_clock::now();
    c.text += piece.text;
    c.tokens.insert(c.tokens.end(), piece.tokens.begin(), piece.tokens.end());
    c.logprobs.insert(c.logprobs.end(), piece.logprobs.begin(),
                      piece.logprobs.end());
    if (piece.finish != FinishReason::None) {
      c.finish = piece.finish;
      done[i] = true;
    }
    return true;
  }
  /// One line per finished request on stderr: its id, tokens, times and
  /// how its choices ended.
  void log(int status) {
    if (logged)
      return;
    logged = true;
    using namespace std::chrono;
    const auto now = steady_clock::now();
    int64_t generated = 0;
    std::string reasons;
    for (const ChoiceOutput &ch : choices) {
      generated += static_cast<int64_t>(ch.tokens.size());
      const char *name = finishReasonName(ch.finish);
      if (name && reasons.find(name) == std::string::npos)
        reasons += std::string(reasons.empty() ? "" : ",") + name;
    }
    char line[256];
    std::snprintf(line, sizeof line,
                  "strata-serve: %s %d: %lld prompt + %lld generated tokens, "
                  "%.3f s (first token %.3f s), %s\n",
                  header.id.c_str(), status,
                  static_cast<long long>(promptTokens),
                  static_cast<long long>(generated),
                  duration<double>(now - started).count(),
                  firstToken ? duration<double>(*firstToken - started).count()
                             : 0.0,
                  reasons.empty() ? "-" : reasons.c_str());
    std::fputs(line, stderr);
  }
};

} // namespace

HttpServer::HttpServer(Engine &engine, const tokenizer::Tokenizer &tokenizer,
                       ServingMetrics &metrics, HttpOptions options)
    : engine_(&engine), tokenizer_(&tokenizer), metrics_(&metrics),
      options_(std::move(options)),
      server_(std::make_unique<httplib::Server>()), started_(unixSeconds()) {
  const int threads = options_.threads;
  server_->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  server_->set_payload_max_length(options_.maxBodyBytes);
  server_->set_read_timeout(30s);
  server_->set_write_timeout(30s);
  // Remember the listening socket (this replaces httplib's default options,
  // whose SO_REUSEADDR it keeps) to widen its backlog after binding.
  server_->set_socket_options([this](socket_t socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listeningSocket_ = socket;
  });
  routes();
}

Status HttpServer::widenBacklog() {
  // Debian's libcpp-httplib listens with a backlog of 5 (compiled in): a
  // burst of clients connecting while the accept thread waits for a core
  // (the model's threads busy) overflows it, and some connections are
  // reset. listen() again on the bound socket sets a larger one (the kernel
  // caps it at net.core.somaxconn).
  if (listeningSocket_ < 0 || ::listen(listeningSocket_, kListenBacklog) != 0)
    return Status::unavailable("cannot listen on " + options_.host +
                               " with a backlog of " +
                               std::to_string(kListenBacklog));
  return Status::ok();
}

HttpServer::~HttpServer() = default;

StatusOr<int> HttpServer::bind() {
  if (options_.port == 0) {
    const int port = server_->bind_to_any_port(options_.host);
    if (port <= 0)
      return Status::unavailable("cannot listen on " + options_.host +
                                 " (any port)");
    STRATA_RETURN_IF_ERROR(widenBacklog());
    return port;
  }
  if (!server_->bind_to_port(options_.host, options_.port))
    return Status::unavailable(
        "cannot listen on " + options_.host + ":" +
        std::to_string(options_.port) +
        " (in use, or not an address of this machine?)");
  STRATA_RETURN_IF_ERROR(widenBacklog());
  return options_.port;
}

void HttpServer::listen() { server_->listen_after_bind(); }

void HttpServer::stop() { server_->stop(); }

void HttpServer::routes() {
  using httplib::Request;
  using httplib::Response;
  server_->Get("/health", [this](const Request &, Response &res) {
    const bool draining = draining_.load() || engine_->draining();
    res.status = draining ? 503 : 200;
    res.set_content(draining ? R"({"status":"draining"})"
                             : R"({"status":"ok"})",
                    "application/json");
  });
  server_->Get("/v1/models", [this](const Request &, Response &res) {
    res.set_content(modelsJson(options_.protocol.modelName, started_),
                    "application/json");
  });
  server_->Get("/metrics", [this](const Request &, Response &res) {
    res.set_content(metrics_->render(), "text/plain; version=0.0.4");
  });
  server_->set_error_handler([](const Request &req, Response &res) {
    if (!res.body.empty())
      return;
    ApiError e;
    e.status = res.status;
    if (res.status == 404) {
      e.message = "no route " + req.method + " " + req.path;
      e.code = "not_found";
    } else if (res.status == 413) {
      e.message = "the request body is over the server's limit";
    } else {
      e.message = "HTTP error " + std::to_string(res.status);
    }
    sendError(res, e);
  });
  server_->set_exception_handler(
      [](const Request &, Response &res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception &ex) {
          what = ex.what();
        } catch (...) {
        }
        sendError(res, apiError(500, "server_error", "internal error: " + what));
      });

  server_->Post("/v1/completions", [this](const Request &req, Response &res) {
    ParsedRequest parsed =
        parseCompletionRequest(req.body, options_.protocol, *tokenizer_);
    if (!parsed.request) {
      metrics_->requestEnded(RequestOutcome::Rejected);
      return sendError(res, parsed.error);
    }
    if (draining_.load()) {
      metrics_->requestEnded(RequestOutcome::Rejected);
      return sendError(res, apiError(503, "server_error",
                                     "the server is shutting down"));
    }
    CompletionRequest &r = *parsed.request;
    // A task's request: its template filled in, virtual rows and all.
    std::vector<int32_t> virtualRows;
    std::string taskText;
    if (!r.task.empty()) {
      static const PromptTaskSet none;
      GenerationInputs inputs;
      inputs.task = r.task;
      inputs.fields = r.fields;
      StatusOr<std::vector<GenerationRequest>> rows = readGenerationRequests(
          inputs, options_.tasks ? *options_.tasks : none,
          options_.artifactPath, *tokenizer_);
      if (!rows.isOk()) {
        metrics_->requestEnded(RequestOutcome::Rejected);
        ApiError e;
        e.param = "task";
        e.message = rows.status().message();
        return sendError(res, e);
      }
      r.prompts = {rows->front().prompt.ids};
      virtualRows = rows->front().prompt.virtualRows;
      taskText = rows->front().text;
    }
    inference::SamplingOptions sampling;
    sampling.temperature = r.temperature;
    sampling.topK = r.topK;
    sampling.topP = r.topP;
    sampling.seed = r.seed ? *r.seed : std::random_device{}();
    std::vector<SequenceRequest> sequences;
    auto completion = std::make_shared<Completion>();
    for (const std::vector<int32_t> &prompt : r.prompts) {
      completion->promptTokens += static_cast<int64_t>(prompt.size());
      std::string promptText = r.echo ? taskText : "";
      if (r.echo && r.task.empty())
        if (auto text = tokenizer_->decode(prompt); text.isOk())
          promptText = *text;
      for (int64_t i = 0; i < r.n; ++i) {
        SequenceRequest s;
        s.prompt = prompt;
        s.maxTokens = r.maxTokens;
        s.sampling = sampling;
        s.choice = static_cast<uint64_t>(i);
        s.topLogprobs = static_cast<int>(r.logprobs);
        s.stop = r.stop;
        s.ignoreEos = r.ignoreEos;
        s.virtualRows = virtualRows;
        sequences.push_back(std::move(s));
        ChoiceOutput c;
        c.index = static_cast<int64_t>(completion->choices.size());
        c.text = promptText;
        c.textOffset = static_cast<int64_t>(promptText.size());
        completion->choices.push_back(std::move(c));
      }
    }
    Engine::Submitted submitted = engine_->submit(std::move(sequences));
    switch (submitted.refusal) {
    case Engine::Refusal::None:
      break;
    case Engine::Refusal::Invalid:
      metrics_->requestEnded(RequestOutcome::Rejected);
      return sendError(res, fromCheck(submitted.message));
    case Engine::Refusal::QueueFull: {
      metrics_->requestEnded(RequestOutcome::Rejected);
      ApiError e = apiError(429, "rate_limit_error",
                            submitted.message + "; retry later");
      res.set_header("Retry-After", std::to_string(options_.retryAfterSeconds));
      return sendError(res, e);
    }
    case Engine::Refusal::Draining:
      metrics_->requestEnded(RequestOutcome::Rejected);
      return sendError(res, apiError(503, "server_error", submitted.message));
    }
    completion->streams = std::move(submitted.streams);
    completion->done.assign(completion->streams.size(), false);
    completion->withLogprobs = r.logprobs >= 0;
    char id[32];
    std::snprintf(id, sizeof id, "cmpl-%016llx",
                  static_cast<unsigned long long>(nextId_.fetch_add(1)));
    completion->header = ResponseHeader{id, unixSeconds(), r.model};

    if (!r.stream) {
      CompletionPiece piece;
      std::string error;
      while (!completion->finished())
        for (size_t i = 0; i < completion->streams.size(); ++i)
          if (completion->take(i, piece, 50ms) &&
              piece.finish == FinishReason::Error)
            error = piece.error;
      if (!error.empty()) {
        completion->log(500);
        return sendError(res, apiError(500, "server_error",
                                       "generation failed: " + error));
      }
      completion->log(200);
      int64_t generated = 0;
      for (const ChoiceOutput &c : completion->choices)
        generated += static_cast<int64_t>(c.tokens.size());
      res.set_content(completionJson(completion->header, completion->choices,
                                     completion->withLogprobs,
                                     completion->promptTokens, generated,
                                     *tokenizer_),
                      "application/json");
      return;
    }

    // Streamed: one event per piece of a choice, then [DONE]. A failed
    // write means the client went away: the completion is cancelled.
    const tokenizer::Tokenizer *tokenizer = tokenizer_;
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [completion, tokenizer, echoed = false](size_t,
                                                httplib::DataSink &sink) mutable {
          if (!echoed) { // the prompt's text first, with echo
            echoed = true;
            for (ChoiceOutput &c : completion->choices)
              if (!c.text.empty()) {
                ChoiceOutput first = c;
                first.tokens.clear();
                const std::string event = chunkEvent(
                    completion->header, first, false, *tokenizer);
                if (!sink.write(event.data(), event.size())) {
                  completion->cancel();
                  return false;
                }
                c.text.clear();
              }
          }
          CompletionPiece piece;
          bool waited = false;
          for (size_t i = 0; i < completion->streams.size(); ++i) {
            if (!completion->take(i, piece, waited ? 0ms : 50ms)) {
              continue;
            }
            waited = true;
            if (piece.finish == FinishReason::Error) {
              ApiError e = apiError(500, "server_error",
                                    "generation failed: " + piece.error);
              const std::string event = "data: " + e.json() + "\n\n";
              sink.write(event.data(), event.size());
              completion->cancel();
              completion->log(500);
              sink.done();
              return true;
            }
            ChoiceOutput delta;
            delta.index = completion->choices[i].index;
            delta.text = piece.text;
            delta.tokens = piece.tokens;
            delta.logprobs = piece.logprobs;
            delta.finish = piece.finish;
            const std::string event = chunkEvent(
                completion->header, delta, completion->withLogprobs, *tokenizer);
            if (!sink.write(event.data(), event.size())) {
              completion->cancel();
              return false;
            }
          }
          if (completion->finished()) {
            completion->log(200);
            static const std::string doneEvent = "data: [DONE]\n\n";
            sink.write(doneEvent.data(), doneEvent.size());
            sink.done();
          }
          return true;
        },
        [completion](bool success) {
          if (!success) { // the client went away
            completion->cancel();
            completion->log(499);
          }
        });
  });
}

} // namespace strata::runtime::serving

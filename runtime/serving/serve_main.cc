//===- serve_main.cc - strata-serve ---------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/serve_main.h"

#include "runtime/executor/adapter_parameters.h"
#include "runtime/executor/communicator.h"
#include "runtime/serving/engine.h"
#include "runtime/serving/http_server.h"
#include "runtime/serving/model_step_model.h"
#include "runtime/serving/rank_calls.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/tooling/rank_setup.h"
#include "runtime/tooling/training_command.h"

#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <pthread.h>
#include <thread>

namespace strata::runtime::serving {

namespace {

struct ServeOptions {
  std::string artifact, checkpoint, baseCheckpoint, tokenizer;
  std::string modelName, portFile, device = "cpu";
  HttpOptions http;
  EngineOptions engine;
  int threads = 0;
};

void log(const std::string &line) {
  const std::string text = "strata-serve: " + line + "\n";
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
}

int fail(const Status &status) {
  RankSetup &ranks = rankSetup();
  std::string line = "error";
  if (ranks.worldSize() > 1)
    line += " (rank " + std::to_string(ranks.worldRank()) + " of " +
            std::to_string(ranks.worldSize()) + ")";
  log(line + ": " + status.message());
  if (ranks.worldSize() > 1)
    ranks.abortJob(1); // the other ranks would wait for this one forever
  return 1;
}

std::string stem(const std::string &path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  for (const char *suffix : {".strata", ".infer"})
    if (name.size() > std::strlen(suffix) &&
        name.compare(name.size() - std::strlen(suffix), std::string::npos,
                     suffix) == 0)
      name.resize(name.size() - std::strlen(suffix));
  return name;
}

/// Waits for SIGTERM or SIGINT (blocked in every thread, so only this one
/// sees them) and then calls |onSignal| once; returns when |stop| is set.
void watchSignals(const sigset_t &signals, std::atomic<bool> &stop,
                  const std::function<void(int)> &onSignal) {
  const timespec tick{0, 200 * 1000 * 1000};
  bool signalled = false;
  while (!stop.load()) {
    const int signal = sigtimedwait(&signals, nullptr, &tick);
    if (signal > 0 && !signalled) {
      signalled = true;
      onSignal(signal);
    }
  }
}

/// SIGTERM and SIGINT.
sigset_t stopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

Status serve(const ServeOptions &o) {
  STRATA_ASSIGN_OR_RETURN(
      tokenizer::Tokenizer tokenizer,
      tokenizer::Tokenizer::load(resolveTokenizerDirectory(o.tokenizer)));
  STRATA_ASSIGN_OR_RETURN(
      RankArtifact loaded,
      rankSetup().loadArtifact(o.artifact));
  ExecutorOptions executorOptions;
  executorOptions.dropout = false;
  executorOptions.mesh = loaded.mesh;
  STRATA_ASSIGN_OR_RETURN(Backend * backend, rankSetup().backend(o.threads));
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<Executor> executor,
      Executor::create(std::move(loaded.artifact), *backend, executorOptions));
  if (o.checkpoint.empty())
    return Status::invalidArgument("strata-serve needs --checkpoint (a "
                                   "trained model's model.safetensors)");
  STRATA_RETURN_IF_ERROR(
      loadModelCheckpoint(*executor, o.checkpoint, o.baseCheckpoint));
  STRATA_ASSIGN_OR_RETURN(inference::ModelStep step,
                          inference::ModelStep::create(*executor));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<ModelStepModel> local,
                          ModelStepModel::create(std::move(step), o.artifact));
  if (tokenizer.vocabSize() > local->vocabSize())
    return Status::invalidArgument(
        "the tokenizer has " + std::to_string(tokenizer.vocabSize()) +
        " ids but the model's vocabulary is " +
        std::to_string(local->vocabSize()));

  std::unique_ptr<Communicator> world;
  if (rankSetup().worldSize() > 1) {
    // No time limit of its own: the heartbeat says the first rank lives.
    STRATA_ASSIGN_OR_RETURN(world, rankSetup().worldCommunicator(60.0));
    if (!rankSetup().isFirstRank())
      return serveAsWorker(*local, *world);
  }
  std::unique_ptr<DrivingModel> driving;
  PagedModel *model = local.get();
  if (world) {
    driving = std::make_unique<DrivingModel>(*local, *world);
    model = driving.get();
  }

  ServingMetrics metrics;
  EngineOptions engineOptions = o.engine;
  engineOptions.endOfText = tokenizer.endOfTextId();
  engineOptions.allowedVocab = tokenizer.vocabSize();
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<Engine> engine,
      Engine::create(*model, tokenizer, engineOptions, metrics));
  STRATA_ASSIGN_OR_RETURN(PromptTaskSet tasks,
                          promptTasksOf(executor->artifact()));
  HttpOptions http = o.http;
  http.tasks = &tasks;
  http.artifactPath = o.artifact;
  http.protocol.modelName = o.modelName.empty() ? stem(o.artifact) : o.modelName;
  HttpServer server(*engine, tokenizer, metrics, http);
  STRATA_ASSIGN_OR_RETURN(int port, server.bind());
  if (!o.portFile.empty()) {
    std::ofstream(o.portFile + ".tmp") << port << "\n";
    std::rename((o.portFile + ".tmp").c_str(), o.portFile.c_str());
  }
  const CallShape shape = model->decodeShape();
  log("serving '" + http.protocol.modelName + "' on http://" + http.host +
      ":" + std::to_string(port) + " (batch " + std::to_string(shape.batch) +
      ", context " + std::to_string(shape.contextLength) + ", " +
      std::to_string(model->numBlocks()) + " KV blocks of " +
      std::to_string(model->blockSize()) + ", " +
      std::to_string(rankSetup().worldSize()) + " rank(s))");

  // SIGTERM and SIGINT are blocked in every thread (stopSignals()): the
  // watcher takes them. MPI stays on this thread (the engine).
  const sigset_t signals = stopSignals();
  std::atomic<bool> stopWatching{false};
  std::thread watcher(watchSignals, std::cref(signals), std::ref(stopWatching),
                      [&](int signal) {
                        log(std::string(signal == SIGINT ? "SIGINT" : "SIGTERM") +
                            ": no new requests; finishing the running ones");
                        server.drain();
                        engine->drain();
                      });
  std::thread listener([&] { server.listen(); });
  Status status = engine->run();
  server.drain();
  // Every stream has ended: the handlers write their last bytes and return.
  server.stop();
  listener.join();
  stopWatching.store(true);
  watcher.join();
  if (status.isOk())
    log("stopped");
  return status;
}

} // namespace

int runStrataServeMain(int argc, char **argv) {
  std::signal(SIGPIPE, SIG_IGN); // a client gone mid-write is an error, not a kill
  // Before MPI starts its threads, so that none of them takes SIGTERM or
  // SIGINT: the first rank's watcher thread handles them, and the other
  // ranks (to which mpirun forwards them too) stop when the first closes.
  const sigset_t signals = stopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ServeOptions o;
  CLI::App app{"strata-serve: an OpenAI-compatible completions server over a "
               "paged inference artifact (strata-compile --mode infer "
               "--kv-block-size N), with continuous batching. Under mpirun "
               "every rank loads its tensor-parallel shard; the first serves "
               "HTTP."};
  app.add_option("artifact", o.artifact, "The inference artifact (.strata)")
      ->required();
  app.add_option("--checkpoint", o.checkpoint,
                 "The model's weights: a safetensors file, a sharded "
                 "checkpoint's model.safetensors.index.json, a "
                 "save_pretrained directory, or a checkpoint directory of "
                 "strata-run train")
      ->required();
  app.add_option("--base-checkpoint", o.baseCheckpoint,
                 "With an adapter-only --checkpoint (prompt learning): the "
                 "frozen base model's checkpoint");
  app.add_option("--tokenizer", o.tokenizer,
                 "The GPT-2 tokenizer directory (encoder.json, vocab.bpe); "
                 "default: the bundled one");
  app.add_option("--model-name", o.modelName,
                 "The model id clients send and /v1/models lists (default: "
                 "the artifact's file name without .strata)");
  app.add_option("--host", o.http.host, "The address to listen on")
      ->capture_default_str();
  app.add_option("--port", o.http.port,
                 "The TCP port (0: any free port; see --port-file)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--port-file", o.portFile,
                 "Write the port to this file once listening (for scripts "
                 "with --port 0)");
  app.add_option("--max-queue", o.engine.maxQueued,
                 "Sequences that may wait beyond the batch's free rows; more "
                 "get 429 with Retry-After")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-running", o.engine.maxRunning,
                 "Sequences in the running batch at once (default: the "
                 "artifact's decode batch with --steps split, half of it "
                 "with mixed steps, whose other rows feed prompts)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--steps", o.engine.steps,
                 "mixed: one call per step, each row one token of a prompt "
                 "chunk or of a decoding sequence (the artifact's --batch "
                 "is the step's token budget); split: a prefill call "
                 "(--prefill-batch rows of P tokens) and a decode call; "
                 "auto: mixed unless the model has prompt-learning tasks")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, StepShape>{{"auto", StepShape::Auto},
                                           {"mixed", StepShape::Mixed},
                                           {"split", StepShape::Split}}))
      ->default_str("auto");
  app.add_option("--http-threads", o.http.threads,
                 "Requests handled at once (each open stream holds one)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--max-body-bytes", o.http.maxBodyBytes,
                 "The largest request body; larger ones get 413")
      ->capture_default_str();
  app.add_option("--max-n", o.http.protocol.maxN,
                 "The largest `n` (choices per prompt) a request may ask for")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--retry-after", o.http.retryAfterSeconds,
                 "Seconds a 429 answer tells the client to wait")
      ->capture_default_str();
  app.add_option("--threads", o.threads,
                 "Kernel threads (0: OpenMP's default)")
      ->capture_default_str();
  app.add_option("--device", o.device, "cpu or cuda")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e);
  }
  if (Status s = rankSetup().initialize(); !s.isOk())
    return fail(s);
  rankSetup().setDevice(o.device);
  if (Status s = serve(o); !s.isOk())
    return fail(s);
  rankSetup().shutDown();
  return 0;
}

} // namespace strata::runtime::serving

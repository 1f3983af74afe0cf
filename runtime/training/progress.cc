//===- progress.cc - progress bar, log lines and metrics ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/progress.h"

#include "runtime/io/file_io.h"

#include <cerrno>
#include <cmath>
#include <filesystem>

namespace strata::runtime::training {

std::string formatDuration(double seconds) {
  if (!(seconds >= 0.0) || !std::isfinite(seconds))
    return "?";
  const long long total = static_cast<long long>(std::llround(seconds));
  char text[32];
  if (total >= 3600)
    std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", total / 3600,
                  total / 60 % 60, total % 60);
  else
    std::snprintf(text, sizeof(text), "%lld:%02lld", total / 60, total % 60);
  return text;
}

namespace {

std::string formatRate(double tokensPerSecond) {
  char text[32];
  if (tokensPerSecond >= 1e6)
    std::snprintf(text, sizeof(text), "%.2fM", tokensPerSecond / 1e6);
  else if (tokensPerSecond >= 1e3)
    std::snprintf(text, sizeof(text), "%.1fk", tokensPerSecond / 1e3);
  else
    std::snprintf(text, sizeof(text), "%.0f", tokensPerSecond);
  return text;
}

} // namespace

ProgressReporter::ProgressReporter(int64_t totalSteps, int64_t firstStep,
                                   int64_t tokensPerStep, int64_t logEvery,
                                   bool terminal, std::FILE *out)
    : totalSteps_(totalSteps), firstStep_(firstStep),
      tokensPerStep_(tokensPerStep), logEvery_(logEvery < 1 ? 1 : logEvery),
      terminal_(terminal), out_(out), start_(std::chrono::steady_clock::now()) {}

double ProgressReporter::tokensPerSecond() const {
  if (stepsDone_ < 2)
    return 0.0;
  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - firstDone_)
                             .count();
  return seconds > 0.0 ? double((stepsDone_ - 1) * tokensPerStep_) / seconds
                       : 0.0;
}

void ProgressReporter::clearLine() {
  if (lineOpen_) {
    std::fputs("\r\033[2K", out_);
    lineOpen_ = false;
  }
}

void ProgressReporter::step(int64_t step, double loss, double learningRate,
                            double gradNorm, const std::string &extra) {
  ++stepsDone_;
  if (stepsDone_ == 1)
    firstDone_ = std::chrono::steady_clock::now();
  const double rate = tokensPerSecond();
  const double eta = rate > 0.0 ? double((totalSteps_ - step) * tokensPerStep_) /
                                      rate
                                : NAN;
  char stats[256];
  std::snprintf(stats, sizeof(stats),
                "loss %.4f lr %.2e gnorm %.3f | %s tok/s | ETA %s%s%s", loss,
                learningRate, gradNorm, rate > 0 ? formatRate(rate).c_str() : "-",
                formatDuration(eta).c_str(), extra.empty() ? "" : " | ",
                extra.c_str());
  const int width = std::snprintf(nullptr, 0, "%lld",
                                  static_cast<long long>(totalSteps_));
  if (terminal_) {
    constexpr int kBar = 20;
    const int filled = static_cast<int>(kBar * step / std::max<int64_t>(totalSteps_, 1));
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kBar, '.');
    clearLine();
    std::fprintf(out_, "step %*lld/%lld [%s] %s", width,
                 static_cast<long long>(step),
                 static_cast<long long>(totalSteps_), bar.c_str(), stats);
    lineOpen_ = true;
  } else if (step % logEvery_ == 0 || step == totalSteps_ ||
             step == firstStep_ + 1) {
    std::fprintf(out_, "step %*lld/%lld %s\n", width,
                 static_cast<long long>(step),
                 static_cast<long long>(totalSteps_), stats);
  }
  std::fflush(out_);
}

void ProgressReporter::message(const std::string &text) {
  clearLine();
  std::fprintf(out_, "%s\n", text.c_str());
  std::fflush(out_);
}

void ProgressReporter::finish() {
  if (lineOpen_) {
    std::fputc('\n', out_);
    lineOpen_ = false;
  }
  std::fflush(out_);
}

StatusOr<MetricsWriter> MetricsWriter::open(const std::string &path) {
  // A run killed mid-line leaves a partial record: cut it, so the file
  // stays one JSON object per line.
  if (std::FILE *existing = std::fopen(path.c_str(), "rb")) {
    std::string text;
    char buffer[1 << 16];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), existing)) > 0)
      text.append(buffer, n);
    std::fclose(existing);
    if (!text.empty() && text.back() != '\n') {
      const size_t keep = text.rfind('\n') == std::string::npos
                              ? 0
                              : text.rfind('\n') + 1;
      std::error_code ec;
      std::filesystem::resize_file(path, keep, ec);
    }
  }
  std::FILE *file = std::fopen(path.c_str(), "a");
  if (!file)
    return Status::unavailable(
        io::ioErrorMessage(path, "cannot open the metrics file", errno));
  return MetricsWriter(file);
}

MetricsWriter::MetricsWriter(MetricsWriter &&other) noexcept
    : file_(other.file_) {
  other.file_ = nullptr;
}

MetricsWriter::~MetricsWriter() {
  if (file_)
    std::fclose(file_);
}

void MetricsWriter::write(const std::string &json) {
  std::fputs(json.c_str(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);
}

} // namespace strata::runtime::training

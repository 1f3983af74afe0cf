//===- calibration_profile.cc - measured kernel and link costs ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/cost/calibration_profile.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cmath>

namespace strata::tuner {

namespace {

using mlir::strata::AttentionCall;
using mlir::strata::CrossEntropyCall;
using mlir::strata::GemmCall;

constexpr const char *kFormat = "strata-calibration-1";

/// Reads the fields of one JSON object, remembering the first error.
class FieldReader {
public:
  FieldReader(const llvm::json::Object &object, std::string where,
              std::string &error)
      : object(object), where(std::move(where)), error(error) {}

  double number(const char *key, bool positive = true) {
    std::optional<double> value = object.getNumber(key);
    if (!value || !std::isfinite(*value) || (positive && *value <= 0) ||
        *value < 0) {
      fail(std::string("'") + key + "' must be a " +
           (positive ? "positive" : "non-negative") + " number");
      return 0;
    }
    return *value;
  }
  int64_t integer(const char *key) {
    std::optional<int64_t> value = object.getInteger(key);
    if (!value || *value <= 0) {
      fail(std::string("'") + key + "' must be a positive integer");
      return 0;
    }
    return *value;
  }
  bool boolean(const char *key) {
    std::optional<bool> value = object.getBoolean(key);
    if (!value)
      fail(std::string("'") + key + "' must be true or false");
    return value.value_or(false);
  }
  std::string string(const char *key) {
    std::optional<llvm::StringRef> value = object.getString(key);
    if (!value)
      fail(std::string("'") + key + "' must be a string");
    return value ? value->str() : std::string();
  }

private:
  void fail(const std::string &what) {
    if (error.empty())
      error = where + ": " + what;
  }
  const llvm::json::Object &object;
  std::string where;
  std::string &error;
};

/// Calls |read| with a FieldReader for each object of array |key| (an
/// absent array is empty).
template <typename Read>
void forEachObject(const llvm::json::Object &root, const char *key,
                   const std::string &path, std::string &error, Read read) {
  const llvm::json::Value *value = root.get(key);
  if (!value)
    return;
  const llvm::json::Array *array = value->getAsArray();
  if (!array) {
    if (error.empty())
      error = path + ": '" + key + "' must be an array";
    return;
  }
  for (size_t i = 0; i < array->size() && error.empty(); ++i) {
    const llvm::json::Object *object = (*array)[i].getAsObject();
    const std::string where = path + ": " + key + "[" + std::to_string(i) + "]";
    if (!object) {
      error = where + ": must be an object";
      return;
    }
    FieldReader fields(*object, where, error);
    read(fields);
  }
}

double attentionFlops(const AttentionCall &a) {
  return 2.0 * double(a.batch) * double(a.querySeq) * double(a.heads) *
         double(a.keySeq) * double(a.headDim + a.valueDim);
}

bool sameShape(const AttentionCall &a, const AttentionCall &b) {
  return a.batch == b.batch && a.querySeq == b.querySeq &&
         a.keySeq == b.keySeq && a.heads == b.heads && a.kvHeads == b.kvHeads &&
         a.headDim == b.headDim && a.valueDim == b.valueDim &&
         a.causal == b.causal;
}

/// The index of the item whose |size| is closest to |target| in log scale.
template <typename Items, typename Size>
size_t closest(const Items &items, double target, Size size) {
  size_t best = 0;
  double bestDistance = INFINITY;
  for (size_t i = 0; i < items.size(); ++i) {
    const double distance = std::abs(std::log(std::max(size(items[i]), 1.0)) -
                                     std::log(std::max(target, 1.0)));
    if (distance < bestDistance)
      bestDistance = distance, best = i;
  }
  return best;
}

} // namespace

void CalibrationProfile::indexGemms() {
  gemmIndex.clear();
  for (auto &curve : gemmCurves)
    curve.clear();
  for (const Gemm &g : gemms) {
    gemmIndex[{int(g.call.kind), g.call.m, g.call.n, g.call.k}] = g.seconds;
    const std::pair<double, double> point{std::log(g.call.flops()),
                                          g.call.flops() / g.seconds};
    gemmCurves[size_t(g.call.kind)].push_back(point);
    gemmCurves[kAnyGemmKind].push_back(point);
  }
  // Sorted by FLOPs, equal FLOPs (shapes of one size) at their mean rate.
  for (auto &curve : gemmCurves) {
    std::sort(curve.begin(), curve.end());
    std::vector<std::pair<double, double>> merged;
    for (size_t i = 0; i < curve.size();) {
      size_t j = i;
      double sum = 0;
      for (; j < curve.size() && curve[j].first == curve[i].first; ++j)
        sum += curve[j].second;
      merged.emplace_back(curve[i].first, sum / double(j - i));
      i = j;
    }
    curve = std::move(merged);
  }
}

std::optional<double>
CalibrationProfile::gemmSeconds(const GemmCall &call) const {
  if (auto it = gemmIndex.find({int(call.kind), call.m, call.n, call.k});
      it != gemmIndex.end())
    return it->second;
  // No GEMM of this kind measured: any kind's rates.
  const std::vector<std::pair<double, double>> &rates =
      !gemmCurves[size_t(call.kind)].empty() ? gemmCurves[size_t(call.kind)]
                                             : gemmCurves[kAnyGemmKind];
  if (rates.empty() || call.flops() <= 0)
    return std::nullopt;
  const double x = std::log(call.flops());
  double rate = rates.front().second;
  if (x >= rates.back().first) {
    rate = rates.back().second;
  } else if (x > rates.front().first) {
    auto upper =
        std::upper_bound(rates.begin(), rates.end(), x,
                         [](double v, const std::pair<double, double> &p) {
                           return v < p.first;
                         });
    auto lower = upper - 1;
    const double t = (x - lower->first) / (upper->first - lower->first);
    rate = lower->second + t * (upper->second - lower->second);
  }
  return call.flops() / rate;
}

std::optional<double>
CalibrationProfile::attentionSeconds(const AttentionCall &call) const {
  if (attention.empty())
    return std::nullopt;
  for (const Attention &a : attention)
    if (sameShape(a.call, call))
      return call.backward ? a.backwardSeconds : a.forwardSeconds;
  const Attention &near = attention[closest(
      attention, attentionFlops(call),
      [](const Attention &a) { return attentionFlops(a.call); })];
  const double seconds =
      call.backward ? near.backwardSeconds : near.forwardSeconds;
  return seconds * attentionFlops(call) / attentionFlops(near.call);
}

std::optional<double>
CalibrationProfile::crossEntropySeconds(const CrossEntropyCall &call) const {
  if (crossEntropy.empty())
    return std::nullopt;
  const double logits = double(call.rows) * double(call.vocab);
  const CrossEntropy &near =
      crossEntropy[closest(crossEntropy, logits, [](const CrossEntropy &x) {
        return double(x.rows) * double(x.vocab);
      })];
  const double seconds =
      call.backward ? near.backwardSeconds : near.forwardSeconds;
  return seconds * logits / (double(near.rows) * double(near.vocab));
}

std::optional<double>
CalibrationProfile::elementwiseBytesPerS(double bytes) const {
  if (elementwise.empty())
    return std::nullopt;
  const Elementwise &near = elementwise[closest(
      elementwise, bytes, [](const Elementwise &e) { return e.bytes; })];
  return near.bytes / near.seconds;
}

std::optional<CalibrationProfile::LinkFit>
CalibrationProfile::allReduceLink() const {
  // seconds = 2 (g - 1) latency + sent / bandwidth, sent = 2 (g - 1) / g
  // bytes: least squares of seconds on (steps, sent).
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, steps = 0;
  for (const AllReduce &a : allReduce) {
    if (a.ranks < 2)
      continue;
    const double g = double(a.ranks);
    const double sent = 2.0 * (g - 1.0) / g * a.bytes;
    steps = 2.0 * (g - 1.0);
    n += 1, sx += sent, sy += a.seconds, sxx += sent * sent,
        sxy += sent * a.seconds;
  }
  if (n < 2 || n * sxx - sx * sx <= 0)
    return std::nullopt;
  const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const double intercept = (sy - slope * sx) / n;
  if (slope <= 0)
    return std::nullopt;
  return LinkFit{1.0 / slope, std::max(intercept, 0.0) / steps};
}

strata::Checked<CalibrationProfile>
parseCalibrationProfile(const std::string &text, const std::string &path) {
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(text);
  if (!parsed)
    return strata::checkFailed(path + ": not a calibration profile (JSON): " +
                               llvm::toString(parsed.takeError()));
  const llvm::json::Object *root = parsed->getAsObject();
  if (!root)
    return strata::checkFailed(path + ": a calibration profile is a JSON "
                                      "object");
  std::optional<llvm::StringRef> format = root->getString("format");
  if (!format || *format != kFormat)
    return strata::checkFailed(
        path + ": 'format' is " +
        (format ? "'" + format->str() + "'" : std::string("missing")) +
        ", expected '" + kFormat + "' (written by strata-tune calibrate)");
  CalibrationProfile profile;
  profile.path = path;
  std::string error;
  FieldReader top(*root, path, error);
  profile.device = top.string("device");
  profile.dtype = top.string("dtype");
  profile.ranks = top.integer("ranks");
  profile.threads = root->getInteger("threads").value_or(0);

  forEachObject(*root, "gemm", path, error, [&](FieldReader &f) {
    CalibrationProfile::Gemm g;
    const std::string kernel = f.string("kernel");
    std::optional<GemmCall::Kind> kind = mlir::strata::parseGemmKind(kernel);
    if (!kind && error.empty())
      error = path + ": gemm kernel '" + kernel +
              "' (matmul, matmul_grad_input or matmul_grad_weight)";
    g.call.kind = kind.value_or(GemmCall::Matmul);
    g.call.m = f.integer("m");
    g.call.n = f.integer("n");
    g.call.k = f.integer("k");
    g.seconds = f.number("seconds");
    profile.gemms.push_back(g);
  });
  forEachObject(*root, "attention", path, error, [&](FieldReader &f) {
    CalibrationProfile::Attention a;
    a.call.batch = f.integer("batch");
    a.call.querySeq = f.integer("query_seq");
    a.call.keySeq = f.integer("key_seq");
    a.call.heads = f.integer("heads");
    a.call.kvHeads = f.integer("kv_heads");
    a.call.headDim = f.integer("head_dim");
    a.call.valueDim = a.call.headDim;
    a.call.causal = f.boolean("causal");
    a.forwardSeconds = f.number("forward_seconds");
    a.backwardSeconds = f.number("backward_seconds");
    profile.attention.push_back(a);
  });
  forEachObject(*root, "cross_entropy", path, error, [&](FieldReader &f) {
    CalibrationProfile::CrossEntropy x;
    x.rows = f.integer("rows");
    x.vocab = f.integer("vocab");
    x.forwardSeconds = f.number("forward_seconds");
    x.backwardSeconds = f.number("backward_seconds");
    profile.crossEntropy.push_back(x);
  });
  forEachObject(*root, "elementwise", path, error, [&](FieldReader &f) {
    profile.elementwise.push_back({f.number("bytes"), f.number("seconds")});
  });
  forEachObject(*root, "all_reduce", path, error, [&](FieldReader &f) {
    profile.allReduce.push_back(
        {f.integer("ranks"), f.number("bytes"), f.number("seconds")});
  });
  if (!error.empty())
    return strata::checkFailed(error);
  profile.indexGemms();
  return profile;
}

strata::Checked<CalibrationProfile>
loadCalibrationProfile(const std::string &path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!file)
    return strata::checkFailed(path +
                               ": cannot read the calibration "
                               "profile: " +
                               file.getError().message());
  return parseCalibrationProfile((*file)->getBuffer().str(), path);
}

} // namespace strata::tuner

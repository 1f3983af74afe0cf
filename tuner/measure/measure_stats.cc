//===- measure_stats.cc - predicted against measured step times -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/measure/measure_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

namespace strata::tuner {

std::vector<double> fractionalRanks(const std::vector<double> &values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]])
      ++j;
    const double mean = (double(i + 1) + double(j + 1)) / 2;
    for (size_t k = i; k <= j; ++k)
      ranks[order[k]] = mean;
    i = j + 1;
  }
  return ranks;
}

double spearman(const std::vector<double> &a, const std::vector<double> &b) {
  if (a.size() != b.size() || a.size() < 2)
    return NAN;
  const std::vector<double> ra = fractionalRanks(a), rb = fractionalRanks(b);
  const double n = double(a.size());
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n;
  const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double cov = 0, va = 0, vb = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    cov += (ra[i] - ma) * (rb[i] - mb);
    va += (ra[i] - ma) * (ra[i] - ma);
    vb += (rb[i] - mb) * (rb[i] - mb);
  }
  if (va == 0 || vb == 0)
    return NAN;
  return cov / std::sqrt(va * vb);
}

static double median(std::vector<double> v) {
  if (v.empty())
    return NAN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double medianAbsoluteRelativeError(const std::vector<double> &predicted,
                                   const std::vector<double> &measured) {
  if (predicted.size() != measured.size() || predicted.empty())
    return NAN;
  std::vector<double> errors;
  for (size_t i = 0; i < predicted.size(); ++i)
    errors.push_back(std::abs(predicted[i] - measured[i]) / measured[i]);
  return median(errors);
}

std::vector<double> parseStepSeconds(const std::string &output) {
  std::vector<double> out;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("step ", 0) != 0)
      continue;
    const size_t open = line.rfind('(');
    double seconds = 0;
    char unit[4] = {0};
    if (open != std::string::npos &&
        std::sscanf(line.c_str() + open, "(%lf %1s)", &seconds, unit) == 2 &&
        unit[0] == 's')
      out.push_back(seconds);
  }
  return out;
}

double medianStepSeconds(const std::vector<double> &steps, size_t warmup) {
  if (steps.size() <= warmup)
    return NAN;
  return median(std::vector<double>(steps.begin() + long(warmup), steps.end()));
}

} // namespace strata::tuner

//===- ScalarValues.cpp - Typing YAML scalars ----------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// std::from_chars does the conversions: it ignores the locale, unlike
// strtod, so "0.1" means the same on every machine.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ScalarValues.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace strata::frontend {

namespace {

bool allOf(std::string_view text, int (*predicate)(int)) {
  if (text.empty())
    return false;
  for (char c : text)
    if (!predicate(static_cast<unsigned char>(c)))
      return false;
  return true;
}

int isOctalDigit(int c) { return c >= '0' && c <= '7'; }

} // namespace

IntegerStatus parseYamlInteger(std::string_view text, int64_t &out) {
  bool negative = false;
  std::string_view digits = text;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' &&
      (digits[1] == 'x' || digits[1] == 'o')) {
    base = digits[1] == 'x' ? 16 : 8;
    digits.remove_prefix(2);
  }
  bool valid = base == 16  ? allOf(digits, isxdigit)
               : base == 8 ? allOf(digits, isOctalDigit)
                           : allOf(digits, isdigit);
  if (!valid)
    return IntegerStatus::NotAnInteger;
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(),
                                   digits.data() + digits.size(), magnitude,
                                   base);
  if (ec == std::errc::result_out_of_range)
    return IntegerStatus::OutOfRange;
  if (ec != std::errc() || end != digits.data() + digits.size())
    return IntegerStatus::NotAnInteger;
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (magnitude > kMax + (negative ? 1 : 0))
    return IntegerStatus::OutOfRange;
  if (negative)
    out = magnitude == kMax + 1 ? INT64_MIN : -static_cast<int64_t>(magnitude);
  else
    out = static_cast<int64_t>(magnitude);
  return IntegerStatus::Ok;
}

std::optional<double> parseYamlFloat(std::string_view text) {
  // [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  size_t i = 0;
  size_t intDigits = 0, fracDigits = 0;
  while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])))
    ++i, ++intDigits;
  if (i < rest.size() && rest[i] == '.') {
    ++i;
    while (i < rest.size() &&
           std::isdigit(static_cast<unsigned char>(rest[i])))
      ++i, ++fracDigits;
  }
  if (intDigits == 0 && fracDigits == 0)
    return std::nullopt;
  if (i < rest.size() && (rest[i] == 'e' || rest[i] == 'E')) {
    ++i;
    if (i < rest.size() && (rest[i] == '-' || rest[i] == '+'))
      ++i;
    size_t expDigits = 0;
    while (i < rest.size() &&
           std::isdigit(static_cast<unsigned char>(rest[i])))
      ++i, ++expDigits;
    if (expDigits == 0)
      return std::nullopt;
  }
  if (i != rest.size())
    return std::nullopt;
  // from_chars does not take "1." or ".5" in every libstdc++; give it a
  // canonical spelling.
  std::string canonical;
  if (intDigits == 0)
    canonical = "0";
  canonical += rest;
  double value = 0;
  auto [end, ec] = std::from_chars(
      canonical.data(), canonical.data() + canonical.size(), value);
  if (ec != std::errc() || end != canonical.data() + canonical.size() ||
      !std::isfinite(value))
    return std::nullopt;
  return negative ? -value : value;
}

std::optional<bool> parseYamlBool(std::string_view text) {
  std::string lower = toLower(text);
  if (lower == "true")
    return true;
  if (lower == "false")
    return false;
  return std::nullopt;
}

std::string toLower(std::string_view text) {
  std::string out(text);
  for (char &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string formatDouble(double value) {
  char buffer[64];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    double back = 0;
    std::string_view s(buffer);
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), back);
    if (ec == std::errc() && back == value)
      break;
  }
  return buffer;
}

} // namespace strata::frontend

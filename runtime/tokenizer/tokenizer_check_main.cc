//===- tokenizer_check_main.cc - strata-tokenizer-check -------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A test tool: encodes text with the GPT-2 tokenizer and prints the ids, so
// that tests/tokenizer/compare_with_reference.py can hold them against the
// Python reference; also times encoding and checks round trips.
//
//   strata-tokenizer-check [options] [FILE]   (FILE "-" or absent: stdin)
//     --vocab DIR          encoder.json + vocab.bpe (data/gpt2-tokenizer)
//     --allow-end-of-text  "<|endoftext|>" in the text is the special token
//     --cases              each input line is one case, hex-encoded; print
//                          one line of ids per case
//     --pieces             with --cases: print "ids|piece byte lengths"
//     --round-trip         decode the ids and compare with the input; print
//                          a summary instead of the ids (exit 1 on mismatch)
//     --time               print the encoding speed to stderr
//
//===----------------------------------------------------------------------===//
#include "runtime/tokenizer/pretokenizer.h"
#include "runtime/tokenizer/tokenizer.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

using namespace strata::runtime;
using namespace strata::runtime::tokenizer;

namespace {

int usage(const char *message) {
  std::fprintf(stderr,
               "strata-tokenizer-check: %s\n"
               "usage: strata-tokenizer-check [--vocab DIR] "
               "[--allow-end-of-text] [--cases [--pieces]] [--round-trip] "
               "[--time] [FILE|-]\n",
               message);
  return 2;
}

bool readInput(const std::string &path, std::string &out) {
  if (path.empty() || path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin),
               std::istreambuf_iterator<char>());
    return true;
  }
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file) {
    std::fprintf(stderr, "strata-tokenizer-check: %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return false;
  }
  char buffer[1 << 16];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0)
    out.append(buffer, got);
  std::fclose(file);
  return true;
}

bool fromHex(const std::string &hex, std::string &out) {
  auto digit = [](char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2)
    return false;
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out += char(hi * 16 + lo);
  }
  return true;
}

void printIds(const std::vector<int32_t> &ids, std::string &out) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i)
      out += ' ';
    out += std::to_string(ids[i]);
  }
}

} // namespace

int main(int argc, char **argv) {
  std::string vocabDir = STRATA_GPT2_TOKENIZER_DIR, input;
  EncodeOptions options;
  bool cases = false, pieces = false, roundTrip = false, time = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--vocab" && i + 1 < argc)
      vocabDir = argv[++i];
    else if (arg == "--allow-end-of-text")
      options.allowEndOfText = true;
    else if (arg == "--cases")
      cases = true;
    else if (arg == "--pieces")
      pieces = true;
    else if (arg == "--round-trip")
      roundTrip = true;
    else if (arg == "--time")
      time = true;
    else if (arg.size() > 1 && arg[0] == '-')
      return usage(("unknown option " + arg).c_str());
    else if (input.empty())
      input = arg;
    else
      return usage("more than one input file");
  }

  StatusOr<Tokenizer> loaded = Tokenizer::load(vocabDir);
  if (!loaded.isOk()) {
    std::fprintf(stderr, "strata-tokenizer-check: %s\n",
                 loaded.status().toString().c_str());
    return 1;
  }
  const Tokenizer &tokenizer = *loaded;
  std::string text;
  if (!readInput(input, text))
    return 1;

  std::string out;
  if (cases) {
    EncodeCache cache;
    std::istringstream lines(text);
    std::string line, bytes;
    std::vector<int32_t> ids;
    for (size_t number = 1; std::getline(lines, line); ++number) {
      if (!fromHex(line, bytes)) {
        std::fprintf(stderr, "strata-tokenizer-check: line %zu is not hex\n",
                     number);
        return 1;
      }
      ids.clear();
      tokenizer.encode(bytes, ids, cache, options);
      printIds(ids, out);
      if (pieces) {
        out += '|';
        std::vector<std::string_view> split = splitPieces(bytes);
        for (size_t i = 0; i < split.size(); ++i)
          out += (i ? " " : "") + std::to_string(split[i].size());
      }
      out += '\n';
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }

  auto start = std::chrono::steady_clock::now();
  std::vector<int32_t> ids = tokenizer.encode(text, options);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (time)
    std::fprintf(stderr,
                 "strata-tokenizer-check: encoded %zu bytes into %zu tokens "
                 "in %.3f s (%.1f MB/s)\n",
                 text.size(), ids.size(), seconds, text.size() / 1e6 / seconds);
  if (roundTrip) {
    StatusOr<std::string> decoded = tokenizer.decode(ids);
    if (!decoded.isOk() || *decoded != text) {
      size_t at = 0;
      if (decoded.isOk())
        while (at < text.size() && at < decoded->size() &&
               text[at] == (*decoded)[at])
          ++at;
      std::fprintf(stderr,
                   "strata-tokenizer-check: round trip differs at byte %zu\n",
                   at);
      return 1;
    }
    std::printf("round trip ok: %zu bytes, %zu tokens\n", text.size(),
                ids.size());
    return 0;
  }
  printIds(ids, out);
  out += '\n';
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

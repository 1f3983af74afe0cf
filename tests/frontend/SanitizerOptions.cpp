//===- SanitizerOptions.cpp - Defaults for sanitized frontend binaries ---===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Linked into the sanitized driver and test binaries so that, even when run
// by hand without ASAN_OPTIONS/UBSAN_OPTIONS, a sanitizer report stops the
// program with an exit code (99/98) that no clean run produces: 0 means
// parsed, 1 means a reported error.
//
//===----------------------------------------------------------------------===//

extern "C" {

const char *__asan_default_options() {
  return "halt_on_error=1:exitcode=99:detect_leaks=1";
}

const char *__ubsan_default_options() {
  return "halt_on_error=1:exitcode=98:print_stacktrace=1";
}

} // extern "C"

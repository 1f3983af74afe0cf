//===- gemm_descriptor.cc - one GEMM as a GPU library sees it -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/gemm_tuning/gemm_descriptor.h"

#include <tuple>

namespace strata::runtime {

namespace {

auto tie(const GemmDescriptor &d) {
  const GemmShape &s = d.shape;
  return std::tie(d.dtype, s.m, s.n, s.k, s.transA, s.transB, s.lda, s.ldb,
                  s.ldc, d.alignA, d.alignB, d.alignC, d.tf32);
}

} // namespace

std::string GemmDescriptor::text() const {
  const GemmShape &s = shape;
  std::string out =
      std::string(toString(dtype)) + " m=" + std::to_string(s.m) +
      " n=" + std::to_string(s.n) + " k=" + std::to_string(s.k) + " (" +
      (s.transA ? "A^T" : "A") + ", " + (s.transB ? "B^T" : "B") +
      ") lda=" + std::to_string(s.lda) + " ldb=" + std::to_string(s.ldb) +
      " ldc=" + std::to_string(s.ldc) + " align=" + std::to_string(alignA) +
      "/" + std::to_string(alignB) + "/" + std::to_string(alignC);
  if (tf32)
    out += " tf32";
  return out;
}

bool GemmDescriptor::operator<(const GemmDescriptor &other) const {
  return tie(*this) < tie(other);
}

bool GemmDescriptor::operator==(const GemmDescriptor &other) const {
  return tie(*this) == tie(other);
}

uint32_t alignmentOfAddress(uintptr_t address) {
  uint32_t alignment = kMaxGemmAlignment;
  while (alignment > 1 && address % alignment != 0)
    alignment /= 2;
  return alignment;
}

} // namespace strata::runtime

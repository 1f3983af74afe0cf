//===- bit_cast.h - reinterpret an object's bytes -----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// C++20's std::bit_cast for C++17: the value of type To with the bytes of
// |from| (same size, both trivially copyable). memcpy, which compilers turn
// into a register move, so loops using it still vectorize.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SUPPORT_BIT_CAST_H
#define STRATA_RUNTIME_SUPPORT_BIT_CAST_H

#include <cstring>
#include <type_traits>

namespace strata::runtime {

template <typename To, typename From>
inline To bitCast(const From &from) {
  static_assert(sizeof(To) == sizeof(From) &&
                    std::is_trivially_copyable_v<To> &&
                    std::is_trivially_copyable_v<From>,
                "bitCast needs trivially copyable types of the same size");
  To to;
  std::memcpy(&to, &from, sizeof(To));
  return to;
}

} // namespace strata::runtime

#endif // STRATA_RUNTIME_SUPPORT_BIT_CAST_H

//===- ModelDescription.cpp - Names of the description's enumerations ----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The spellings are NeMo's (what a description file says), so a value can be
// printed back into a description.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ModelDescription.h"

namespace strata::frontend {

const char *toString(MixedPrecision v) {
  switch (v) {
  case MixedPrecision::None:
    return "none";
  case MixedPrecision::O1:
    return "O1";
  case MixedPrecision::O2:
    return "O2";
  }
  return "unknown";
}

const char *toString(Precision v) {
  switch (v) {
  case Precision::FP32:
    return "32";
  case Precision::FP16:
    return "16";
  case Precision::BF16:
    return "bf16";
  case Precision::FP64:
    return "64";
  }
  return "unknown";
}

const char *toString(RecomputeGranularity v) {
  switch (v) {
  case RecomputeGranularity::None:
    return "null";
  case RecomputeGranularity::Selective:
    return "selective";
  case RecomputeGranularity::Full:
    return "full";
  }
  return "unknown";
}

const char *toString(RecomputeMethod v) {
  switch (v) {
  case RecomputeMethod::None:
    return "null";
  case RecomputeMethod::Uniform:
    return "uniform";
  case RecomputeMethod::Block:
    return "block";
  }
  return "unknown";
}

const char *toString(PTuningSettings::EncoderType v) {
  switch (v) {
  case PTuningSettings::EncoderType::Mlp:
    return "mlp";
  case PTuningSettings::EncoderType::Lstm:
    return "lstm";
  }
  return "unknown";
}

} // namespace strata::frontend

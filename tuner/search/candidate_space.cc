//===- candidate_space.cc - the layouts strata-tune considers -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/search/candidate_space.h"

#include <algorithm>
#include <sstream>

namespace strata::tuner {

const char *recomputeName(Recompute r) {
  switch (r) {
  case Recompute::None:
    return "none";
  case Recompute::Selective:
    return "selective";
  case Recompute::Full:
    return "full";
  }
  return "none";
}

std::string Candidate::label() const {
  std::ostringstream os;
  os << "tp" << tp << " pp" << pp;
  if (vp > 1)
    os << " vp" << vp;
  os << " dp" << dp << " mbs" << microBatchSize;
  if (sequenceParallel)
    os << " sp";
  if (recompute != Recompute::None)
    os << " rc=" << recomputeName(recompute);
  if (distributedOptimizer)
    os << " dopt";
  return os.str();
}

bool tensorParallelFits(int64_t tp, int64_t heads, int64_t gpusPerNode) {
  return tp >= 1 && tp <= 8 && heads % tp == 0 && gpusPerNode % tp == 0;
}

bool pipelineDividesLayers(int64_t pp, int64_t layers) {
  return pp >= 1 && layers % pp == 0;
}

bool virtualStagesAllowed(int64_t vp, int64_t pp, int64_t layers,
                          int64_t microBatches) {
  if (vp == 1)
    return true;
  return vp > 1 && pp > 1 && layers % (pp * vp) == 0 &&
         microBatches % pp == 0;
}

int64_t dataParallelSize(int64_t devices, int64_t tp, int64_t pp) {
  if (tp < 1 || pp < 1 || devices % (tp * pp) != 0)
    return 0;
  return devices / (tp * pp);
}

bool parseRecompute(const std::string &name, Recompute &out) {
  for (Recompute r : {Recompute::None, Recompute::Selective, Recompute::Full})
    if (name == recomputeName(r)) {
      out = r;
      return true;
    }
  return false;
}

std::vector<Recompute>
distinctRecomputePrograms(const std::vector<Recompute> &requested) {
  const bool hasNone = std::find(requested.begin(), requested.end(),
                                 Recompute::None) != requested.end();
  std::vector<Recompute> out;
  for (Recompute r : requested)
    if (!(hasNone && r == Recompute::Selective) &&
        std::find(out.begin(), out.end(), r) == out.end())
      out.push_back(r);
  return out;
}

bool microBatchDividesBatch(int64_t globalBatch, int64_t dp, int64_t mbs) {
  return dp >= 1 && mbs >= 1 && globalBatch % (dp * mbs) == 0;
}

bool sequenceParallelAllowed(bool sequenceParallel, int64_t tp) {
  return !sequenceParallel || tp > 1;
}

bool distributedOptimizerAllowed(bool distributedOptimizer, int64_t dp) {
  return !distributedOptimizer || dp > 1;
}

std::vector<Candidate> enumerateCandidates(const SpaceInput &in) {
  std::vector<Candidate> out;
  const int64_t devices = in.nodes * in.gpusPerNode;
  for (int64_t tp = 1; tp <= 8; ++tp) {
    if (!tensorParallelFits(tp, in.heads, in.gpusPerNode))
      continue;
    for (int64_t pp = 1; pp <= in.layers; ++pp) {
      if (!pipelineDividesLayers(pp, in.layers))
        continue;
      const int64_t dp = dataParallelSize(devices, tp, pp);
      if (dp == 0)
        continue;
      for (int64_t mbs = 1; mbs <= in.maxMicroBatchSize; ++mbs) {
        if (!microBatchDividesBatch(in.globalBatch, dp, mbs))
          continue;
        const int64_t microBatches = in.globalBatch / (dp * mbs);
        for (int64_t vp = 1; vp <= in.maxVirtualStages; ++vp) {
          if (!virtualStagesAllowed(vp, pp, in.layers, microBatches))
            continue;
          for (bool sp : {false, true}) {
            if (!sequenceParallelAllowed(sp, tp))
              continue;
            for (Recompute rc : in.recomputes)
              for (bool dopt : in.distributedOptimizers) {
                if (!distributedOptimizerAllowed(dopt, dp))
                  continue;
                Candidate c;
                c.tp = tp;
                c.pp = pp;
                c.vp = vp;
                c.dp = dp;
                c.microBatchSize = mbs;
                c.microBatches = microBatches;
                c.sequenceParallel = sp;
                c.recompute = rc;
                c.distributedOptimizer = dopt;
                out.push_back(c);
              }
          }
        }
      }
    }
  }
  return out;
}

std::string emptySpaceReason(const SpaceInput &in) {
  if (!enumerateCandidates(in).empty())
    return "";
  const int64_t devices = in.nodes * in.gpusPerNode;
  std::vector<int64_t> tps, dps;
  for (int64_t tp = 1; tp <= 8; ++tp)
    if (tensorParallelFits(tp, in.heads, in.gpusPerNode))
      tps.push_back(tp);
  if (tps.empty())
    return "no tensor-parallel size <= 8 divides both the " +
           std::to_string(in.heads) + " attention heads and the " +
           std::to_string(in.gpusPerNode) + " devices per node";
  for (int64_t tp : tps)
    for (int64_t pp = 1; pp <= in.layers; ++pp)
      if (pipelineDividesLayers(pp, in.layers))
        if (int64_t dp = dataParallelSize(devices, tp, pp))
          if (std::find(dps.begin(), dps.end(), dp) == dps.end())
            dps.push_back(dp);
  if (dps.empty())
    return "no tp x pp divides the " + std::to_string(devices) + " devices";
  std::ostringstream os;
  os << "global batch " << in.globalBatch
     << " is not divisible by dp x micro-batch size for any dp in {";
  for (size_t i = 0; i < dps.size(); ++i)
    os << (i ? ", " : "") << dps[i];
  os << "} and micro-batch size <= " << in.maxMicroBatchSize;
  return os.str();
}

} // namespace strata::tuner

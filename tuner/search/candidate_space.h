//===- candidate_space.h - the layouts strata-tune considers ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The search space of strata-tune for one model, cluster and global batch:
// tp x pp x vp x dp x micro-batch size x sequence parallel x recompute x
// distributed optimizer, pruned by the divisibility rules below (each a
// named function with its own unit test). Plain C++, no MLIR.
//
// Usage:
//   SpaceInput in{.layers = 96, .heads = 96, .nodes = 128,
//                 .gpusPerNode = 8, .globalBatch = 1536};
//   std::vector<Candidate> all = enumerateCandidates(in);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_TUNER_SEARCH_CANDIDATE_SPACE_H
#define STRATA_TUNER_SEARCH_CANDIDATE_SPACE_H

#include <cstdint>
#include <string>
#include <vector>

namespace strata::tuner {

enum class Recompute { None, Selective, Full };
const char *recomputeName(Recompute r); // "none", "selective", "full"

/// One point of the space. dp and microBatches follow from the others.
struct Candidate {
  int64_t tp = 1, pp = 1, vp = 1, dp = 1;
  int64_t microBatchSize = 1;
  /// Micro-batches per step per data-parallel rank: global / (dp x mbs).
  int64_t microBatches = 1;
  bool sequenceParallel = false;
  Recompute recompute = Recompute::None;
  bool distributedOptimizer = false;

  /// "tp8 pp16 vp2 dp8 mbs1 sp rc=selective dopt".
  std::string label() const;
};

struct SpaceInput {
  int64_t layers = 1, heads = 1;
  int64_t nodes = 1, gpusPerNode = 1;
  int64_t globalBatch = 1;
  /// Micro-batch sizes tried: the divisors of global / dp up to this.
  int64_t maxMicroBatchSize = 8;
  /// Interleaved stages tried: up to this many chunks per stage.
  int64_t maxVirtualStages = 8;
  /// The recompute kinds tried (strata-tune --recompute). Not selective:
  /// it is the same program as none (distinctRecomputePrograms).
  std::vector<Recompute> recomputes = {Recompute::None, Recompute::Full};
  /// The distributed optimizer settings tried (--distributed-optimizer).
  std::vector<bool> distributedOptimizers = {false, true};
};

/// "none" / "selective" / "full" -> the kind; false for anything else.
bool parseRecompute(const std::string &name, Recompute &out);

/// Selective recomputation compiles to the same program as none in Strata:
/// tfm.attention is fused and stores no [batch, heads, seq, seq] tensor to
/// recompute (docs/model-description.md). With both asked for, the
/// selective candidates would repeat the none ones: returns |requested|
/// without Selective when None is in it, else unchanged.
std::vector<Recompute>
distinctRecomputePrograms(const std::vector<Recompute> &requested);

//===----------------------------------------------------------------------===//
// The rules
//===----------------------------------------------------------------------===//

/// Megatron's tensor parallelism splits heads and stays within a node
/// (NVLink): tp divides the heads and the GPUs per node, and tp <= 8.
bool tensorParallelFits(int64_t tp, int64_t heads, int64_t gpusPerNode);
/// Every stage holds the same number of layers: pp divides the layers.
bool pipelineDividesLayers(int64_t pp, int64_t layers);
/// Interleaving (vp > 1) needs pp > 1, layers divisible by pp x vp, and
/// micro-batches divisible by pp (Megatron's interleaved schedule). vp = 1
/// is always allowed.
bool virtualStagesAllowed(int64_t vp, int64_t pp, int64_t layers,
                          int64_t microBatches);
/// The devices split into whole data-parallel replicas: tp x pp divides
/// them; returns dp, or 0 when it does not.
int64_t dataParallelSize(int64_t devices, int64_t tp, int64_t pp);
/// The global batch splits into whole micro-batches on every replica:
/// dp x mbs divides it.
bool microBatchDividesBatch(int64_t globalBatch, int64_t dp, int64_t mbs);
/// Sequence parallelism shards along the tp group: only with tp > 1.
bool sequenceParallelAllowed(bool sequenceParallel, int64_t tp);
/// The distributed optimizer shards over dp: only with dp > 1.
bool distributedOptimizerAllowed(bool distributedOptimizer, int64_t dp);

/// Every candidate the rules allow, in a fixed order (tp, pp, vp, mbs, sp,
/// recompute, distributed optimizer).
std::vector<Candidate> enumerateCandidates(const SpaceInput &in);

/// Why enumerateCandidates(in) is empty, when it is: the first rule that
/// rules out everything (e.g. "global batch 7 is not divisible by dp x mbs
/// for any dp in {1, 2}"); empty when candidates exist.
std::string emptySpaceReason(const SpaceInput &in);

} // namespace strata::tuner

#endif // STRATA_TUNER_SEARCH_CANDIDATE_SPACE_H

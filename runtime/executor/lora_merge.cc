//===- lora_merge.cc - LoRA adapters merged into their projections --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/lora_merge.h"

#include <set>
#include <sstream>

namespace strata::runtime {

namespace {

int64_t product(std::vector<int64_t>::const_iterator begin,
                std::vector<int64_t>::const_iterator end) {
  int64_t n = 1;
  for (auto it = begin; it != end; ++it)
    n *= *it;
  return n;
}

/// Why |update|'s tensors do not fit together at |rank|; empty when they
/// do: target [out..., in...], linear_out [out..., r], linear_in [r, in...].
std::string shapeProblem(const LoraUpdate &update, const io::HostTensor &w,
                         const io::HostTensor &a, const io::HostTensor &b,
                         int64_t rank) {
  const std::vector<int64_t> &ws = w.shape(), &as = a.shape(), &bs = b.shape();
  const size_t outRank = bs.empty() ? 0 : bs.size() - 1;
  const size_t inRank = as.empty() ? 0 : as.size() - 1;
  const bool fits = !as.empty() && !bs.empty() && as.front() == rank &&
                    bs.back() == rank && ws.size() == outRank + inRank &&
                    std::equal(bs.begin(), bs.end() - 1, ws.begin()) &&
                    std::equal(as.begin() + 1, as.end(), ws.begin() + outRank);
  if (fits)
    return "";
  return update.target + " " + io::shapeToString(ws) + " does not take " +
         update.linearOut + " " + io::shapeToString(bs) + " times " +
         update.linearIn + " " + io::shapeToString(as) + " at rank " +
         std::to_string(rank) + " (expected [out..., " + std::to_string(rank) +
         "] and [" + std::to_string(rank) + ", in...] for [out..., in...])";
}

} // namespace

std::optional<LoraMergePlan> loraMergeOf(const LoadedArtifact &artifact) {
  const artifact::LoraMerge *merge = artifact.root().lora_merge();
  if (!merge)
    return std::nullopt;
  LoraMergePlan plan;
  plan.scale = merge->scale();
  plan.rank = merge->rank();
  if (merge->updates())
    for (const artifact::LoraUpdate *u : *merge->updates()) {
      auto text = [](const flatbuffers::String *s) {
        return s ? s->str() : std::string();
      };
      plan.updates.push_back(
          {text(u->target()), text(u->linear_in()), text(u->linear_out())});
    }
  return plan;
}

Status mergeLora(io::TensorMap &tensors, const LoraMergePlan &plan,
                 const std::string &source) {
  std::vector<std::string> problems;
  std::set<std::string> missing;
  for (const LoraUpdate &update : plan.updates)
    for (const std::string *name :
         {&update.target, &update.linearIn, &update.linearOut})
      if (!tensors.count(*name) && missing.insert(*name).second)
        problems.push_back("missing " + *name);
  if (problems.empty())
    for (const LoraUpdate &update : plan.updates) {
      std::string problem = shapeProblem(
          update, tensors.at(update.target), tensors.at(update.linearIn),
          tensors.at(update.linearOut), plan.rank);
      if (!problem.empty())
        problems.push_back(problem);
    }
  if (!problems.empty()) {
    std::ostringstream os;
    os << source
       << " does not hold the LoRA adapters an artifact compiled with "
          "--merge-lora merges into its projections:";
    for (const std::string &problem : problems)
      os << "\n  " << problem;
    return Status::invalidArgument(os.str());
  }

  std::set<std::string> adapters;
  for (const LoraUpdate &update : plan.updates) {
    io::HostTensor &w = tensors.at(update.target);
    STRATA_ASSIGN_OR_RETURN(io::HostTensor wd,
                            io::convertTensor(w, io::DType::F64));
    STRATA_ASSIGN_OR_RETURN(
        io::HostTensor a,
        io::convertTensor(tensors.at(update.linearIn), io::DType::F64));
    STRATA_ASSIGN_OR_RETURN(
        io::HostTensor b,
        io::convertTensor(tensors.at(update.linearOut), io::DType::F64));
    const int64_t r = plan.rank;
    const int64_t out = product(b.shape().begin(), b.shape().end() - 1);
    const int64_t in = product(a.shape().begin() + 1, a.shape().end());
    double *wp = wd.data<double>();
    const double *ap = a.data<double>(), *bp = b.data<double>();
    for (int64_t o = 0; o < out; ++o)
      for (int64_t k = 0; k < r; ++k) {
        const double s = plan.scale * bp[o * r + k];
        for (int64_t i = 0; i < in; ++i)
          wp[o * in + i] += s * ap[k * in + i];
      }
    STRATA_ASSIGN_OR_RETURN(w, io::convertTensor(wd, w.dtype()));
    adapters.insert(update.linearIn);
    adapters.insert(update.linearOut);
  }
  for (const std::string &name : adapters)
    tensors.erase(name);
  return Status::ok();
}

} // namespace strata::runtime

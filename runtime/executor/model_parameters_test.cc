//===- model_parameters_test.cc - the parameters of every stage -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Hand-built pipeline artifacts (artifact_test_support.h) whose stages each
// hold one weight. The transfers between stages run under mpirun
// (pipeline_mpi_test.cc).
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cpu_test_backend.h"
#include "runtime/executor/model_parameters.h"

#include "runtime/artifact/artifact_test_support.h"
#include "runtime/executor/parameters.h"

#include <gtest/gtest.h>

namespace strata::runtime {
namespace {

using testing_support::buildArtifact;
using testing_support::buildPipelineArtifact;
using testing_support::PipelineSpec;
using testing_support::stageSpec;
using testing_support::Spec;

LoadedArtifact load(const std::vector<uint8_t> &bytes) {
  StatusOr<LoadedArtifact> loaded = loadArtifactFromBytes(bytes, "p.strata");
  EXPECT_TRUE(loaded.isOk()) << loaded.status().toString();
  return *loaded;
}

// The family that names checkpoint tensors is the artifact's data
// (format 0.10), never guessed from the configuration's strings.
TEST(ModelParametersTest, TheModelFamilyIsTheArtifacts) {
  Spec llama;
  llama.modelFamily = artifact::ModelFamily::Llama;
  StatusOr<io::HfFamily> family = hfFamilyOf(load(buildArtifact(llama)));
  ASSERT_TRUE(family.isOk()) << family.status().toString();
  EXPECT_EQ(*family, io::HfFamily::Llama);
  StatusOr<io::HfFamily> gpt = hfFamilyOf(load(buildArtifact({})));
  ASSERT_TRUE(gpt.isOk()) << gpt.status().toString();
  EXPECT_EQ(*gpt, io::HfFamily::Gpt2);

  Spec none;
  none.modelFamily = artifact::ModelFamily::None;
  StatusOr<io::HfFamily> missing = hfFamilyOf(load(buildArtifact(none)));
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find(
                "p.strata: the model has no Hugging Face checkpoint family"),
            std::string::npos)
      << missing.status().toString();

  Spec old;
  old.versionMinor = 9;
  StatusOr<io::HfFamily> older = hfFamilyOf(load(buildArtifact(old)));
  ASSERT_FALSE(older.isOk());
  EXPECT_NE(older.status().message().find(
                "format 0.9 does not record the model family"),
            std::string::npos)
      << older.status().toString();
}

TEST(ModelParametersTest, APlainArtifactListsItsOwn) {
  const LoadedArtifact plain = load(buildArtifact({}));
  const std::vector<ModelParameter> parameters = modelParameters(plain);
  ASSERT_EQ(parameters.size(), 1u);
  EXPECT_EQ(parameters[0].name, "w");
  EXPECT_EQ(parameters[0].ownerStage, 0);
  EXPECT_EQ(parameters[0].owner, plain.root().parameters()->Get(0));
  EXPECT_EQ(parameters[0].globalShape, (std::vector<int64_t>{4, 8}));
}

TEST(ModelParametersTest, EveryStageSeesTheWholeModel) {
  PipelineSpec spec;
  spec.meshShape = {1, 3, 1};
  const LoadedArtifact root = load(buildPipelineArtifact(spec));
  for (int64_t s = 0; s < 3; ++s) {
    StatusOr<LoadedArtifact> stage = root.pipelineStage(s);
    ASSERT_TRUE(stage.isOk());
    const std::vector<ModelParameter> parameters = modelParameters(*stage);
    ASSERT_EQ(parameters.size(), 3u);
    for (int64_t owner = 0; owner < 3; ++owner) {
      EXPECT_EQ(parameters[owner].name, "w" + std::to_string(owner));
      EXPECT_EQ(parameters[owner].ownerStage, owner);
    }
    // The stage's own entry is its program's parameter.
    EXPECT_EQ(parameters[s].owner, stage->root().parameters()->Get(0));
    const io::ParameterTable table = parameterTable(*stage);
    ASSERT_EQ(table.size(), 3u);
    EXPECT_EQ(table[2].name, "w2");
  }
}

TEST(ModelParametersTest, ASharedParameterBelongsToTheLowerStage) {
  PipelineSpec spec;
  testing_support::Spec first = stageSpec(spec, 0), last = stageSpec(spec, 1);
  first.weightName = last.weightName = "embedding.word_embeddings.weight";
  first.sharedWithStage = 1;
  last.sharedWithStage = 0;
  spec.stages = {buildArtifact(first), buildArtifact(last)};
  const LoadedArtifact root = load(buildPipelineArtifact(spec));
  StatusOr<LoadedArtifact> stage = root.pipelineStage(1);
  ASSERT_TRUE(stage.isOk());
  const std::vector<ModelParameter> parameters = modelParameters(*stage);
  ASSERT_EQ(parameters.size(), 1u);
  EXPECT_EQ(parameters[0].ownerStage, 0);
  EXPECT_EQ(parameters[0].owner->shared_with_stage(), 1);
}

/// A stage's executor on a one-process stand-in of the pp = 2 mesh (no
/// transfer runs).
struct StageExecutor {
  SingleProcessCommunicator dp, pp, tp;
  RankMesh mesh;
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  std::unique_ptr<Executor> executor;

  StageExecutor(const LoadedArtifact &root, int64_t stage) {
    mesh.axes = {"dp", "pp", "tp"};
    mesh.shape = {1, 2, 1};
    mesh.coords = {0, stage, 0};
    mesh.communicators = {&dp, &pp, &tp};
    ExecutorOptions options;
    options.mesh = &mesh;
    StatusOr<LoadedArtifact> program = root.pipelineStage(stage);
    EXPECT_TRUE(program.isOk());
    StatusOr<std::unique_ptr<Executor>> made =
        Executor::create(std::move(*program), device, options);
    EXPECT_TRUE(made.isOk()) << made.status().toString();
    executor = std::move(*made);
  }
};

TEST(ModelParametersTest, AStageTakesItsOwnFromAGlobalMap) {
  const LoadedArtifact root = load(buildPipelineArtifact({}));
  StageExecutor stage(root, 1);
  io::HostTensor w0(io::DType::F32, {4, 8}), w1(io::DType::F32, {4, 8});
  for (int i = 0; i < 32; ++i) {
    w0.data<float>()[i] = float(i);
    w1.data<float>()[i] = float(-i);
  }
  io::TensorMap global;
  global.emplace("w0", w0);
  global.emplace("w1", w1);
  ASSERT_TRUE(writeParameters(*stage.executor, global, "ckpt").isOk());
  EXPECT_EQ(stage.executor->read(0).value().data<float>()[5], -5.0f);
  // Another stage's name is expected, anything else is not, and the stage's
  // own is required.
  io::TensorMap extra = global;
  extra.emplace("w9", w0);
  Status refused = writeParameters(*stage.executor, extra, "ckpt");
  EXPECT_NE(refused.message().find("unexpected w9"), std::string::npos)
      << refused.message();
  io::TensorMap missing;
  missing.emplace("w0", w0);
  refused = writeParameters(*stage.executor, missing, "ckpt");
  EXPECT_NE(refused.message().find("missing w1"), std::string::npos)
      << refused.message();
  EXPECT_EQ(refused.message().find("w0"), std::string::npos);
}

TEST(ModelParametersTest, APipelineRootIsNoExecutorProgram) {
  const LoadedArtifact root = load(buildPipelineArtifact({}));
  std::unique_ptr<Backend> backend = cpuTestBackend();
  Backend &device = *backend;
  StatusOr<std::unique_ptr<Executor>> refused = Executor::create(root, device);
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.status().message(),
            "p.strata is a pipeline-parallel artifact of 2 stages; a rank "
            "runs the program of its stage");
}

} // namespace
} // namespace strata::runtime

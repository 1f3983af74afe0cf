//===- DistShardingTest.cpp - verifyShardingFor and getLocalType ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "dialects/dist/IR/DistOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <string>

using namespace mlir;
using namespace mlir::strata::dist;

namespace {

class ShardingTest : public ::testing::Test {
protected:
  ShardingTest() : builder(&context) {
    context.loadDialect<DistDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
    mesh = MeshOp::create(builder, builder.getUnknownLoc(), "mesh",
                          builder.getStrArrayAttr({"dp", "pp", "tp"}),
                          builder.getDenseI64ArrayAttr({2, 2, 4}));
  }

  ShardingAttr sharding(ArrayRef<ArrayRef<StringRef>> dims,
                        ArrayRef<StringRef> partial = {}) {
    SmallVector<Attribute> dimAttrs;
    for (ArrayRef<StringRef> axes : dims)
      dimAttrs.push_back(builder.getStrArrayAttr(axes));
    return ShardingAttr::get(&context, FlatSymbolRefAttr::get(&context, "mesh"),
                             builder.getArrayAttr(dimAttrs),
                             builder.getStrArrayAttr(partial));
  }

  /// getLocalType, with the first diagnostic captured in |message|.
  FailureOr<RankedTensorType> local(RankedTensorType type, ShardingAttr attr) {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      message = diag.str();
      return success();
    });
    return getLocalType([&] { return emitError(builder.getUnknownLoc()); },
                        type, attr, mesh);
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
  MeshOp mesh;
  std::string message;
};

TEST_F(ShardingTest, DividesSplitDimensions) {
  auto type = RankedTensorType::get({16, 768}, builder.getF32Type());
  FailureOr<RankedTensorType> result =
      local(type, sharding({{"dp", "tp"}, {}}, {"pp"}));
  ASSERT_TRUE(succeeded(result));
  EXPECT_EQ(result->getShape(), ArrayRef<int64_t>({2, 768}));
  EXPECT_TRUE(succeeded(
      verifyShardingFor([&] { return emitError(builder.getUnknownLoc()); },
                        type, sharding({{}, {"tp"}}), mesh)));
}

TEST_F(ShardingTest, KeepsDynamicDimensions) {
  auto type =
      RankedTensorType::get({ShapedType::kDynamic, 8}, builder.getF32Type());
  FailureOr<RankedTensorType> result = local(type, sharding({{"dp"}, {"tp"}}));
  ASSERT_TRUE(succeeded(result));
  EXPECT_TRUE(result->isDynamicDim(0));
  EXPECT_EQ(result->getDimSize(1), 2);
}

TEST_F(ShardingTest, RejectsUnevenSplits) {
  auto type = RankedTensorType::get({8, 770}, builder.getF32Type());
  EXPECT_TRUE(failed(local(type, sharding({{}, {"tp"}}))));
  EXPECT_EQ(message, "split over axis 'tp' of size 4: dimension 1 of size 770 "
                     "is not divisible by 4");
}

TEST_F(ShardingTest, RejectsUnknownAxesAndRankMismatch) {
  auto type = RankedTensorType::get({8, 768}, builder.getF32Type());
  EXPECT_TRUE(failed(local(type, sharding({{"sp"}, {}}))));
  EXPECT_EQ(message, "mesh @mesh has no axis 'sp' (its axes are 'dp', 'pp', "
                     "'tp')");
  EXPECT_TRUE(failed(local(type, sharding({{}}))));
  EXPECT_EQ(message, "sharding has 1 dimension entries but the tensor type "
                     "'tensor<8x768xf32>' has rank 2");
}

} // namespace

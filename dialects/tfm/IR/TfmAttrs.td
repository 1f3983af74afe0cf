//===- TfmAttrs.td - tfm dialect attributes ----------------*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_TFM_IR_TFMATTRS_TD
#define STRATA_DIALECTS_TFM_IR_TFMATTRS_TD

include "dialects/tfm/IR/TfmBase.td"

def Tfm_InitAttr : Tfm_Attr<"Init", "init"> {
  let summary = "How a parameter is initialized";
  let description = [{
    The recipe the runtime follows to fill a parameter before training when
    no checkpoint provides it. `normal` draws from N(0, std^2); `zeros` and
    `ones` fill a constant.

    Example:

    ```mlir
    #tfm.init<normal, std = 2.000000e-02>
    #tfm.init<zeros>
    #tfm.init<ones>
    ```

    **Constraints:** `std` is present exactly for `normal`, and is positive
    and finite.
  }];
  let parameters = (ins
    "::mlir::strata::tfm::InitKind":$kind,
    "::llvm::APFloat":$std
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "::mlir::strata::tfm::InitKind":$kind), [{
      return $_get($_ctxt, kind, ::llvm::APFloat(0.0));
    }]>,
    AttrBuilder<(ins "::mlir::strata::tfm::InitKind":$kind, "double":$std), [{
      return $_get($_ctxt, kind, ::llvm::APFloat(std));
    }]>
  ];
}

#endif // STRATA_DIALECTS_TFM_IR_TFMATTRS_TD

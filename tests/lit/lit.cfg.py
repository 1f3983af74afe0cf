# Lit configuration for Strata's IR and tool tests.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "Strata"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.strata_binary_dir, "tests", "lit")

config.substitutions.append(("%examples", os.path.join(config.strata_source_dir, "examples")))
config.substitutions.append(("%srcroot", config.strata_source_dir))
# NeMo's published configurations, verbatim (tests/frontend/nemo-configs/README.md).
config.substitutions.append(("%nemo", os.path.join(config.strata_source_dir, "tests", "frontend",
                                                    "nemo-configs")))
# Debian's python3 with numpy (and torch, for the reference models).
config.substitutions.append(("%python", "/usr/bin/python3"))

llvm_config.with_system_environment(["HOME", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
tool_dirs = [config.strata_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["strata-opt", "strata-compile", "strata-run", "strata-tune"], tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.strata_tools_dir, append_path=True)

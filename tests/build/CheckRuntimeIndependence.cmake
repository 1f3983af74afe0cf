# Fails when anything under runtime/ includes LLVM or MLIR headers or links
# their libraries: the runtime must build on machines without LLVM (the GPU
# machines, deployments), the way IREE's runtime builds without its compiler.
# Usage: cmake -DRUNTIME_DIR=<path> -P CheckRuntimeIndependence.cmake
file(GLOB_RECURSE sources
  "${RUNTIME_DIR}/*.h" "${RUNTIME_DIR}/*.hpp" "${RUNTIME_DIR}/*.c"
  "${RUNTIME_DIR}/*.cc" "${RUNTIME_DIR}/*.cpp" "${RUNTIME_DIR}/*.cu"
  "${RUNTIME_DIR}/*.cuh")
set(offenders)
foreach(source ${sources})
  file(STRINGS "${source}" hits REGEX "#[ \t]*include[ \t]*[<\"](mlir|llvm|llvm-c)/")
  if(hits)
    list(APPEND offenders "${source}: ${hits}")
  endif()
endforeach()
file(GLOB_RECURSE cmake_files "${RUNTIME_DIR}/CMakeLists.txt" "${RUNTIME_DIR}/*.cmake")
foreach(cmake_file ${cmake_files})
  file(STRINGS "${cmake_file}" hits
    REGEX "^[^#]*(MLIR|LLVM[A-Za-z]*)[ \t)]|find_package\\((MLIR|LLVM)")
  if(hits)
    list(APPEND offenders "${cmake_file}: ${hits}")
  endif()
endforeach()
list(LENGTH sources n)
if(offenders)
  string(REPLACE ";" "\n  " text "${offenders}")
  message(FATAL_ERROR "runtime/ must not depend on LLVM or MLIR:\n  ${text}")
endif()
message(STATUS "runtime/: ${n} source files, none includes LLVM or MLIR")

#===- StrataMLIR.cmake - LLVM/MLIR 22 setup and helpers --------*- cmake -*-===#
#
# Finds Debian's LLVM/MLIR 22 and defines the helpers the compiler tree uses.
# Everything links the monolithic libMLIR.so plus libLLVM.so: a tool links in
# seconds instead of tens of seconds against the static component libraries.
#
#===------------------------------------------------------------------------===#
if(NOT MLIR_DIR AND EXISTS /usr/lib/llvm-22/lib/cmake/mlir)
  set(MLIR_DIR /usr/lib/llvm-22/lib/cmake/mlir)
endif()
find_package(MLIR REQUIRED CONFIG)
message(STATUS "Strata: MLIR ${MLIR_DIR}, LLVM ${LLVM_PACKAGE_VERSION}")

set(LLVM_RUNTIME_OUTPUT_INTDIR ${STRATA_TOOLS_DIR})
set(LLVM_LIBRARY_OUTPUT_INTDIR ${CMAKE_BINARY_DIR}/lib)
set(MLIR_BINARY_DIR ${CMAKE_BINARY_DIR})
list(APPEND CMAKE_MODULE_PATH "${MLIR_CMAKE_DIR}" "${LLVM_CMAKE_DIR}")
include(TableGen)
include(AddLLVM)
include(AddMLIR)
include(HandleLLVMOptions)

include_directories(SYSTEM ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
# Generated headers (.h.inc) live under the build tree, mirroring the source.
include_directories(${STRATA_SOURCE_DIR} ${STRATA_BINARY_DIR})
link_directories(${LLVM_BUILD_LIBRARY_DIR})

set(LLVM_EXTERNAL_LIT "${LLVM_TOOLS_BINARY_DIR}/lit" CACHE FILEPATH "lit" FORCE)

# strata_mlir_library(NAME SRCS a.cpp DEPS other DEPENDS tablegen-target)
# A compiler library: links libMLIR.so and libLLVM.so, built without
# exceptions like LLVM itself.
function(strata_mlir_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;DEPENDS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} MLIR LLVM)
  target_compile_options(${name} PRIVATE -fno-exceptions)
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
endfunction()

# strata_tool(NAME SRCS main.cpp DEPS libs)
function(strata_tool name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} MLIR LLVM)
  target_compile_options(${name} PRIVATE -fno-exceptions)
endfunction()

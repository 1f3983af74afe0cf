#===- StrataCuda.cmake - optional CUDA toolkit detection -------*- cmake -*-===#
#
# CUDA targets build when nvcc is present (AUTO) or when asked for (ON). The
# project builds, tests and runs without them.
#
#===------------------------------------------------------------------------===#
include(CheckLanguage)
set(STRATA_HAVE_CUDA OFF)
if(NOT STRATA_ENABLE_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 90)
    endif()
    set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
    enable_language(CUDA)
    find_package(CUDAToolkit)
    if(CUDAToolkit_FOUND)
      set(STRATA_HAVE_CUDA ON)
    endif()
  endif()
  if(STRATA_ENABLE_CUDA STREQUAL "ON" AND NOT STRATA_HAVE_CUDA)
    message(FATAL_ERROR "STRATA_ENABLE_CUDA=ON but no CUDA toolkit was found")
  endif()
endif()
message(STATUS "Strata: CUDA targets ${STRATA_HAVE_CUDA}")

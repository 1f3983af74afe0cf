# Fails when code under common/ includes anything but the standard library
# and common/ itself (GoogleTest in its tests): compiler, runtime and tuner
# all link StrataCommon, so it may depend on none of them.
# Usage: cmake -DCOMMON_DIR=<path> -P CheckCommonIndependence.cmake
file(GLOB_RECURSE sources "${COMMON_DIR}/*.h" "${COMMON_DIR}/*.cc")
set(offenders)
foreach(source ${sources})
  file(STRINGS "${source}" includes REGEX "^#[ \t]*include")
  foreach(line ${includes})
    if(line MATCHES "\"common/" OR line MATCHES "<[a-z_0-9]+>"
       OR line MATCHES "<gtest/gtest.h>")
      continue()
    endif()
    list(APPEND offenders "${source}: ${line}")
  endforeach()
endforeach()
list(LENGTH sources n)
if(offenders)
  string(REPLACE ";" "\n  " text "${offenders}")
  message(FATAL_ERROR "common/ must depend on nothing but the standard "
                      "library:\n  ${text}")
endif()
message(STATUS "common/: ${n} source files, standard library only")

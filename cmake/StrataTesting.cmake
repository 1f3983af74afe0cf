#===- StrataTesting.cmake - GoogleTest helpers -----------------*- cmake -*-===#
find_package(GTest REQUIRED)
include(GoogleTest)

# strata_cc_test(NAME SRCS a.cpp b.cpp DEPS lib1 lib2)
# A GoogleTest binary whose tests are registered with CTest one by one.
function(strata_cc_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS unit)
endfunction()

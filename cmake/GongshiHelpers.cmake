# Build helpers: one library per stage, one test binary per stage, one label per test binary.

add_library(gongshi_build_flags INTERFACE)
target_compile_options(gongshi_build_flags INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                                                     -Wno-sign-conversion)
if(GONGSHI_WERROR)
  target_compile_options(gongshi_build_flags INTERFACE -Werror)
endif()
if(GONGSHI_SANITIZER STREQUAL "address")
  target_compile_options(gongshi_build_flags INTERFACE -fsanitize=address,undefined
                                                       -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(gongshi_build_flags INTERFACE -fsanitize=address,undefined)
endif()
# simdjson picks its On-Demand kernel at compile time; without PCLMUL the haswell kernel is not
# built in and every parse falls back (performance-notes.md). The runtime dispatch still picks
# icelake on AVX-512 hosts.
include(CheckCXXCompilerFlag)
check_cxx_compiler_flag(-march=haswell GONGSHI_HAS_HASWELL)
if(GONGSHI_HAS_HASWELL AND CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  target_compile_options(gongshi_build_flags INTERFACE -march=haswell)
endif()

# gongshi_add_library(parse SOURCES json_parser.cc DEPS gongshi::record simdjson::simdjson)
# creates gongshi_parse and its alias gongshi::parse. Always link the alias: a typo in an alias is
# a configure error, a typo in a plain name only fails at link time.
function(gongshi_add_library name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;DEPS")
  add_library(gongshi_${name} STATIC ${arg_SOURCES})
  add_library(gongshi::${name} ALIAS gongshi_${name})
  target_include_directories(gongshi_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(gongshi_${name} PUBLIC ${arg_DEPS} gongshi_build_flags)
endfunction()

# gongshi_add_test(parse_test SOURCES parse/json_parser_test.cc DEPS gongshi::parse LABEL unit)
# One label per test binary: gtest_discover_tests in CMake 3.25 keeps only the first of a list.
function(gongshi_add_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "LABEL;TIMEOUT" "SOURCES;DEPS")
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 300)
  endif()
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_DEPS} gongshi_test_support GTest::gmock_main
                                        gongshi_build_flags)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS ${arg_LABEL} TIMEOUT ${arg_TIMEOUT}
               ENVIRONMENT "GONGSHI_DATA_DIR=${PROJECT_SOURCE_DIR}")
  # Tests that run the binary find it here (gtest_discover_tests does not expand generator
  # expressions in ENVIRONMENT); $GONGSHI_BIN overrides it.
  target_compile_definitions(${name} PRIVATE GONGSHI_BIN_PATH="$<TARGET_FILE:gongshi>")
endfunction()

# gongshi_add_benchmark(parse_bench SOURCES parse_bench.cc DEPS gongshi::parse) also registers a
# one-pass smoke run with ctest (label bench_smoke), so a benchmark that breaks fails CI.
function(gongshi_add_benchmark name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;DEPS")
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_DEPS} benchmark::benchmark gongshi_build_flags)
  if(GONGSHI_BUILD_TESTS)
    # benchmark 1.7.1 takes --benchmark_min_time as a double (1.8 wants "0.001s").
    add_test(NAME ${name}_smoke COMMAND ${name} --benchmark_min_time=0.001)
    set_tests_properties(${name}_smoke PROPERTIES LABELS bench_smoke
      ENVIRONMENT "GONGSHI_DATA_DIR=${PROJECT_SOURCE_DIR}")
  endif()
endfunction()

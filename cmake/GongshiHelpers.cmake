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
elseif(GONGSHI_SANITIZER STREQUAL "thread")
  # The runtime's concurrency tests only (setup.sh test): ThreadSanitizer cannot follow Debian's
  # librdkafka, whose threads start through C11 thrd_create, so nothing built this way may start a
  # Kafka client.
  target_compile_options(gongshi_build_flags INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(gongshi_build_flags INTERFACE -fsanitize=thread)
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
    # Each build directory keeps its own benchmark stores: two builds' suites at once on one
    # machine (a release and a sanitizer build, two checkouts) must not remove each other's.
    set_tests_properties(${name}_smoke PROPERTIES LABELS bench_smoke
      ENVIRONMENT "GONGSHI_DATA_DIR=${PROJECT_SOURCE_DIR};GONGSHI_BENCH_DIR=${PROJECT_BINARY_DIR}/bench-smoke")
  endif()
endfunction()

# --- Fuzzing (tests/fuzz). GONGSHI_FUZZ=ON with clang builds the libFuzzer targets: every stage
# library gets coverage instrumentation and ASan+UBSan (-fsanitize=fuzzer-no-link), the targets
# themselves libFuzzer's main (-fsanitize=fuzzer). g++ has no libFuzzer, so there the option only
# warns. UBSan aborts on its first report, so libFuzzer keeps the input as a crash.
set(GONGSHI_FUZZ_ENGINE OFF)
if(GONGSHI_FUZZ)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    set(GONGSHI_FUZZ_ENGINE ON)
    target_compile_options(gongshi_build_flags INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                                                         -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(gongshi_build_flags INTERFACE -fsanitize=address,undefined)
  else()
    message(WARNING "GONGSHI_FUZZ needs clang (CC=clang CXX=clang++); the fuzz targets are not built")
  endif()
endif()

# gongshi_add_fuzz_target(json_parser_fuzz SOURCES json_parser_fuzz.cc DEPS gongshi::parse)
# builds the libFuzzer binary json_parser_fuzz (GONGSHI_FUZZ with clang) and, in every build with
# tests, json_parser_fuzz_replay (tests/fuzz/replay_main.cc), registered with ctest under the label
# `fuzz`: it feeds each file of corpus/json_parser_fuzz/ and crashes/json_parser_fuzz/ (if there)
# to the target once, so the corpora replay in the g++ release and ASan runs too.
function(gongshi_add_fuzz_target name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;DEPS;DEFINES")
  set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${name})
  set(crashes ${CMAKE_CURRENT_SOURCE_DIR}/crashes/${name})
  set(targets)
  if(GONGSHI_FUZZ_ENGINE)
    add_executable(${name} ${arg_SOURCES})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    list(APPEND targets ${name})
  endif()
  if(GONGSHI_BUILD_TESTS)
    add_executable(${name}_replay ${arg_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cc)
    add_test(NAME ${name}_replay COMMAND ${name}_replay ${corpus} --if-present ${crashes})
    set_tests_properties(${name}_replay PROPERTIES LABELS fuzz TIMEOUT 300
      ENVIRONMENT "GONGSHI_DATA_DIR=${PROJECT_SOURCE_DIR}")
    list(APPEND targets ${name}_replay)
  endif()
  foreach(target ${targets})
    target_link_libraries(${target} PRIVATE ${arg_DEPS} gongshi_build_flags)
    target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR})
    target_compile_definitions(${target} PRIVATE ${arg_DEFINES})
  endforeach()
endfunction()

# User-facing build options.
option(RTSTEP_BUILD_TESTS "Build the GoogleTest suite" ON)
option(RTSTEP_BUILD_BENCHMARKS "Build the Google Benchmark micro-benchmarks" ON)
option(RTSTEP_WARNINGS_AS_ERRORS "Treat compiler warnings as errors (on in CI)" OFF)
set(RTSTEP_SANITIZERS "" CACHE STRING "Comma-separated sanitizers, e.g. address,undefined or thread")
# libFuzzer targets in fuzz/ (docs/FUZZING.md). libFuzzer ships with clang only.
option(RTSTEP_BUILD_FUZZERS "Build the libFuzzer targets (clang only; see the fuzz preset)" OFF)
if(RTSTEP_BUILD_FUZZERS AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "RTSTEP_BUILD_FUZZERS needs clang (libFuzzer), not ${CMAKE_CXX_COMPILER_ID}: "
                      "configure with -DCMAKE_CXX_COMPILER=clang++ or use the fuzz preset")
endif()

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()

# ccache, when installed (scripts/install-deps.sh installs it), keeps compiled objects outside the clone
# (its default cache is ~/.cache/ccache), so a fresh CI clone rebuilds only what changed. Paths are hashed
# relative to the source tree (base_dir) and the build folder is left out (hash_dir), so a clone in another
# folder finds the same objects.
find_program(RTSTEP_CCACHE ccache)
if(RTSTEP_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${PROJECT_SOURCE_DIR} CCACHE_NOHASHDIR=1
                                  ${RTSTEP_CCACHE})
endif()

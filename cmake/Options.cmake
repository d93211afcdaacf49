# User-facing build options.
option(RTSTEP_BUILD_TESTS "Build the GoogleTest suite" ON)
option(RTSTEP_BUILD_BENCHMARKS "Build the Google Benchmark micro-benchmarks" ON)
option(RTSTEP_WARNINGS_AS_ERRORS "Treat compiler warnings as errors (on in CI)" OFF)
set(RTSTEP_SANITIZERS "" CACHE STRING "Comma-separated sanitizers, e.g. address,undefined or thread")

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()

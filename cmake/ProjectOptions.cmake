# rtstep_project_options: warnings and sanitizers as an INTERFACE target that every rtstep target
# links PRIVATE, instead of global flags.
add_library(rtstep_project_options INTERFACE)
target_compile_options(rtstep_project_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                       -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
                       -Wimplicit-fallthrough)
if(RTSTEP_WARNINGS_AS_ERRORS)
  target_compile_options(rtstep_project_options INTERFACE -Werror)
endif()
if(RTSTEP_SANITIZERS)
  string(REPLACE "," ";" _sanitizers "${RTSTEP_SANITIZERS}")
  foreach(_s IN LISTS _sanitizers)
    target_compile_options(rtstep_project_options INTERFACE -fsanitize=${_s})
    target_link_options(rtstep_project_options INTERFACE -fsanitize=${_s})
  endforeach()
  target_compile_options(rtstep_project_options INTERFACE -fno-omit-frame-pointer -fno-sanitize-recover=all)
endif()

# rtstep_module(NAME SOURCES...): a static library for src/NAME, included as "NAME/NAME.hpp".
function(rtstep_module name)
  add_library(rtstep_${name} STATIC ${ARGN})
  target_include_directories(rtstep_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(rtstep_${name} PRIVATE rtstep_project_options)
endfunction()

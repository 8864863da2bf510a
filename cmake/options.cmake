# Build options shared by every goro target.
#   GORO_SANITIZE=address  -> ASan + UBSan
#   GORO_SANITIZE=thread   -> TSan (use clang: g++ TSan needs ~8 VMAs per live fiber)
set(GORO_SANITIZE "" CACHE STRING "Sanitizer build: '', address or thread")
set_property(CACHE GORO_SANITIZE PROPERTY STRINGS "" address thread)
if(NOT GORO_SANITIZE MATCHES "^(|address|thread)$")
  message(FATAL_ERROR "GORO_SANITIZE must be empty, 'address' or 'thread', not '${GORO_SANITIZE}'")
endif()

# GORO_FUZZ=ON: libFuzzer coverage for every target, and the fuzz targets of test/fuzz
# (clang only; combine with GORO_SANITIZE=address).
option(GORO_FUZZ "Build the libFuzzer targets (clang)" OFF)
if(GORO_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "GORO_FUZZ needs clang (libFuzzer), not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# A large frame must not jump a stack guard page (see runtime/src/stack_pool.cpp), in goro's
# code or in its users' fiber code: goro_runtime carries this flag PUBLIC (runtime/
# CMakeLists.txt), so every target linking goro::goro or goro::runtime compiles with it,
# from the installed package or as a subproject. g++ and clang both accept it.
# goro.pc spells the same flag for users of pkg-config (cmake/package.cmake).
set(GORO_STACK_CLASH_FLAG -fstack-clash-protection)
set(GORO_STACK_CLASH_FLAGS "$<$<CXX_COMPILER_ID:GNU,Clang>:${GORO_STACK_CLASH_FLAG}>")

if(GORO_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(GORO_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

# Warnings for goro's own targets, never for their users (PRIVATE). GORO_WERROR makes them
# errors; on by default only when goro is the top-level project: a program that builds goro
# as a subproject (FetchContent, add_subdirectory), maybe with a newer compiler and its new
# warnings, must not fail on them. test/package/check_package.cmake checks both cases.
option(GORO_WERROR "Treat warnings in goro's own targets as errors" ${PROJECT_IS_TOP_LEVEL})
function(goro_warnings target)
  # -Wthread-safety: clang checks the lock annotations (goro/detail/thread_safety.hpp).
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
                         $<$<BOOL:${GORO_WERROR}>:-Werror> -Wno-missing-field-initializers
                         $<$<CXX_COMPILER_ID:Clang>:-Wthread-safety>)
endfunction()

# GORO_CHAOS=ON: seeded random delays and yields at the runtime's seams (runtime/src/chaos.hpp),
# for the chaos lane of cmake/scripts/test.sh. Never for production builds.
option(GORO_CHAOS "Build with chaos points at the runtime's seams" OFF)
if(GORO_CHAOS)
  add_compile_definitions(GORO_CHAOS=1)
endif()

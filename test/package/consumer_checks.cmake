# Checks shared by the package tests (check_package.cmake, check_deb.cmake).

# Fails unless every compile command of the build in `dir` has -fstack-clash-protection: a
# large frame in user code must not jump a fiber's guard page.
function(check_user_flags dir what)
  file(READ ${dir}/compile_commands.json commands)
  string(JSON n LENGTH "${commands}")
  if(n EQUAL 0)
    message(FATAL_ERROR "${what}: no compile command in ${dir}/compile_commands.json")
  endif()
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    string(JSON command GET "${commands}" ${i} command)
    string(JSON file GET "${commands}" ${i} file)
    if(NOT command MATCHES "-fstack-clash-protection")
      message(FATAL_ERROR "${what}: ${file} compiles without -fstack-clash-protection:\n${command}")
    endif()
  endforeach()
endfunction()

# The consumer's own code must compile with the flags goro::goro carries to its users; each
# consumer must exit with status 0 and print its line: both are checked.

# Runs the consumer at `path` (named `what`): fails unless it exits 0 and prints `line`.
function(run_consumer what path line)
  execute_process(COMMAND ${path} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "${what}: exit status ${rc}; output: ${out}${err}")
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "${what} failed: exit status ${rc}")
  endif()
  string(FIND "${out}" "${line}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${what} did not print \"${line}\"")
  endif()
endfunction()

# Fails unless goro's own files in the build in `dir` compile with goro's warnings but without
# -Werror: GORO_WERROR is off where goro is a subproject (cmake/options.cmake).
function(check_no_werror dir source_dir what)
  file(READ ${dir}/compile_commands.json commands)
  string(JSON n LENGTH "${commands}")
  math(EXPR last "${n} - 1")
  set(goro_files 0)
  foreach(i RANGE ${last})
    string(JSON command GET "${commands}" ${i} command)
    string(JSON file GET "${commands}" ${i} file)
    string(FIND "${file}" "${source_dir}/" at)
    if(NOT at EQUAL 0 OR file MATCHES "/test/package/")
      continue()  # the consumer's own file
    endif()
    math(EXPR goro_files "${goro_files} + 1")
    if(command MATCHES " -Werror( |$)" OR NOT command MATCHES " -Wall ")
      message(FATAL_ERROR "${what}: ${file} must compile with -Wall, without -Werror:\n"
                          "${command}")
    endif()
  endforeach()
  if(goro_files EQUAL 0)
    message(FATAL_ERROR "${what}: no file of goro's in ${dir}/compile_commands.json")
  endif()
endfunction()

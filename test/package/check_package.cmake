# Installs goro from BUILD_DIR into a fresh prefix, builds the consumer against it, runs it.

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

# Runs the consumer at `path` (named `what`): fails unless it exits 0 and prints the line.
function(run_consumer what path)
  execute_process(COMMAND ${path} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "${what}: exit status ${rc}; output: ${out}${err}")
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "${what} failed: exit status ${rc}")
  endif()
  if(NOT out MATCHES "consumer: 42 from a fiber\n")
    message(FATAL_ERROR "${what} did not print \"consumer: 42 from a fiber\"")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "install failed: ${rc}")
endif()
foreach(f share/goro/gdb/goro_gdb.py share/goro/gdb/README.md)
  if(NOT EXISTS ${WORK_DIR}/prefix/${f})
    message(FATAL_ERROR "install: ${f} is missing")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/build -G Ninja
                        -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "consumer configure failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "consumer build failed: ${rc}")
endif()
check_user_flags(${WORK_DIR}/build "consumer of the installed package")
run_consumer("consumer" ${WORK_DIR}/build/consumer)

# The same program with goro as a subproject (FetchContent / add_subdirectory).
execute_process(COMMAND ${CMAKE_COMMAND} -S ${CONSUMER_DIR}/../fetch_consumer -B ${WORK_DIR}/fetch
                        -G Ninja -DGORO_SOURCE_DIR=${SOURCE_DIR} -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "subproject consumer configure failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/fetch RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "subproject consumer build failed: ${rc}")
endif()
check_user_flags(${WORK_DIR}/fetch "subproject consumer")
run_consumer("subproject consumer" ${WORK_DIR}/fetch/consumer)

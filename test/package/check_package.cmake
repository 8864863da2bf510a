# Installs goro from BUILD_DIR into a fresh prefix, builds the consumer against it, runs it.

include(${CMAKE_CURRENT_LIST_DIR}/consumer_checks.cmake)

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
# goro.pc names the prefix goro was installed to, not the one it was configured with.
set(ENV{PKG_CONFIG_PATH} ${WORK_DIR}/prefix/${LIBDIR}/pkgconfig)
execute_process(COMMAND ${PKG_CONFIG} --variable=prefix goro RESULT_VARIABLE rc
                OUTPUT_VARIABLE pc_prefix ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
if(rc OR NOT pc_prefix STREQUAL "${WORK_DIR}/prefix")
  message(FATAL_ERROR "install: goro.pc gives prefix \"${pc_prefix}\", "
                      "want ${WORK_DIR}/prefix ${err}")
endif()
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
run_consumer("consumer" ${WORK_DIR}/build/consumer "consumer: 42 from a fiber\n")

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
check_no_werror(${WORK_DIR}/fetch ${SOURCE_DIR} "subproject consumer")
run_consumer("subproject consumer" ${WORK_DIR}/fetch/consumer "consumer: 42 from a fiber\n")

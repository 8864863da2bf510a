# Builds the Debian package of BUILD_DIR with cpack, checks its control fields, unpacks it into
# a scratch root (dpkg-deb -x: nothing is installed on this machine) and builds two consumers
# against that root: the find_package consumer (CMAKE_PREFIX_PATH=<root>/usr) and a program
# compiled with only `pkg-config --cflags --libs goro` (PKG_CONFIG_SYSROOT_DIR=<root>, as for
# a root file system built elsewhere). Each must compile with goro's user flags, exit 0 and
# print its line. Any failure ends the script with a message and a non-zero status.
# Inputs: BUILD_DIR, WORK_DIR, SOURCE_DIR (test/package), CPACK, DPKG_DEB, PKG_CONFIG, CXX,
# VERSION (goro's project version), LIBDIR (CMAKE_INSTALL_LIBDIR).

cmake_minimum_required(VERSION 3.25)  # IN_LIST
include(${CMAKE_CURRENT_LIST_DIR}/consumer_checks.cmake)

foreach(tool CPACK DPKG_DEB PKG_CONFIG CXX)
  if(NOT ${tool} OR NOT EXISTS "${${tool}}")
    message(FATAL_ERROR "${tool} not found (\"${${tool}}\"): "
                        "cmake/scripts/install-deps.sh installs it")
  endif()
endforeach()

# Runs a command; fails with `what`, its status and its output unless it exits 0.
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
run("cpack -G DEB" ${CPACK} -G DEB --config ${BUILD_DIR}/CPackConfig.cmake -B ${WORK_DIR}/cpack)
file(GLOB debs ${WORK_DIR}/cpack/*.deb)
list(LENGTH debs n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "cpack -G DEB made ${n} .deb files, want 1: ${debs}")
endif()
run("dpkg --print-architecture" dpkg --print-architecture)
string(STRIP "${out}" arch)
get_filename_component(deb_name ${debs} NAME)
if(NOT deb_name STREQUAL "libgoro-dev_${VERSION}_${arch}.deb")
  message(FATAL_ERROR "package file ${deb_name}, want libgoro-dev_${VERSION}_${arch}.deb")
endif()

# Control fields. Depends must name the packages of what goro-config.cmake finds and goro.pc
# links (Boost.Context, fmt), each installed here, where the consumers below build.
function(field name)
  run("dpkg-deb -f ${name}" ${DPKG_DEB} -f ${debs} ${name})
  string(STRIP "${out}" value)
  message(STATUS "${name}: ${value}")
  set(${name} "${value}" PARENT_SCOPE)
endfunction()
foreach(f Package Version Architecture Maintainer Depends Section)
  field(${f})
endforeach()
foreach(check "Package;libgoro-dev" "Version;${VERSION}" "Architecture;${arch}"
              "Section;libdevel")
  list(GET check 0 f)
  list(GET check 1 want)
  if(NOT "${${f}}" STREQUAL want)
    message(FATAL_ERROR "control field ${f}: \"${${f}}\", want \"${want}\"")
  endif()
endforeach()
if(NOT Maintainer MATCHES "^[^<>]+ <[^<>@ ]+@[^<>@ ]+>$")
  message(FATAL_ERROR "control field Maintainer: \"${Maintainer}\", want \"Name <email>\"")
endif()
string(REGEX REPLACE " *\\([^)]*\\)" "" depends "${Depends}")
string(REPLACE ", " ";" depends "${depends}")
list(REMOVE_DUPLICATES depends)
foreach(p libboost-context-dev libfmt-dev)
  if(NOT p IN_LIST depends)
    message(FATAL_ERROR "control field Depends: \"${Depends}\" lacks ${p}")
  endif()
endforeach()
foreach(p IN LISTS depends)
  execute_process(COMMAND dpkg-query -W -f=\${Status} ${p} OUTPUT_VARIABLE status
                  ERROR_QUIET RESULT_VARIABLE rc)
  if(rc OR NOT status MATCHES "install ok installed")
    message(FATAL_ERROR "Depends names ${p}, which is not a Debian package installed here")
  endif()
endforeach()

# Contents: everything under /usr, and what each consumer needs.
run("dpkg-deb -c" ${DPKG_DEB} -c ${debs})
string(REGEX MATCHALL "[^\n]+" entries "${out}")
foreach(e IN LISTS entries)
  if(NOT e MATCHES " \\./(usr/.*)?$")
    message(FATAL_ERROR "the package installs outside /usr: ${e}")
  endif()
endforeach()
set(root ${WORK_DIR}/root)
run("dpkg-deb -x" ${DPKG_DEB} -x ${debs} ${root})
foreach(f usr/include/goro/goro.hpp usr/${LIBDIR}/libgoro_runtime.a usr/${LIBDIR}/libgoro_channels.a
          usr/${LIBDIR}/libgoro_patterns.a usr/${LIBDIR}/cmake/goro/goro-config.cmake
          usr/${LIBDIR}/pkgconfig/goro.pc usr/share/goro/gdb/goro_gdb.py)
  if(NOT EXISTS ${root}/${f})
    message(FATAL_ERROR "the package lacks /${f}")
  endif()
endforeach()

# find_package(goro) from the unpacked root: the consumer must find the package's config.
run("find_package consumer configure" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/consumer
    -B ${WORK_DIR}/cmake -G Ninja -DCMAKE_PREFIX_PATH=${root}/usr
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)
file(STRINGS ${WORK_DIR}/cmake/CMakeCache.txt goro_dir REGEX "^goro_DIR:")
if(NOT goro_dir STREQUAL "goro_DIR:PATH=${root}/usr/${LIBDIR}/cmake/goro")
  message(FATAL_ERROR "find_package(goro) found ${goro_dir}, "
                      "not the package's ${root}/usr/${LIBDIR}/cmake/goro")
endif()
run("find_package consumer build" ${CMAKE_COMMAND} --build ${WORK_DIR}/cmake)
check_user_flags(${WORK_DIR}/cmake "find_package consumer of the .deb")
run_consumer("find_package consumer of the .deb" ${WORK_DIR}/cmake/consumer
             "consumer: 42 from a fiber\n")

# pkg-config from the unpacked root. PKG_CONFIG_PATH alone: the system's own .pc files (fmt)
# are found as a consumer's would be.
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${root})
set(ENV{PKG_CONFIG_PATH} ${root}/usr/${LIBDIR}/pkgconfig)
run("pkg-config --cflags --libs goro" ${PKG_CONFIG} --cflags --libs goro)
string(STRIP "${out}" flags)
message(STATUS "pkg-config --cflags --libs goro: ${flags}")
separate_arguments(flags UNIX_COMMAND "${flags}")
foreach(want "-I${root}/usr/include" -fstack-clash-protection "-L${root}/usr/${LIBDIR}"
             -lgoro_patterns -lgoro_channels -lgoro_runtime -lboost_context -lfmt)
  if(NOT want IN_LIST flags)
    message(FATAL_ERROR "pkg-config --cflags --libs goro lacks ${want}")
  endif()
endforeach()
run("pkg-config consumer build" ${CXX} -std=c++20 ${SOURCE_DIR}/pkg_config_consumer/main.cpp
    ${flags} -o ${WORK_DIR}/pkg_config_consumer)
run_consumer("pkg-config consumer of the .deb" ${WORK_DIR}/pkg_config_consumer
             "pkg-config consumer: 42 over a channel, context canceled\n")

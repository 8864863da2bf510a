# What `cmake --install` and `cpack -G DEB` ship beside the CMake package (goro-config.cmake):
# a pkg-config file, goro.pc, and a Debian package, libgoro-dev. Included from the top-level
# CMakeLists.txt when goro is the top-level project; test/package checks both.

# goro.pc: the flags goro::goro carries to its users, spelled for a compiler command line. The
# libraries are static, so Libs names what they link. Its prefix is the one goro is installed
# to (`cmake --install --prefix`, /usr in the .deb), hence written at install time: this file
# fills in the rest now and leaves @GORO_PC_PREFIX@ for the install step.
set(GORO_PC_PREFIX "@GORO_PC_PREFIX@")
foreach(dir INCLUDEDIR LIBDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(GORO_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(GORO_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
set(GORO_PC_CFLAGS "")
if(CMAKE_CXX_COMPILER_ID MATCHES "^(GNU|Clang)$")
  set(GORO_PC_CFLAGS "${GORO_STACK_CLASH_FLAG}")  # as goro_runtime's PUBLIC compile option
endif()
# Boost.Context has no .pc file: its library by name, with its directory when not the linker's.
get_target_property(boost_context_lib Boost::context LOCATION)
get_filename_component(boost_context_dir "${boost_context_lib}" DIRECTORY)
set(GORO_PC_LIBS "-lboost_context")
if(NOT boost_context_dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
  set(GORO_PC_LIBS "-L${boost_context_dir} ${GORO_PC_LIBS}")
endif()
string(APPEND GORO_PC_LIBS " -pthread")
foreach(lib ${CMAKE_DL_LIBS})  # goro_runtime links it PRIVATE: a static library's users need it
  string(APPEND GORO_PC_LIBS " -l${lib}")
endforeach()
# fmt's own .pc file gives its flags; goro was compiled against this major version.
string(REGEX MATCH "^[0-9]+" fmt_major "${fmt_VERSION}")
math(EXPR fmt_next_major "${fmt_major} + 1")
set(GORO_PC_FMT_VERSION "${fmt_VERSION}, fmt < ${fmt_next_major}")
configure_file(cmake/goro.pc.in ${CMAKE_CURRENT_BINARY_DIR}/goro.pc.stage @ONLY)
set(pc_destination "\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(pc_destination "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
endif()
# Written under a name of its own and removed once installed: two installs may run at once
# (cmake --install and cpack, as the package tests do), each with its prefix.
install(CODE "
  set(GORO_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  string(RANDOM LENGTH 16 tag)
  set(pc \"${CMAKE_CURRENT_BINARY_DIR}/goro.pc.\${tag}/goro.pc\")
  configure_file(\"${CMAKE_CURRENT_BINARY_DIR}/goro.pc.stage\" \"\${pc}\" @ONLY)
  file(INSTALL DESTINATION \"${pc_destination}\" TYPE FILE FILES \"\${pc}\")
  file(REMOVE_RECURSE \"${CMAKE_CURRENT_BINARY_DIR}/goro.pc.\${tag}\")")

# libgoro-dev_<version>_<arch>.deb: headers, static libraries, the CMake package, goro.pc and
# the gdb extension under /usr. Depends names the Debian packages a consumer builds with: the
# headers and libraries goro-config.cmake finds and goro.pc names (Boost.Context, fmt of the
# major version goro was compiled against). libunwind8 is loaded at run time for backtraces in
# dumps (runtime/src/debug/unwind.hpp), hence Recommends; pkgconf reads goro.pc.
set(GORO_PACKAGE_MAINTAINER "goro maintainers <goro@example.invalid>" CACHE STRING
    "The Maintainer field of the Debian package: Name <email>")
set(CPACK_PACKAGE_NAME goro)
set(CPACK_PACKAGE_VENDOR goro)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Go's concurrency for C++20: fibers, channels, select, a netpoller")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "Stackful fibers scheduled M:N by a work-stealing scheduler, channels, select,\n"
    "fiber-aware sync, a netpoller, timers, TCP/UDP/HTTP. Static libraries, headers,\n"
    "a CMake package (find_package(goro)) and a pkg-config file (goro).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_NAME libgoro-dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${GORO_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
string(REGEX MATCH "^[0-9]+\\.[0-9]+" boost_minor "${Boost_VERSION}")
string(CONCAT CPACK_DEBIAN_PACKAGE_DEPENDS
    "libboost-context-dev (>= ${boost_minor}), "
    "libfmt-dev (>= ${fmt_VERSION}), libfmt-dev (<< ${fmt_next_major})")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libunwind8")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "pkgconf")
include(CPack)

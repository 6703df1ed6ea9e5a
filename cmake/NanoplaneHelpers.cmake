# np_add_library(NAME SOURCES ... DEPS ... PRIVATE_DEPS ...): a project library with the
#   project's warnings. DEPS are the libraries its headers need (linked PUBLIC), PRIVATE_DEPS
#   the ones only its sources need. Its own include path is the repository root; generated
#   headers come only from the libraries it links (np_proto_messages, np_proto_grpc).
# np_add_test(NAME SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary registered with ctest.

set(NP_WARNINGS -Wall -Wextra -Werror -Werror=unused-result -Wno-missing-field-initializers)
# GCC ignores the ABSL_GUARDED_BY family; clang checks them (scripts/check-thread-safety).
if(NANOPLANE_THREAD_SAFETY)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "NANOPLANE_THREAD_SAFETY needs clang (CXX=clang++)")
  endif()
  list(APPEND NP_WARNINGS -Wthread-safety -Werror=thread-safety)
endif()

function(np_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${NP_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

function(np_add_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${NP_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

function(np_add_test name)
  if(NOT NANOPLANE_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${NP_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE NP_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # A test that GTEST_SKIPs counts as skipped, not passed: ctest lists it by name under
  # "The following tests did not run".
  set(properties SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
  if(ARG_LABELS)
    list(APPEND properties LABELS "${ARG_LABELS}")
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ${properties})
endfunction()

# np_add_layer_test(TARGET DIR): a ctest test, np_layers_<TARGET>, that fails when the pure
# core library TARGET, whose sources are all of DIR, can reach gRPC, SQLite, libvirt or
# cpprestsdk (STYLE.md 1: a core includes only std, absl and common/). It checks, with
# cmake/check_layer.cmake:
#   - TARGET's link closure (what an executable linking it links) names none of them, nor an
#     adapter library;
#   - its include path has none of their include directories, and a probe that includes a
#     generated gRPC header (nanoplane/agent/v1/agent.grpc.pb.h) does not compile with
#     TARGET's include path, while one that includes a generated message header does;
#   - every #include in DIR (read when the test runs, new files too) is on the allow-list:
#     a standard header, absl/, common/ (not common/http/), DIR's own headers, and gtest or
#     gmock. System headers such as <grpcpp/grpcpp.h> are always on the compiler's path,
#     so only this scan can refuse them.
# Call it after every target is defined (the closure is read at configure time).

# The libraries `target` links, directly or through other targets, PRIVATE ones of static
# libraries included (they end up on the executable's link line): target names, and the
# files and flags that imported targets link.
function(np_link_closure target out)
  set(seen)
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue item)
    if(item IN_LIST seen OR item MATCHES "^::@")
      continue()
    endif()
    list(APPEND seen ${item})
    if(NOT TARGET ${item})
      continue()
    endif()
    set(libs)
    get_target_property(type ${item} TYPE)
    get_target_property(imported ${item} IMPORTED)
    if(NOT imported AND NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(direct ${item} LINK_LIBRARIES)
      if(direct)
        list(APPEND libs ${direct})
      endif()
    endif()
    get_target_property(interface ${item} INTERFACE_LINK_LIBRARIES)
    if(interface)
      list(APPEND libs ${interface})
    endif()
    foreach(lib ${libs})
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" lib "${lib}")
      list(APPEND queue ${lib})
    endforeach()
  endwhile()
  list(REMOVE_ITEM seen ${target})
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

function(np_add_layer_test target dir)
  if(NOT NANOPLANE_BUILD_TESTS)
    return()
  endif()
  np_link_closure(${target} closure)
  # ctest splits arguments at ';': the lists travel joined with '|'.
  string(REPLACE ";" "|" links "${closure}")
  add_test(NAME np_layers_${target}
    COMMAND ${CMAKE_COMMAND}
      -DTARGET=${target}
      "-DLINKS=${links}"
      "-DINCLUDES=$<JOIN:$<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>,|>"
      -DCXX=${CMAKE_CXX_COMPILER}
      -DSOURCE_ROOT=${PROJECT_SOURCE_DIR}
      -DDIR=${dir}
      -DWORK_DIR=${PROJECT_BINARY_DIR}/layers/${target}
      -P ${PROJECT_SOURCE_DIR}/cmake/check_layer.cmake)
  set_tests_properties(np_layers_${target} PROPERTIES LABELS layers)
endfunction()

# cmake -P check_layer.cmake: the checks of np_add_layer_test (NanoplaneLayers.cmake).
# -DTARGET=np_controller_core -DLINKS=a|b -DINCLUDES=dir|dir -DCXX=c++ -DSOURCE_ROOT=repo
# -DDIR=controller/core -DWORK_DIR=scratch. Prints every violation, then fails if any.

set(failures 0)
macro(violation message)
  message("${TARGET}: ${message}")
  math(EXPR failures "${failures} + 1")
endmacro()

# What a core must not reach: the adapters' technologies, the generated gRPC code and the
# project's own adapter libraries.
set(forbidden "grpc|sqlite|virt|cpprest|_adapters$|^np_http$")

# Each of `items` that matches `pattern`, in lower case, is a violation: "<what> <item>".
macro(refuse items pattern what)
  foreach(item ${items})
    string(TOLOWER "${item}" lower)
    if(lower MATCHES "${pattern}")
      violation("${what} ${item}")
    endif()
  endforeach()
endmacro()

string(REPLACE "|" ";" links "${LINKS}")
if(NOT links)
  violation("empty link closure: the check is not looking at the target")
endif()
refuse("${links}" "${forbidden}" "links")
string(REPLACE "|" ";" includes "${INCLUDES}")
refuse("${includes}" "grpc|sqlite|virt|cpprest" "has on its include path:")

# The probes: compiled with the target's include path only, as its own sources are.
file(MAKE_DIRECTORY ${WORK_DIR})
set(flags -std=c++20 -fsyntax-only)
foreach(dir ${includes})
  list(APPEND flags -I${dir})
endforeach()
function(probe name header expect_ok)
  file(WRITE ${WORK_DIR}/${name}.cc "#include \"${header}\"\n")
  execute_process(COMMAND ${CXX} ${flags} ${WORK_DIR}/${name}.cc
                  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(expect_ok AND NOT result EQUAL 0)
    violation("the control probe (#include \"${header}\") does not compile, so the others "
              "prove nothing:\n${output}")
  elseif(NOT expect_ok AND result EQUAL 0)
    violation("can include \"${header}\"")
  endif()
  set(failures ${failures} PARENT_SCOPE)
endfunction()
probe(control_messages "nanoplane/agent/v1/agent.pb.h" TRUE)
probe(agent_grpc "nanoplane/agent/v1/agent.grpc.pb.h" FALSE)
probe(controller_grpc "nanoplane/api/v1/controller.grpc.pb.h" FALSE)

# The sources' own #includes, against the allow-list.
file(GLOB_RECURSE sources RELATIVE ${SOURCE_ROOT}
     ${SOURCE_ROOT}/${DIR}/*.h ${SOURCE_ROOT}/${DIR}/*.cc)
if(NOT sources)
  violation("no sources under ${DIR}")
endif()
set(allowed
  "^<[a-z_]+>$"                          # the C++ standard library (<vector>, <cstdint>)
  "^\"absl/"
  "^\"common/"
  "^\"${DIR}/"
  "^\"(gtest|gmock)/")
foreach(source ${sources})
  file(STRINGS ${SOURCE_ROOT}/${source} lines REGEX "^[ \t]*#[ \t]*include")
  foreach(line ${lines})
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*([<\"][^>\"]*[>\"]).*$" "\\1" header "${line}")
    set(ok FALSE)
    foreach(pattern ${allowed})
      if(header MATCHES "${pattern}")
        set(ok TRUE)
      endif()
    endforeach()
    if(header MATCHES "^\"common/http/")
      set(ok FALSE)  # np_http, the cpprestsdk adapter
    endif()
    if(NOT ok)
      violation("${source} includes ${header} (a core includes only std, absl and common/)")
    endif()
  endforeach()
endforeach()

if(failures GREATER 0)
  message(FATAL_ERROR "${TARGET}: ${failures} layer violation(s)")
endif()
list(LENGTH links link_count)
list(LENGTH sources source_count)
message("${TARGET}: ${link_count} linked libraries, ${source_count} sources: clean")

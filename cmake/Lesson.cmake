# add_lesson(): the one function that registers a lesson.
#
#   add_lesson(<id> SOURCES <algorithm .cpp files>
#              [LINKS <lesson ids>] [USES <lesson ids>] [TIMEOUT <seconds>] [OPENMP])
#
# Called from the lesson's folder (levelN_*/NN_<id>/), which holds main.cpp and test.cpp;
# the lesson's number, level, title and what it builds on come from catalog.txt
# (cmake/Catalog.cmake), never from here. It defines
#   <id>_lib   the algorithm (SOURCES), a static library that tests, the program and
#              later lessons share; its public include directory is the lesson folder;
#   <id>       the experiment program (main.cpp), which includes the generated
#              lesson_identity.hpp: mlc::this_lesson(summary, outputs) returns its LessonInfo
#              with the catalog's id, level folder, number and title;
#   <id>_test  the GoogleTest executable (test.cpp), each test discovered by ctest with
#              the labels levelN and <id>;
#   <id>.smoke a ctest test that runs the program with --quick into a temporary folder
#              and checks its outputs (tools/smoke.cpp), labels smoke, levelN and <id>.
# LINKS names lessons whose libraries the algorithm's code calls: they are linked into
# <id>_lib. USES names lessons whose libraries only the program and the tests need. Both
# are code reuse, not reading order: a lesson may link a later toolkit lesson (2.2 links
# 2.5 model_evaluation's metrics) while it builds on (catalog.txt) earlier ones only.
# OPENMP compiles and links the lesson (library, program, tests) with OpenMP, which also
# turns on Eigen's parallel matrix products; its tests and smoke test run with
# OMP_NUM_THREADS=1, since ctest runs two tests at once on two cores (a test that checks
# thread-count invariance sets the count itself). The program applies --threads itself
# (LessonFlags in mlc/cli.hpp).
#
# When MLC_GRADE_LESSON equals <id>, the algorithm sources and headers come from
# MLC_GRADE_DIR (the learner's workspace copy made by ./learn exercise) instead.

# Precompiled headers shared by every lesson target (two: with and without GoogleTest).
# They carry mlc/eigen_instances.hpp, the extern declarations of Eigen's decompositions of
# MatrixXd that mlc_common compiles once (without them, each file using an SVD spends
# about 30 s compiling it again).
set(MLC_EIGEN_INSTANCES_HEADER ${PROJECT_SOURCE_DIR}/common/include/mlc/eigen_instances.hpp)
function(_mlc_make_pch target)
  add_library(${target} OBJECT ${PROJECT_SOURCE_DIR}/cmake/pch.cpp)
  target_link_libraries(${target} PRIVATE mlc_flags Eigen3::Eigen Boost::headers fmt::fmt ${ARGN})
  if(MLC_PCH)
    target_precompile_headers(${target} PRIVATE
      <vector> <string> <memory> <algorithm> <cmath> <functional> <map> <random>
      <Eigen/Dense> "${MLC_EIGEN_INSTANCES_HEADER}" <fmt/format.h> <fmt/ranges.h>)
  endif()
endfunction()

# With MLC_COMMON_PREBUILT (./learn grade) the headers precompiled in that build folder are
# used as they are: same compiler, build type and sanitiser setting, so GCC accepts them
# (-Winvalid-pch says so if not, and the header is then read as text).
function(_mlc_use_pch target pch)
  if(MLC_PCH AND MLC_COMMON_PREBUILT)
    target_compile_options(${target} PRIVATE
      "SHELL:-Winvalid-pch -include ${MLC_COMMON_PREBUILT}/common/CMakeFiles/${pch}.dir/cmake_pch.hxx")
  elseif(MLC_PCH)
    target_precompile_headers(${target} REUSE_FROM ${pch})
  else()
    target_compile_options(${target} PRIVATE -include ${MLC_EIGEN_INSTANCES_HEADER})
  endif()
endfunction()

# mlc_discover_tests(<test target> <prefix> <labels> <timeout> [<environment>]): registers
# each GoogleTest test with ctest, discovered when ctest runs. gtest_discover_tests'
# PROPERTIES cannot carry a list (two labels) or an environment through to the discovered
# tests, so the properties are set by a small ctest script included after discovery, on
# the list of test names discovery leaves in <target>_TESTS.
function(mlc_discover_tests target prefix labels timeout)
  gtest_discover_tests(${target} TEST_PREFIX "${prefix}" TEST_LIST ${target}_TESTS
                       DISCOVERY_MODE PRE_TEST)
  set(environment "")
  if(ARGC GREATER 4)
    set(environment "ENVIRONMENT \"${ARGV4}\"")
  endif()
  set(script ${CMAKE_CURRENT_BINARY_DIR}/${target}_properties.cmake)
  file(GENERATE OUTPUT ${script} CONTENT
    "if(${target}_TESTS)\n  set_tests_properties(\${${target}_TESTS} PROPERTIES LABELS \"${labels}\" TIMEOUT ${timeout} ${environment})\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${script})
endfunction()

function(add_lesson id)
  cmake_parse_arguments(PARSE_ARGV 1 L "OPENMP" "TIMEOUT" "SOURCES;LINKS;USES")
  if(L_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "add_lesson(${id}): unexpected arguments ${L_UNPARSED_ARGUMENTS} "
                        "(SOURCES, LINKS, USES, TIMEOUT and OPENMP are the keywords)")
  endif()
  get_property(in_catalog GLOBAL PROPERTY MLC_LESSON_number_${id} SET)
  if(NOT in_catalog)
    message(FATAL_ERROR "add_lesson(${id}): '${id}' is not in catalog.txt; add its line there "
                        "(or create the lesson with ./learn new)")
  endif()
  foreach(field IN ITEMS number level level_dir title)
    get_property(L_${field} GLOBAL PROPERTY MLC_LESSON_${field}_${id})
  endforeach()
  if(NOT L_SOURCES)
    message(FATAL_ERROR "add_lesson(${id}): SOURCES (the algorithm files) are required")
  endif()
  if(NOT L_TIMEOUT)
    set(L_TIMEOUT 120)
  endif()
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})
  set(src_dir ${dir})
  if(MLC_GRADE_LESSON STREQUAL id)
    if(NOT IS_DIRECTORY "${MLC_GRADE_DIR}")
      message(FATAL_ERROR "add_lesson(${id}): workspace ${MLC_GRADE_DIR} does not exist; "
                          "run ./learn exercise ${id} first")
    endif()
    set(src_dir ${MLC_GRADE_DIR})
    message(STATUS "Grading ${id}: algorithm sources from ${src_dir}")
  endif()
  list(TRANSFORM L_SOURCES PREPEND "${src_dir}/" OUTPUT_VARIABLE lib_sources)
  # A lesson being written may lack a file yet: warn and skip it rather than break the
  # configuration of every other lesson (tools/check_lessons flags it too).
  foreach(file IN LISTS lib_sources ITEMS ${dir}/main.cpp ${dir}/test.cpp)
    if(NOT EXISTS ${file})
      message(WARNING "add_lesson(${id}): ${file} does not exist; the lesson is skipped")
      return()
    endif()
  endforeach()

  add_library(${id}_lib STATIC ${lib_sources})
  target_include_directories(${id}_lib PUBLIC ${src_dir})
  target_link_libraries(${id}_lib PUBLIC mlc_common PRIVATE mlc_flags)
  foreach(dep IN LISTS L_LINKS)
    target_link_libraries(${id}_lib PUBLIC ${dep}_lib)
  endforeach()
  set(test_environment "MLC_LESSON_PROGRAM=$<TARGET_FILE:${id}>")
  set(pch_suffix "")
  if(L_OPENMP)
    target_link_libraries(${id}_lib PUBLIC OpenMP::OpenMP_CXX)
    list(APPEND test_environment "OMP_NUM_THREADS=1")
    set(pch_suffix "_omp")
  endif()
  if(MLC_GRADE_LESSON STREQUAL id)
    # A stubbed exercise leaves parameters unused; that is not the learner's error.
    target_compile_options(${id}_lib PRIVATE -Wno-unused-parameter -Wno-unused-variable
                           -Wno-unused-but-set-variable -Wno-unused-function -Wno-error)
  endif()
  _mlc_use_pch(${id}_lib mlc_pch${pch_suffix})

  list(TRANSFORM L_USES APPEND "_lib" OUTPUT_VARIABLE uses_libs)

  # The program's identity, from the catalog (escaped for a C++ string literal).
  string(REPLACE "\\" "\\\\" title_literal "${L_title}")
  string(REPLACE "\"" "\\\"" title_literal "${title_literal}")
  file(CONFIGURE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/identity/lesson_identity.hpp @ONLY CONTENT
"// Generated by add_lesson() (cmake/Lesson.cmake) from catalog.txt: edit the catalog, not this.
#pragma once
#include <string>
#include <utility>

#include \"mlc/cli.hpp\"

namespace mlc {
// Lesson @L_number@ @id@: its identity from the catalog, with the program's --help text.
// `flags` opts into --threads and --resume: this_lesson(summary, outputs, {.threads = true}).
inline LessonInfo this_lesson(std::string summary, std::string outputs, LessonFlags flags = {}) {
  return {\"@id@\", \"@L_level_dir@\", \"@L_number@\", \"@title_literal@\", std::move(summary),
          std::move(outputs), flags};
}
}  // namespace mlc
")

  add_executable(${id} ${dir}/main.cpp)
  target_include_directories(${id} PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/identity)
  target_link_libraries(${id} PRIVATE ${id}_lib ${uses_libs} mlc_flags)
  _mlc_use_pch(${id} mlc_pch${pch_suffix})

  add_executable(${id}_test ${dir}/test.cpp)
  target_link_libraries(${id}_test PRIVATE ${id}_lib ${uses_libs} mlc_testing mlc_flags)
  _mlc_use_pch(${id}_test mlc_test_pch${pch_suffix})
  mlc_discover_tests(${id}_test "${id}." "level${L_level};${id}" ${L_TIMEOUT}
                     "${test_environment}")

  add_test(NAME ${id}.smoke COMMAND mlc_smoke $<TARGET_FILE:${id}> ${id})
  set_tests_properties(${id}.smoke PROPERTIES LABELS "smoke;level${L_level};${id}"
                       TIMEOUT ${L_TIMEOUT} ENVIRONMENT "${test_environment}")
endfunction()

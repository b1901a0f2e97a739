# tessera_library(NAME dra SRCS a.cc b.cc DEPS tessera::model [PUBLIC_DEPS ...])
#   builds tessera_<NAME> with alias tessera::<NAME>; includes are rooted at src/.
# tessera_test(NAME base SRCS a_test.cc DEPS tessera::base [LABELS unit])
#   builds tessera_<NAME>_test linked with gtest_main and registers each test with CTest.
include(GoogleTest OPTIONAL)

function(tessera_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(tessera_${ARG_NAME} STATIC ${ARG_SRCS})
  add_library(tessera::${ARG_NAME} ALIAS tessera_${ARG_NAME})
  target_include_directories(tessera_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(tessera_${ARG_NAME} PUBLIC ${ARG_DEPS})
  tessera_apply_warnings(tessera_${ARG_NAME})
endfunction()

function(tessera_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT TESSERA_BUILD_TESTS)
    return()
  endif()
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(tessera_${ARG_NAME}_test ${ARG_SRCS})
  target_link_libraries(tessera_${ARG_NAME}_test PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock
                        GTest::gtest_main)
  target_compile_definitions(tessera_${ARG_NAME}_test PRIVATE
    TESSERA_SHARED_DIR="${TESSERA_SHARED_DIR}" TESSERA_SOURCE_DIR="${TESSERA_SOURCE_DIR}")
  tessera_apply_warnings(tessera_${ARG_NAME}_test)
  gtest_discover_tests(tessera_${ARG_NAME}_test
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${ARG_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()

# Warning and sanitizer settings for our own targets (not third-party code).
set(TESSERA_WARNING_FLAGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    # Designated initializers that leave members at their defaults are idiomatic here.
    -Wno-missing-field-initializers)
# GCC 12 reports false -Wrestrict positives inside std::string's operator+ at -O2
# (GCC bug 105329); they are not in our code.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  list(APPEND TESSERA_WARNING_FLAGS -Wno-restrict)
endif()
if(TESSERA_WERROR)
  list(APPEND TESSERA_WARNING_FLAGS -Werror)
endif()

if(TESSERA_SANITIZE)
  add_compile_options(-fsanitize=${TESSERA_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${TESSERA_SANITIZE})
endif()

function(tessera_apply_warnings target)
  target_compile_options(${target} PRIVATE ${TESSERA_WARNING_FLAGS})
endfunction()

# Understanding customers (issue 4): text normalisation, reply set, matcher, handlers,
# dialog, and the labelled accuracy check. Included by tests/CMakeLists.txt.
deskbot_unit_test(test_text unit/test_text.c)
deskbot_unit_test(test_replyset unit/test_replyset.c)
deskbot_unit_test(test_matcher unit/test_matcher.c)
deskbot_unit_test(test_tariff unit/test_tariff.c)
deskbot_unit_test(test_dialog unit/test_dialog.c)
deskbot_unit_test(test_labelled unit/test_labelled.c)

# libFuzzer targets: only with clang (-fsanitize=fuzzer). Run e.g.
#   ./fuzz_text -max_total_time=60
if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
  foreach(target fuzz_text fuzz_matcher fuzz_replyset)
    add_executable(${target} fuzz/${target}.c)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${target} PRIVATE deskbot_core)
    target_compile_definitions(${target} PRIVATE DESKBOT_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  endforeach()
endif()

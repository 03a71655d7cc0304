# Matcher benchmark (issue 4). Run from the source tree:
#   ./build/bench/bench_matcher replies tests/data/utterances.tsv
add_executable(bench_matcher ${CMAKE_CURRENT_SOURCE_DIR}/matcher.c)
target_link_libraries(bench_matcher PRIVATE deskbot_core)

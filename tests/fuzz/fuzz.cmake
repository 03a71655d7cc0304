# libFuzzer targets (clang only, configure with -DDESKBOT_FUZZ=ON): the channel parsers,
# the text pipeline, the matcher and the reply-set loader. tests/run-all.sh runs each
# for a bounded time; by hand: ./fuzz_vk -max_total_time=60 ../tests/fuzz/corpus/vk
foreach(target fuzz_vk fuzz_tg fuzz_max fuzz_text fuzz_matcher fuzz_replyset)
  add_executable(${target} ${CMAKE_SOURCE_DIR}/tests/fuzz/${target}.c)
  target_compile_options(${target} PRIVATE -fsanitize=fuzzer)
  target_link_options(${target} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${target} PRIVATE deskbot_core)
endforeach()

# Fast fake VK / Telegram server for bench/channels.py (the Python fakes in tests/fakes
# cost more CPU per request than the bot). Benchmark only; speaks just the calls the bot
# makes under load. Usage: see the comment at the top of fastfake.c.
add_executable(fastfake ${CMAKE_CURRENT_SOURCE_DIR}/fastfake.c)
target_link_libraries(fastfake PRIVATE PkgConfig::UV PkgConfig::CJSON)

# Console and web chat against the real binary: API, sessions, live updates, cases
# (Python, stdlib only), and the same in a real browser (headless Debian Chromium
# driven by playwright-core; see tests/browser/run.sh).
deskbot_integration_test(it_console integration/test_console.py)
add_test(NAME browser_console COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/browser/run.sh)
set_tests_properties(browser_console PROPERTIES TIMEOUT 600 LABELS "integration;browser"
  ENVIRONMENT "DESKBOT_SOURCE_DIR=${CMAKE_SOURCE_DIR};DESKBOT_BINARY=$<TARGET_FILE:deskbot>")
# The customer sees typing; the rating after a resolved case.
deskbot_integration_test(it_console_loop integration/test_console_loop.py)
# The idea board: collected, voted on, routed, merged, status told to the author, export.
deskbot_integration_test(it_ideas integration/test_ideas.py)
# Files customers send: fetched through the channels, kept, served to the console only.
deskbot_integration_test(it_files integration/test_files.py)
# The learning page: a missed message attached to an intent is then answered; undo.
deskbot_integration_test(it_misses integration/test_misses.py)
add_test(NAME it_misses_pg COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_misses.py --pg)
set_tests_properties(it_misses_pg PROPERTIES TIMEOUT 600 LABELS integration
  ENVIRONMENT "DESKBOT_SOURCE_DIR=${CMAKE_SOURCE_DIR};DESKBOT_BINARY=$<TARGET_FILE:deskbot>;PYTHONPATH=${CMAKE_CURRENT_SOURCE_DIR}")
# Approved files a secretary sends: uploaded through each channel, exact bytes, once.
deskbot_integration_test(it_outfiles integration/test_outfiles.py)
# The same on a PostgreSQL store (skipped without a server, like it_postgres).
deskbot_integration_test(it_outfiles_pg integration/test_outfiles_pg.py)

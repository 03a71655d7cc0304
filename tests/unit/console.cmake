# Unit tests of the console: the API endpoint by endpoint (sessions, roles, CSRF,
# malformed bodies), case timers on a moved clock, sessions and throttling, the store's
# console tables and the live-update frames.
deskbot_unit_test(test_console_api unit/bot/test_console_api.c)
deskbot_unit_test(test_console_timers unit/bot/test_console_timers.c)
# The cases service: replies and templates all-or-nothing, timers with their change.
deskbot_unit_test(test_console_cases unit/bot/test_console_cases.c)
# The console's string table (Russian and English, same arguments) and its auth texts.
deskbot_unit_test(test_console_text unit/bot/test_console_text.c)
# The exports' CSV cells: dd.mm.yyyy hh:mm on the configured clock, formulas as text.
deskbot_unit_test(test_csv unit/bot/test_csv.c)
# Every Russian text of the console page has its English (bot/console/console_i18n.js),
# and the table has no stale keys; the mutation test proves the check catches an
# untranslated literal injected into a copy (and a stale key).
add_test(NAME console_strings COMMAND ${PYTHON3} ${PROJECT_SOURCE_DIR}/tools/console_strings.py)
add_test(NAME console_strings_mutation COMMAND ${PYTHON3} ${PROJECT_SOURCE_DIR}/tools/console_strings.py --mutation)
set_tests_properties(console_strings console_strings_mutation PROPERTIES LABELS "unit;console" TIMEOUT 60)

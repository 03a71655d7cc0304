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

# Unit tests of the foundation: config, store, log, metrics, HTTP client, server.
deskbot_unit_test(test_config unit/bot/test_config.c)
deskbot_unit_test(test_config_pages unit/bot/test_config_pages.c)
deskbot_unit_test(test_store unit/bot/test_store.c)
deskbot_unit_test(test_store_ratings unit/bot/test_store_ratings.c)
deskbot_unit_test(test_store_ideas unit/bot/test_store_ideas.c)
deskbot_unit_test(test_store_files unit/bot/test_store_files.c)
deskbot_unit_test(test_store_wall unit/bot/test_store_wall.c)
# deskbot store copy: SQLite into the other backend, every row, idempotent, refusals.
deskbot_unit_test(test_store_copy unit/bot/test_store_copy.c)
# Leases: one holder per channel across instances; timers fired once.
deskbot_unit_test(test_store_lease unit/bot/test_store_lease.c)
# Console sessions in the store: one login for every instance, logout everywhere.
deskbot_unit_test(test_auth_store unit/bot/test_auth_store.c)
deskbot_unit_test(test_log unit/bot/test_log.c)
deskbot_unit_test(test_metrics unit/bot/test_metrics.c)
deskbot_unit_test(test_http unit/bot/test_http.c)
deskbot_unit_test(test_password unit/bot/test_password.c)
deskbot_unit_test(test_worktime unit/bot/test_worktime.c)
# The learning page (issue #12 item 6): layout-keeping edits, grouping, the misses' rows.
deskbot_unit_test(test_json_edit unit/bot/test_json_edit.c)
deskbot_unit_test(test_misses_group unit/bot/test_misses_group.c)
deskbot_unit_test(test_store_misses unit/bot/test_store_misses.c)

# Unit tests of the foundation: config, store, log, metrics, HTTP client, server.
deskbot_unit_test(test_config unit/test_config.c)
deskbot_unit_test(test_store unit/test_store.c)
deskbot_unit_test(test_store_ratings unit/test_store_ratings.c)
deskbot_unit_test(test_log unit/test_log.c)
deskbot_unit_test(test_metrics unit/test_metrics.c)
deskbot_unit_test(test_http unit/test_http.c)
deskbot_unit_test(test_password unit/test_password.c)
deskbot_unit_test(test_worktime unit/test_worktime.c)

# Issue 10 (store, login, export and reply-set hardening): unit tests.
deskbot_unit_test(test_hardening_auth unit/bot/test_hardening_auth.c)
deskbot_unit_test(test_store_hardening unit/bot/test_store_hardening.c)
deskbot_unit_test(test_store_retention unit/bot/test_store_retention.c)
deskbot_unit_test(test_hardening_auth_async unit/bot/test_hardening_auth_async.c)

# Issue 10: the store, login, admin and export side against the real binary.
deskbot_integration_test(it_store_hardening integration/test_store_hardening.py)
# The PostgreSQL store (issue 14): through store.url, and a PostgreSQL restart under load.
deskbot_integration_test(it_postgres integration/test_postgres.py)

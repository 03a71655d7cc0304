# Issue 10: the store, login, admin and export side against the real binary.
deskbot_integration_test(it_store_hardening integration/test_store_hardening.py)
# The PostgreSQL store (issue 14): through store.url, and a PostgreSQL restart under load.
deskbot_integration_test(it_postgres integration/test_postgres.py)
# Several instances on one PostgreSQL (issue 14 items 2, 3): leases, kill -9 of the holder,
# webhook deliveries spread over the instances, a graceful hand-over.
deskbot_integration_test(it_cluster integration/test_cluster.py)

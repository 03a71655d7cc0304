# Issue 10: the store, login, admin and export side against the real binary.
deskbot_integration_test(it_store_hardening integration/test_store_hardening.py)

# Console and web chat against the real binary: API, sessions, live updates, cases.
deskbot_integration_test(it_console integration/test_console.py)

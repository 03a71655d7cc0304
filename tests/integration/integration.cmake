# Integration tests: the real binary against fakes, driven by Python scripts.
deskbot_integration_test(it_lifecycle integration/test_lifecycle.py)
deskbot_integration_test(it_channels integration/test_channels.py)
deskbot_integration_test(it_pages integration/test_pages.py)
deskbot_integration_test(it_complaints integration/test_complaints.py)
deskbot_integration_test(it_wall integration/test_wall.py)
deskbot_integration_test(it_reload integration/test_reload.py)
deskbot_integration_test(it_webhooks integration/test_webhooks.py)
deskbot_integration_test(it_hooks integration/test_hooks.py)
deskbot_integration_test(it_clock integration/test_clock.py)
deskbot_integration_test(it_one_clock integration/test_one_clock.py)
deskbot_integration_test(it_hostile_channels integration/test_hostile_channels.py)
deskbot_integration_test(it_max integration/test_max.py)
deskbot_integration_test(it_hostile_max integration/test_hostile_max.py)
deskbot_integration_test(it_max_fake fakes/test_max_fake.py)
deskbot_integration_test(it_max_conversation integration/test_max_conversation.py)
deskbot_integration_test(it_hostile_http integration/test_hostile_http.py)
deskbot_integration_test(it_outbox_limits integration/test_outbox_limits.py)
# The hostile-client suite measures latency (/healthz p99 within 100 ms, honest acks within
# 1 s) on a 2-core machine: it runs alone, not beside another test that takes the cores.
set_tests_properties(it_hostile_http PROPERTIES RUN_SERIAL TRUE)
# The shape of bot/ (issue #11): no module cycle but matcher <-> replyset, in the
# #include lines and in the objects' symbols; no channel-name branch outside
# bot/channels/, no sqlite3 outside bot/store*.c, no app.h below the app.
add_test(NAME it_layers COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tools/layers.py
  --objects ${CMAKE_BINARY_DIR}/CMakeFiles/deskbot_core.dir)
set_tests_properties(it_layers PROPERTIES TIMEOUT 60 LABELS integration)

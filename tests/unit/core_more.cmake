# More unit tests of the core on the fixed clock: who holds a chat (bot/handoff.c with
# casework's auto-reply) and the CRM/notify webhook rows (bot/webhooks.c).
deskbot_unit_test(test_handoff unit/bot/test_handoff.c)
deskbot_unit_test(test_webhooks unit/bot/test_webhooks.c)

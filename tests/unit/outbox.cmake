# Unit tests of the outbox's fair per-chat queues and limits (bot/outq.c).
deskbot_unit_test(test_outbox unit/bot/test_outbox.c)
deskbot_unit_test(test_vk_execute unit/channels/test_vk_execute.c)
deskbot_unit_test(test_reply_merge unit/bot/test_reply_merge.c)

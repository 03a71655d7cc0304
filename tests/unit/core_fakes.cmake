# Unit tests of the core on a fake channel and a clock the test moves: the whole outbox
# sender (bot/outbox.c) and cases around the dialog (bot/casework.c).
deskbot_unit_test(test_outbox_pacing unit/bot/test_outbox_pacing.c)
deskbot_unit_test(test_casework unit/bot/test_casework.c)

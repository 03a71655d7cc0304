# Unit tests of the channel wire formats, the pipeline's text splitting and the outbox.
deskbot_unit_test(test_vk_parse unit/channels/test_vk_parse.c)
deskbot_unit_test(test_tg_parse unit/channels/test_tg_parse.c)
deskbot_unit_test(test_max_parse unit/channels/test_max_parse.c)
# The webhook request checks (VK Callback API, Telegram, MAX) and their dispatch.
deskbot_unit_test(test_hook_checks unit/channels/test_hook_checks.c)
deskbot_unit_test(test_files_parse unit/channels/test_files_parse.c)
deskbot_unit_test(test_split unit/bot/test_split.c)
deskbot_unit_test(test_json_repair unit/channels/test_json_repair.c)
deskbot_unit_test(test_json_batch unit/channels/test_json_batch.c)
deskbot_unit_test(test_unknown_button unit/channels/test_unknown_button.c)
# The channels' shared long-poll skeleton and the pipeline as their sink.
deskbot_unit_test(test_longpoll unit/channels/test_longpoll.c)
deskbot_unit_test(test_sink unit/channels/test_sink.c)
# Approved files: each channel's upload and send requests for a row of kind "file".
deskbot_unit_test(test_outfile_requests unit/channels/test_outfile_requests.c)

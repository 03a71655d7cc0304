# Understanding customers (issue 4): text normalisation, reply set, matcher, handlers,
# dialog, and the labelled accuracy check. Included by tests/CMakeLists.txt.
deskbot_unit_test(test_text unit/bot/test_text.c)
deskbot_unit_test(test_replyset unit/bot/test_replyset.c)
deskbot_unit_test(test_matcher unit/bot/test_matcher.c)
deskbot_unit_test(test_tariff unit/handlers/test_tariff.c)
deskbot_unit_test(test_dialog unit/bot/test_dialog.c)
# The public side of VK wall comments: which comment gets which public reply.
deskbot_unit_test(test_wall unit/bot/test_wall.c)
# The conversation state's accessors, its keys on disk and old stored objects.
deskbot_unit_test(test_convstate unit/bot/test_convstate.c)
deskbot_unit_test(test_labelled unit/bot/test_labelled.c)
deskbot_unit_test(test_dialogue_holds unit/bot/test_dialogue_holds.c)
deskbot_unit_test(test_tariff_format unit/bot/test_tariff_format.c)
# Approved files (replies/files.json): every wrong entry reported, kind vs bytes, size.
deskbot_unit_test(test_replyset_files unit/bot/test_replyset_files.c)
# The word cache of a text context: hits read as misses do, the bound, reloads.
deskbot_unit_test(test_text_cache unit/bot/test_text_cache.c)
# deskbot match's output printer: the bytes of cJSON_PrintUnformatted.
deskbot_unit_test(test_json_print unit/bot/test_json_print.c)

# Complaint detection, flags, phone forms and the interview.
deskbot_unit_test(test_complaint unit/handlers/test_complaint.c)
deskbot_unit_test(test_idea unit/handlers/test_idea.c)

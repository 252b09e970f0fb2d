from actions import plan


def test_a_new_person_is_asked_for_consent_then_role_then_the_invitation():
    slots = {"agenda": plan.CONVERSATIONS, "guided": True}
    assert plan.required_slots(slots)[:3] == ["consent", "role", "invitation_answer"]
    slots.update(consent=True, role="citizen")
    assert plan.required_slots(slots)[0] == "invitation_answer"


def test_guided_order_follows_blocks_six_conversations_then_contact():
    slots = {"agenda": plan.CONVERSATIONS, "guided": True, "consent": True, "role": "citizen"}
    asked = []
    while plan.required_slots(slots):
        slot = plan.required_slots(slots)[0]
        asked.append(slot)
        slots[slot] = "x"
    assert asked == ["invitation_answer", "possibility", "ownership", "ladder_step", "dissent",
                     "commitment", "commitment_due", "gift", "gift_time", "contact"]


def test_employees_are_asked_about_their_professions_gift():
    slots = {"agenda": ["gift"], "consent": True, "role": "employee"}
    assert plan.required_slots(slots)[:3] == ["profession_gift", "profession_step", "gift_time"]


def test_without_consent_no_contact_is_asked():
    slots = {"agenda": plan.CONVERSATIONS, "guided": True, "consent": False, "role": "citizen"}
    for slot in plan.ALL_CONVERSATION_SLOTS:
        slots[slot] = "x"
    assert plan.required_slots(slots) == []


def test_after_a_direct_entry_the_remaining_conversations_are_offered():
    slots = {"agenda": ["gift"], "guided": False, "consent": True, "role": "citizen",
             "gift": "x", "gift_time": "y"}
    assert plan.required_slots(slots) == ["next_step"]
    assert "gift" not in plan.not_yet_held(slots)
    slots["next_step"] = plan.FINISH
    assert plan.required_slots(slots) == ["contact"]


def test_pause_and_delete_come_before_anything_else():
    slots = {"agenda": plan.CONVERSATIONS, "consent": True, "role": "citizen", "paused": True}
    assert plan.required_slots(slots) == ["resume"]
    slots["delete_requested"] = True
    assert plan.required_slots(slots) == ["confirm_delete"]
    slots["erased"] = True
    assert plan.required_slots(slots) == []


def test_a_held_conversation_can_be_held_again():
    slots = {"agenda": ["possibility"], "possibility": "a garden", "role": "citizen"}
    assert plan.slots_to_reopen("possibility", slots) == ["possibility"]
    assert plan.agenda_for_entry("dissent", slots) == ["possibility", "dissent"]
    assert plan.slots_to_reopen("dissent", slots) == []


def test_a_goodbye_ends_the_plan_until_the_person_writes_again():
    slots = {"agenda": plan.CONVERSATIONS, "consent": True, "role": "citizen", "ended": True}
    assert plan.required_slots(slots) == []
    assert plan.required_slots({**slots, "ended": None})[0] == "invitation_answer"


def test_a_handoff_offers_the_contact_question_first_with_consent_only():
    slots = {"agenda": plan.CONVERSATIONS, "consent": True, "role": "citizen",
             "invitation_answer": "accepted", "handoff_requested": True}
    assert plan.required_slots(slots)[:2] == ["contact", "possibility"]
    assert plan.required_slots({**slots, "contact": plan.DECLINED})[0] == "possibility"
    assert "contact" not in plan.required_slots({**slots, "consent": False})


def test_a_declined_invitation_asks_one_question_and_nothing_more():
    slots = {"agenda": ["invitation", "dissent"], "guided": False, "consent": True,
             "role": "citizen", "invitation_answer": "declined"}
    assert plan.required_slots(slots) == ["dissent"]
    assert plan.required_slots({**slots, "dissent": "x"}) == []  # no next_step, no contact
    assert plan.respects_a_no({**slots, "agenda": ["invitation", "dissent"]})
    assert not plan.respects_a_no({**slots, "agenda": ["invitation", "dissent", "gift"]})


def test_a_kept_answer_names_its_question_once_the_role_is_known():
    assert plan.slot_of_kept_answer({"conversation": "gift"}, None) is None
    assert plan.slot_of_kept_answer({"conversation": "gift"}, "citizen") == "gift"
    assert plan.slot_of_kept_answer({"conversation": "gift"}, "employee") == "profession_gift"
    assert plan.slot_of_kept_answer({"slot": "ladder_step"}, "citizen") == "ladder_step"
    assert plan.slot_of_kept_answer(None, "citizen") is None

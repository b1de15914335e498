"""Submitting and cancelling in process: once per message, only what was confirmed, nothing on cancel."""
from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.petition_submit import ActionCancelPetition, ActionSubmitPetition
from tests.dialogue_helpers import CODE_RE
from tests.fixtures_dialogue import action_services, domain_dict, make_tracker, slot_events, texts_of  # noqa: F401


def confirmed_slots(**overrides: Any) -> dict[str, Any]:
    from petitions.consent import CONSENT_TEXT_VI

    slots = {
        "consent": True,
        "consent_text": CONSENT_TEXT_VI,
        "consent_at": "2026-01-05T08:00:00+00:00",
        "matter": "Nhà máy chế biến mì xả nước thải ra kênh, mùi hôi thối suốt đêm, cá chết hàng loạt",
        "commune": "xã Tân Châu",
        "commune_code": "xa-tan-chau",
        "phone": "+84987654321",
        "confirmed": "yes",
    }
    slots.update(overrides)
    return slots


async def submit(domain: dict, tracker: Any) -> tuple[str, dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitPetition().run(dispatcher, tracker, domain)
    return texts_of(dispatcher), slot_events(events)


async def test_a_confirmed_petition_is_stored_and_the_receipt_gives_code_agency_and_due_date(
    action_services: Any, domain_dict: dict
) -> None:
    tracker = make_tracker("Xác nhận", intent="affirm", slots=confirmed_slots())
    reply, slots = await submit(domain_dict, tracker)
    code = CODE_RE.search(reply).group(0)
    assert "chuyển đến" in reply and "Hạn giải quyết dự kiến" in reply
    record = action_services.store.get_by_code(code)
    assert record.text == confirmed_slots()["matter"]
    assert record.contact_phone == "+84987654321" and record.consent_given
    assert record.consent_text == confirmed_slots()["consent_text"]
    assert record.commune_matched and record.commune_code == "xa-tan-chau"
    assert all(value is None for value in slots.values())  # the form's slots are cleared for the next petition


async def test_the_same_message_delivered_twice_creates_one_petition(action_services: Any, domain_dict: dict) -> None:
    before = action_services.store.count()
    tracker = make_tracker("Xác nhận", intent="affirm", slots=confirmed_slots(), message_id="m-1")
    first, _ = await submit(domain_dict, tracker)
    again = make_tracker("Xác nhận", intent="affirm", slots=confirmed_slots(), message_id="m-1",
                         sender_id=tracker.sender_id)
    second, _ = await submit(domain_dict, again)
    assert action_services.store.count() == before + 1
    assert CODE_RE.search(first).group(0) == CODE_RE.search(second).group(0)


async def test_a_bridge_message_id_survives_a_new_rasa_message_id(action_services: Any, domain_dict: dict) -> None:
    before = action_services.store.count()
    sender = "telegram-redelivered"
    for rasa_id in ("rasa-a", "rasa-b"):
        tracker = make_tracker("Xác nhận", intent="affirm", slots=confirmed_slots(), message_id=rasa_id,
                               sender_id=sender, metadata={"message_id": 777, "channel": "telegram"})
        await submit(domain_dict, tracker)
    assert action_services.store.count() == before + 1


async def test_an_anonymous_petition_stores_no_contact_data(action_services: Any, domain_dict: dict) -> None:
    tracker = make_tracker("xac nhan", intent="affirm",
                           slots=confirmed_slots(consent=False, consent_at=None, phone="+84987654321"))
    reply, _ = await submit(domain_dict, tracker)
    record = action_services.store.get_by_code(CODE_RE.search(reply).group(0))
    assert not record.consent_given and record.contact_phone is None and record.sender_id is None


async def test_nothing_is_stored_without_an_explicit_confirmation(action_services: Any, domain_dict: dict) -> None:
    before = action_services.store.count()
    reply, _ = await submit(domain_dict, make_tracker("", slots=confirmed_slots(confirmed=None)))
    assert action_services.store.count() == before and reply == ""


async def test_cancel_forgets_the_petition(action_services: Any, domain_dict: dict) -> None:
    before = action_services.store.count()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("hủy", intent="stop", slots=confirmed_slots(confirmed=None), active_loop="petition_form",
                           requested_slot="confirmed")
    events = await ActionCancelPetition().run(dispatcher, tracker, domain_dict)
    assert "Đã hủy" in texts_of(dispatcher)
    assert {"event": "active_loop", "name": None} in [{k: e.get(k) for k in ("event", "name")} for e in events]
    assert all(value is None for value in slot_events(events).values())
    assert action_services.store.count() == before


async def test_a_sentence_mistaken_for_stop_does_not_cancel(action_services: Any, domain_dict: dict) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("Cống thoát nước trước chợ bị tắc", intent="stop", confidence=0.97,
                           slots=confirmed_slots(confirmed=None, matter=None), active_loop="petition_form",
                           requested_slot="consent")
    events = await ActionCancelPetition().run(dispatcher, tracker, domain_dict)
    assert "Đã hủy" not in texts_of(dispatcher)
    assert events == [{"event": "followup", "name": "petition_form", "timestamp": None}]


async def test_when_the_store_fails_nothing_is_lost_and_the_summary_is_shown_again(
    action_services: Any, domain_dict: dict, tmp_path: Any
) -> None:
    import actions.runtime
    from petitions import PetitionService, PetitionStore

    class Broken:
        """The real services, except a petitions store whose database was never migrated (no tables)."""

        knowledge = action_services.knowledge
        petitions = PetitionService(PetitionStore(f"sqlite:///{tmp_path / 'empty.db'}"), action_services.router,
                                    action_services.communes, action_services.deadlines)

    actions.runtime.configure(Broken())
    dispatcher = CollectingDispatcher()
    try:
        events = await ActionSubmitPetition().run(
            dispatcher, make_tracker("Xác nhận", intent="affirm", slots=confirmed_slots()), domain_dict
        )
    finally:
        actions.runtime.configure(action_services)
    assert "chưa được gửi" in texts_of(dispatcher)
    assert {"event": "followup", "name": "petition_form", "timestamp": None} in events
    assert slot_events(events) == {"confirmed": None}  # the matter, commune and phone are kept for the retry

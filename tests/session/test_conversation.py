"""The live conversation model: what a tester reads in the call card, built from events."""

from __future__ import annotations

import pytest
from live_helpers import T0, event, one_turn, speech, tool_calls, transcript

from voicepanel.session.conversation import (
    AnswerSource,
    Conversation,
    Speaker,
    ToolCallState,
)


def conversation_of(*events) -> Conversation:
    conversation = Conversation("call-1")
    for e in events:
        conversation.apply(e)
    return conversation


def shown(conversation: Conversation) -> list[tuple[str, bool]]:
    return [(line.text, line.final) for line in conversation.transcript()]


def test_a_partial_line_is_shown_then_replaced_by_the_final_one() -> None:
    conversation = Conversation("call-1")
    seen = []
    conversation.events.line.subscribe(seen.append)
    conversation.apply(transcript("user", "I want fif", T0, final=False))
    assert [(line.text, line.final) for line in conversation.transcript()] == [
        ("I want fif", False)
    ]
    conversation.apply(transcript("user", "I want fifteen", T0 + 0.6))
    assert [(line.text, line.final) for line in conversation.transcript()] == [
        ("I want fifteen", True)
    ]
    # The line keeps the time it began to be heard, not when it was finalised.
    assert conversation.lines[0].at == pytest.approx(T0)
    assert [line.final for line in seen] == [False, True]


def test_each_speaker_has_its_own_line_in_progress() -> None:
    conversation = conversation_of(
        transcript("user", "hello", T0),
        transcript("assistant", "hi the", T0 + 0.1, final=False),
        transcript("user", "hello there", T0 + 0.2, final=False),
    )
    lines = conversation.transcript()
    assert [(line.role, line.text, line.final) for line in lines] == [
        (Speaker.USER, "hello", True),
        (Speaker.USER, "hello there", False),
        (Speaker.ASSISTANT, "hi the", False),
    ]


def test_turns_record_who_spoke_when_and_the_reply_delay() -> None:
    conversation = conversation_of(
        event("status-update", T0, status="in-progress"),
        *one_turn(T0 + 1, "fifteen", "fifteen", delay=0.8),
        *one_turn(T0 + 6, "order twelve", "order twelve", delay=1.25),
    )
    assert conversation.final_lines(Speaker.USER) == ["fifteen", "order twelve"]
    assert [(s.role.value, s.start - T0, s.end - T0) for s in conversation.spans] == [
        ("user", 1.0, 2.0),
        ("assistant", pytest.approx(2.8), pytest.approx(3.8)),
        ("user", 6.0, 7.0),
        ("assistant", pytest.approx(8.25), pytest.approx(9.25)),
    ]
    assert [round(t.reply_delay_s, 3) for t in conversation.turns] == [0.8, 1.25]
    assert [t.index for t in conversation.turns] == [1, 2]


def test_a_user_pausing_mid_sentence_does_not_close_the_turn() -> None:
    conversation = conversation_of(
        speech("user", "started", T0),
        speech("user", "stopped", T0 + 1),
        speech("user", "started", T0 + 1.3),  # goes on before the assistant answers
        speech("user", "stopped", T0 + 2),
        speech("assistant", "started", T0 + 2.5),
    )
    assert len(conversation.turns) == 1
    assert conversation.turns[0].reply_delay_s == pytest.approx(0.5)


def test_a_user_speaking_over_the_assistant_marks_an_interruption() -> None:
    conversation = conversation_of(
        *one_turn(T0, "tell me a story", "once upon a time")[:5],  # the assistant is speaking
        speech("user", "started", T0 + 2.5),
        event("user-interrupted", T0 + 2.6),
        speech("assistant", "stopped", T0 + 2.7),
    )
    assistant = [s for s in conversation.spans if s.role is Speaker.ASSISTANT]
    assert assistant[-1].interrupted and assistant[-1].end == pytest.approx(T0 + 2.7)
    assert conversation.speaking(Speaker.USER)


def test_the_end_closes_open_speech_and_keeps_the_report() -> None:
    conversation = conversation_of(
        speech("user", "started", T0),
        transcript("user", "bye", T0 + 0.2, final=False),
        event("status-update", T0 + 1, status="ended", endedReason="customer-ended-call"),
        event(
            "end-of-call-report",
            T0 + 2,
            endedReason="customer-ended-call",
            cost=0.0123,
            analysis={"summary": "The user said bye."},
            artifact={"transcript": "User: bye"},
        ),
    )
    assert conversation.ended and conversation.ended_reason == "customer-ended-call"
    assert conversation.spans[0].end == pytest.approx(T0 + 1)
    assert conversation.partials == {}
    assert conversation.summary == "The user said bye." and conversation.cost == 0.0123
    assert conversation.report_transcript == "User: bye"


def test_a_tool_call_shows_its_name_and_arguments() -> None:
    conversation = Conversation("call-1", answer_window_s=10)
    opened = conversation.apply(
        tool_calls(
            T0, ("t1", "lookup_order", '{"order": "15"}'), ("t2", "weather", {"city": "Oslo"})
        )
    )
    assert [(c.name, c.arguments) for c in opened] == [
        ("lookup_order", {"order": "15"}),
        ("weather", {"city": "Oslo"}),
    ]
    assert opened[0].arguments_text() == '{"order": "15"}'
    assert opened[0].deadline_at == pytest.approx(opened[0].received_at + 10)
    assert [c.id for c in conversation.waiting_tool_calls()] == ["t1", "t2"]


def test_an_answer_after_the_deadline_is_marked_late() -> None:
    conversation = Conversation("call-1", answer_window_s=5)
    (call,) = conversation.apply(tool_calls(T0, ("t1", "slow_tool", "{}")))
    conversation.expire_tool_call("t1")
    late = conversation.settle_tool_call(
        "t1", at=call.deadline_at + 3, source=AnswerSource.HAND, result="ok"
    )
    assert late.state is ToolCallState.LATE and late.result == "ok"
    assert late.answered_at == pytest.approx(call.deadline_at + 3)


def test_the_local_agents_latency_joins_vapis_turn_whichever_comes_first() -> None:
    conversation = Conversation("call-1")
    # The agent measured the first turn before VAPI's events for it arrived...
    conversation.add_local_turn(T0 + 1.9, T0 + 3.0)
    for e in one_turn(T0 + 1, "one", "one", delay=0.8):
        conversation.apply(e)
    # ...and the second after.
    for e in one_turn(T0 + 6, "two", "two", delay=0.9):
        conversation.apply(e)
    conversation.add_local_turn(T0 + 6.95, T0 + 8.05)
    assert [round(t.local_latency_s or 0, 3) for t in conversation.turns] == [1.1, 1.1]
    assert [round(t.reply_delay_s, 3) for t in conversation.turns] == [0.8, 0.9]


def test_exchanges_pair_what_was_said_with_the_answer_and_its_delay() -> None:
    conversation = conversation_of(
        transcript("assistant", "Hello, how can I help?", T0),
        *one_turn(T0 + 2, "order fifteen", "Order fifteen shipped.", delay=0.7),
        *one_turn(T0 + 7, "thanks", "You're welcome.", delay=0.9),
    )
    exchanges = conversation.exchanges()
    assert [(e.user, e.assistant) for e in exchanges] == [
        ("", "Hello, how can I help?"),
        ("order fifteen", "Order fifteen shipped."),
        ("thanks", "You're welcome."),
    ]
    assert exchanges[0].timing is None
    assert [round(e.timing.reply_delay_s, 3) for e in exchanges[1:]] == [0.7, 0.9]


def test_a_final_line_without_partials_takes_the_time_its_speech_began() -> None:
    conversation = conversation_of(
        speech("assistant", "started", T0),
        speech("assistant", "stopped", T0 + 2.5),
        transcript("assistant", "Your order shipped on Monday.", T0 + 2.6),
    )
    assert conversation.lines[0].at == pytest.approx(T0)

"""An inline assistant VAPI would refuse is refused by the panel first, naming the field,
and never reaches the server."""

from __future__ import annotations

import pytest

from voicepanel.core.assistant_check import assistant_config_problem
from voicepanel.core.errors import VoicePanelError
from voicepanel.core.vapi_gateway import VapiGateway


@pytest.mark.parametrize(
    ("config", "sentence"),
    [
        ({"colour": "red"}, '"colour" is not a field VAPI accepts there.'),
        (
            {"model": {"provider": "openai", "model": "gpt-4o-mini", "temp": 1}},
            '"model.temp" is not a field VAPI accepts there.',
        ),
        ({"voice": {"provider": "vapi"}}, '"voice.voiceId" is required.'),
        ({"maxDurationSeconds": "long"}, '"maxDurationSeconds" must be a number of seconds.'),
        ({"name": 3, "colour": 1}, '"name" must be text. (1 more problem after it.)'),
    ],
)
def test_each_problem_is_one_sentence_naming_the_field(config: dict, sentence: str) -> None:
    assert assistant_config_problem(config) == sentence


def test_an_unknown_provider_lists_what_vapi_knows() -> None:
    sentence = assistant_config_problem({"transcriber": {"provider": "whisper-local"}})
    assert sentence.startswith('"transcriber.provider" must be one of: ')
    assert "deepgram" in sentence


async def test_the_gateway_refuses_before_sending(vapi: VapiGateway) -> None:
    before = len(await vapi.list_calls())
    with pytest.raises(VoicePanelError) as refused:
        await vapi.create_call(assistant={"model": {"provider": "openia", "model": "gpt-4o"}})
    assert '"model.provider" must be one of' in refused.value.message
    assert refused.value.hint
    assert len(await vapi.list_calls()) == before

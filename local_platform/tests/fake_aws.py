"""Bedrock and Polly on the wire for the whole journey: the Haiku fake (projects/haiku/backend/tests/fake_aws.py:
the chat's stream, translations, descriptions, pictures, speech) that also answers the two forced tool calls the
other apps make - Writing Practice's `record_grade` (it reads back the expected word the prompt names) and the
Vocab Generator's `record_vocabulary_group` (a food group of as many words as the tool's schema asks for)."""
from __future__ import annotations

import re
from http.server import BaseHTTPRequestHandler

from local_platform.serving import send_json
from modules.tests.support import USAGE
from projects.haiku.backend.tests.fake_aws import FakeAws
from projects.vocab_generator.backend.generation import TOOL_NAME as VOCABULARY_TOOL
from projects.vocab_generator.backend.tests.conftest import FOOD
from projects.writing_practice.frontend.grading import TOOL_NAME as GRADE_TOOL

GROUP_NAME = "Journey Food"
FEEDBACK = "Neatly written, every stroke in place."
EXPECTED_WORD = re.compile(r"Expected word: (\S+) \(")


class JourneyAws(FakeAws):
    def _converse(self, handler: BaseHTTPRequestHandler, request: dict) -> None:
        tools = [tool["toolSpec"] for tool in request.get("toolConfig", {}).get("tools", [])]
        if not tools:
            super()._converse(handler, request)
            return
        [tool] = tools
        self.calls.add(tool["name"])
        if tool["name"] == GRADE_TOOL:
            prompt = next(part["text"] for part in request["messages"][-1]["content"] if "text" in part)
            arguments = {"transcription": EXPECTED_WORD.search(prompt)[1], "grade": "S", "feedback": FEEDBACK}
        elif tool["name"] == VOCABULARY_TOOL:
            count = tool["inputSchema"]["json"]["properties"]["words"]["minItems"]
            arguments = {"group_name": GROUP_NAME, "words": FOOD[:count]}
        else:
            send_json(handler, 400, {"message": f"no fake for the tool {tool['name']}"})
            return
        send_json(handler, 200, {"output": {"message": {"role": "assistant", "content": [
            {"toolUse": {"toolUseId": "tooluse-journey", "name": tool["name"], "input": arguments}}]}},
            "stopReason": "tool_use", "usage": USAGE, "metrics": {"latencyMs": 5}})

"""The corpus's bad requests against the service (in-process, the real app): the documented HTTP status,
a JSON error naming the input and the problem, never a 500, and nothing read outside the media roots."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import helper  # noqa: E402

corpus = helper("corpus")
TOKEN = "reliability-token-0123456789"


@pytest.fixture(scope="module")
def service(base_memory, tmp_path_factory):
    from fastapi.testclient import TestClient

    from mnemo.service import ServiceOptions, create_app

    root, media = tmp_path_factory.mktemp("root"), tmp_path_factory.mktemp("media")
    shutil.copytree(base_memory, root / "base")
    options = ServiceOptions(root=root, token=TOKEN, media_roots=(media,), max_k=50)
    with TestClient(create_app(options, background=False)) as client:
        yield client, media, tmp_path_factory.mktemp("api-outside")


@pytest.mark.parametrize("case", corpus.cases(corpus.API), ids=lambda c: c.name)
def test_bad_request(case, service):
    client, media, tmp = service
    call = case.build(tmp, media)
    headers = {"authorization": f"Bearer {TOKEN}", **call.headers}
    reply = client.request(call.method, call.url, json=call.json, content=call.content, files=call.files,
                           headers=headers)
    assert reply.status_code == case.status, reply.text
    message = reply.json()["error"]["message"]
    assert re.search(case.problem, message, re.IGNORECASE), message

"""Property-based tests of the API from its own OpenAPI document (schemathesis): whatever the
generated request, the answer is never a 5xx, and errors are JSON with a message."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install schemathesis)")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from mnemo.service import ServiceOptions, create_app  # noqa: E402
from tests.mnemo.service.conftest import TOKEN  # noqa: E402

AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLES = 12  # generated requests per operation


@pytest.fixture(scope="module")
def schema(tmp_path_factory, videos):
    import mnemo

    root = tmp_path_factory.mktemp("openapi")
    with mnemo.open(root / "demo", create=True) as memory:  # the schema's example memory, with events
        memory.ingest(str(videos["short"].video))
    app = create_app(ServiceOptions(root=root, token=TOKEN, media_roots=(videos["folder"],)), background=False)
    return schemathesis.openapi.from_asgi("/openapi.json", app, headers=AUTH)


def test_no_server_errors(schema):
    """(schemathesis' own pytest plugin does not load under pytest 9: the operations are driven here.)"""
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures = []
    for operation in operations:

        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case) -> None:
            response = case.call(headers=AUTH)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")
            elif response.status_code >= 400 and "json" in str(response.headers.get("content-type")):
                assert response.json()["error"]["message"], (case.method, case.formatted_path)

        check()
    assert not failures, "\n".join(failures[:20])

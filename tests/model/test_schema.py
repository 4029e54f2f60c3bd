"""Property test over the app's OpenAPI schema with schemathesis: no input yields a 5xx.

The schema comes from an app that is never started (building one loads nothing). The
requests go in-process to a second app whose model is loaded and whose lifespan the
fixture owns (a TestClient context for the whole module); schemathesis sees that app
without lifespan support, so it neither restarts nor stops it. 60 examples per operation
keep the run well under a minute.
(`schemathesis.pytest.from_fixture` would be the tidier way, but 4.32.5 reads a private
pytest attribute that pytest 9 no longer has.)
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from orchestra_model.faults import Faults
from orchestra_model.server import create_app
from schemathesis.checks import not_a_server_error

from .conftest import POD

schema = schemathesis.openapi.from_dict(create_app("v2", faults=Faults(), pod=POD).openapi())


class HttpOnly:
    """The app minus its lifespan: refusing the lifespan scope tells an ASGI server (here
    schemathesis) that the app has none."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            raise RuntimeError("the test fixture owns this app's lifespan")
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def loaded_app(artifact_root):
    app = create_app("v2", root=artifact_root, faults=Faults(), pod=POD)
    with TestClient(app):
        assert app.state.service.loaded.wait(10), "the model did not load"
        assert app.state.service.ready, app.state.service.reason
        yield HttpOnly(app)


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_request_gets_a_server_error(case, loaded_app):
    response = case.call(app=loaded_app)
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500
    assert response.headers["x-model-version"] == ["v2"]  # lowercased names, list values

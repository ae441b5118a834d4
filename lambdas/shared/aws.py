"""boto3 clients with timeouts and retries that fit inside a Connect block's time limit.

botocore's defaults (60 s connect and read timeouts; legacy mode's 10 DynamoDB attempts on older
runtimes) far exceed the 8 s block limit, so every client states its own.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import boto3
import botocore.loaders
import botocore.regions
from botocore.config import Config

# boto3 and botocore are imported once per container and live as long as it does. Freezing them
# keeps the collections that the handler's own imports trigger from rescanning them all, a real
# share of a cold start (see Container.warm and docs/decision_log.md).
gc.freeze()


class ClientLimits(NamedTuple):
    connect_timeout: float = 0.5
    read_timeout: float = 1.0
    max_attempts: int = 2  # total attempts, the first included

    def worst_case_seconds(self) -> float:
        """Upper bound of one call: every attempt times out; standard-mode backoff ≤ 1 s each."""
        attempts = self.max_attempts
        return attempts * (self.connect_timeout + self.read_timeout) + (attempts - 1) * 1.0

    def botocore_config(self) -> Config:
        return Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            # `total_max_attempts` counts the first request; botocore's `max_attempts` would not.
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
        )


# Trimmed service models (see infra/slim_models.py): "ssm-slim" is SSM with the two operations the
# functions call, "dynamodb-slim" DynamoDB with the four; a cold start parses kilobytes, not the
# full models. Requests, hooks and IAM see the full service (same service id and endpoint prefix).
SLIM_MODELS = Path(__file__).resolve().parent / "slim_models"
# botocore's endpoints.json (1.2 MB, parsed when a session builds its first client) with every
# partition as it is but only the services the slim models call (see SlimEndpointResolver).
SLIM_ENDPOINTS = SLIM_MODELS / "endpoints-slim.json"


def make_client(service: str, limits: ClientLimits | None = None) -> Any:
    config = (limits or ClientLimits()).botocore_config()
    if service.endswith("-slim"):
        _register_slim_models()
    return boto3.client(service, config=config)  # type: ignore[call-overload]


class LazyClient:
    """A client created on first use: for calls most invocations never make (escalation's
    GetCurrentMetricData when the flow already passed its queue metrics), so the container's
    init does not pay for it."""

    def __init__(self, service: str, limits: ClientLimits | None = None) -> None:
        self._service = service
        self._limits = limits
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = make_client(self._service, self._limits)
        return getattr(self._client, name)


def _register_slim_models() -> None:
    # On the default session, so the sandbox's hooks (fault injection, call counting) still apply.
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION._session  # type: ignore[union-attr]
    loader = session.get_component("data_loader")
    if not isinstance(loader, SlimModelLoader):
        # Appended, not prepended: only the "-slim" names live there, full services resolve as before.
        slim = SlimModelLoader([*loader.search_paths, str(SLIM_MODELS)], include_default_search_paths=False)
        slim._cache.update(loader._cache)  # what the session already parsed is not parsed again
        session.register_component("data_loader", slim)
        _use_slim_endpoints(session)


def _use_slim_endpoints(session: Any) -> None:
    """Give the session a SlimEndpointResolver, unless it already built its resolver (a client
    exists) or reads endpoints from a custom data path (then botocore's own file is not the one)."""
    components = session._internal_components
    build_full = components._deferred.get("endpoint_resolver")
    if build_full is None or session.get_config_variable("data_path"):
        return
    components.lazy_register_component(
        "endpoint_resolver",
        lambda: SlimEndpointResolver(json.loads(SLIM_ENDPOINTS.read_text(encoding="utf-8")), build_full),
    )


class SlimEndpointResolver(botocore.regions.EndpointResolver):  # type: ignore[misc]
    """botocore's endpoint resolver over the slim endpoints data, and over the full data for
    everything else.

    The slim data holds botocore's partitions exactly, with only the services the slim models call,
    so those resolve as from the full file; a question about any other service (a full client on
    the same session: the sandbox, the CLI) loads the full file once and is answered from it.
    """

    def __init__(self, data: dict[str, Any], build_full: Callable[[], Any]) -> None:
        super().__init__(data, uses_builtin_data=True)  # the data is botocore's own, trimmed
        self._services = frozenset(s for partition in data["partitions"] for s in partition["services"])
        self._build_full = build_full
        self._full: Any = None

    def _resolver_for(self, service_name: str) -> Any:
        if service_name in self._services:
            return super()
        if self._full is None:
            self._full = self._build_full()
        return self._full

    def get_service_endpoints_data(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        return self._resolver_for(service_name).get_service_endpoints_data(service_name, *args, **kwargs)

    def get_available_endpoints(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        return self._resolver_for(service_name).get_available_endpoints(service_name, *args, **kwargs)

    def construct_endpoint(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        return self._resolver_for(service_name).construct_endpoint(service_name, *args, **kwargs)


class SlimModelLoader(botocore.loaders.Loader):  # type: ignore[misc]
    """botocore's loader, finding a slim model by its name.

    botocore checks a service name against a listing of every installed service, built by walking
    the data directory (hundreds of services, once for the service model and once for the endpoint
    rules): a large share of creating the first client. The slim models are ours and known by name,
    so their load skips that walk; every other service loads exactly as before.
    """

    @botocore.loaders.instance_cache  # type: ignore[untyped-decorator]
    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        folder = SLIM_MODELS / service_name
        if not (service_name.endswith("-slim") and folder.is_dir()):
            return super().load_service_model(service_name, type_name, api_version)
        version = api_version or max(p.name for p in folder.iterdir())
        return self.load_data(f"{service_name}/{version}/{type_name}")

"""CloudFormation on the sandbox: the SAM transform, a deployment engine, and providers for what SAM emits.

moto answers CloudFormation's API but silently ignores ``Transform: AWS::Serverless-2016-10-31``, creates
resources in no particular order, never rolls back, and lacks or drops much of what a SAM template
generates (aliases, URLs, HTTP APIs, queue and bucket policies, schedules, layers on functions, managed
policies on roles). This package keeps moto's wire format and stack storage and replaces the work:

- :mod:`template` parses a template, runs the SAM transform (:mod:`transform`) and makes CloudFormation's
  up-front checks; :mod:`intrinsics` evaluates ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, … and conditions;
- :mod:`engine` creates, updates and deletes resources in dependency order with AWS's events, status
  reasons and rollbacks; :mod:`stacks` puts it behind moto's CloudFormation backend;
- :mod:`providers` create each resource through the sandbox's own APIs (boto3), so CloudFormation-made
  functions, aliases and mappings are the objects the Lambda service and the triggers use;
- :mod:`alias_mappings` lets an event source mapping follow its alias.

The sandbox starts it like a trigger (``lambdalab.triggers.TRIGGERS``); the CloudFormation patches are
installed before the first CloudFormation request (``gateway.on_first_request``).
"""

from __future__ import annotations

import threading
from typing import Any


class CloudFormationEngine:
    """The sandbox plugin that serves CloudFormation (and SAM) deployments."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._box: Any = None

    def start(self, box: Any) -> None:
        from lambdalab.cloudformation import alias_mappings, alias_policies, bucket_policies, managed_policies
        from lambdalab.service.lambda_api import on_first_request

        self._box = box
        alias_mappings.install()
        alias_policies.install()
        managed_policies.install()
        bucket_policies.install()
        # moto's CloudFormation imports every service's models (seconds): patch it only when first used.
        on_first_request("cloudformation", self._install)

    def _install(self) -> None:
        # Imports moto's API Gateway, so jsonschema: its IRI grammars wait for first use (lambdalab.deferred_imports).
        from lambdalab.cloudformation import stacks

        stacks.install(self.client)

    def client(self, service: str) -> Any:
        """One boto3 client per service for the providers (clients are thread-safe and costly to make)."""
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                from botocore.config import Config

                client = self._clients[service] = self._box.client(
                    service, config=Config(retries={"max_attempts": 1}, read_timeout=300)
                )
            return client

    def reset(self) -> None:
        return None

    def stop(self) -> None:
        with self._lock:
            self._clients.clear()

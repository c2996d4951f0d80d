"""The ``AWS::Serverless-2016-10-31`` transform, run server-side as CloudFormation runs it.

On AWS, CloudFormation hands a template that declares the SAM transform to the SAM translator (the same
open-source ``aws-sam-translator`` the SAM CLI uses for ``sam validate``) and deploys what comes back. The
sandbox does the same with the library, offline. A template SAM refuses fails with CloudFormation's
wording: ``Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application Specification
document. Number of errors found: 1. Resource with id [Fn] is invalid. …``.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import threading
from pathlib import Path
from typing import Any

from lambdalab.cloudformation.intrinsics import TemplateError

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
_lock = threading.Lock()  # the translator keeps its region in a class attribute


def transforms_of(template: dict[str, Any]) -> list[str]:
    """The template's ``Transform`` names (a string or a list of them)."""
    declared = template.get("Transform")
    if not declared:
        return []
    return [str(declared)] if isinstance(declared, str) else [str(name) for name in declared]


def translate(
    template: dict[str, Any],
    *,
    parameters: dict[str, str],
    stack_name: str,
    stack_id: str,
    region: str,
    account_id: str,
) -> dict[str, Any]:
    """The plain CloudFormation template SAM generates, or :class:`TemplateError` with SAM's reasons."""
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import undo_mark_unicode_str_in_template

    values = {
        **_defaults(template),
        **parameters,
        "AWS::Region": region,
        "AWS::AccountId": account_id,
        "AWS::StackName": stack_name,
        "AWS::StackId": stack_id,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NotificationARNs": [],
    }
    # The translator warns about its own usage metrics, which nobody publishes here: in a notebook that
    # line would sit under the learner's output of every deploy.
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    try:
        with _lock:
            ArnGenerator.BOTO_SESSION_REGION_NAME = region
            # The session only tells the translator its region; it never sends a request.
            session = boto3.session.Session(
                region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
            )
            translator = Translator(None, Parser(), boto_session=session)
            translated = translator.translate(
                copy.deepcopy(template), parameter_values=values, get_managed_policy_map=_bundled_policies
            )
            return undo_mark_unicode_str_in_template(translated)
    except InvalidDocumentException as exc:
        reasons = " ".join([exc.message, *(cause.message for cause in exc.causes)])
        raise TemplateError(f"Transform {SAM_TRANSFORM} failed with: {reasons}") from None
    except Exception as exc:  # noqa: BLE001 - anything else the translator raises is its internal failure
        raise TemplateError(f"Transform {SAM_TRANSFORM} failed with: Internal transform failure. ({exc})") from None


def _defaults(template: dict[str, Any]) -> dict[str, Any]:
    return {
        name: spec["Default"]
        for name, spec in (template.get("Parameters") or {}).items()
        if isinstance(spec, dict) and "Default" in spec
    }


@functools.cache
def _bundled_policies() -> dict[str, str]:
    """AWS managed policies by name, from the map bundled with the translator (no IAM call needed)."""
    import samtranslator

    data = Path(samtranslator.__file__).parent / "internal" / "data" / "aws_managed_policies.json"
    return json.loads(data.read_text(encoding="utf-8")).get("aws", {})

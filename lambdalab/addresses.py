"""Where the sandbox serves what AWS serves on the internet: an API's stage, a function's URL.

Both start the sandbox if needed and ask its triggers, so a notebook needs no trigger module::

    base = lambdalab.api_url(api_id)          # http://127.0.0.1:PORT, as https://{id}.execute-api...
    url = lambdalab.function_url("hello")     # http://127.0.0.1:PORT/, as https://{id}.lambda-url...
"""

from __future__ import annotations

from lambdalab.aws_sandbox import sandbox


def api_url(api_id: str, stage: str | None = None) -> str:
    """The local base URL of an API (REST or HTTP) and stage: call it with any HTTP client.

    For an HTTP API's ``$default`` stage it is the bare ``http://127.0.0.1:PORT``; for a named stage
    ``http://127.0.0.1:PORT/{stage}`` — as ``https://{api_id}.execute-api.{region}.amazonaws.com[/{stage}]``.
    """
    from lambdalab.triggers.apigateway import ApiGatewayFrontDoor

    return sandbox().trigger(ApiGatewayFrontDoor).url(api_id, stage)


def function_url(function_name: str) -> str:
    """The local address of a function's URL (``get_function_url_config(...)["FunctionUrl"]``)."""
    return sandbox().client("lambda").get_function_url_config(FunctionName=function_name)["FunctionUrl"]

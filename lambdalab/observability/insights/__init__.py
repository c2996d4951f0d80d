"""CloudWatch Logs Insights on the sandbox's log groups: ``start_query`` and ``get_query_results`` through boto3.

:mod:`.query` parses a query (lark, :mod:`.grammar`), :mod:`.validate` refuses what Insights would refuse,
:mod:`.records` discovers each event's fields, :mod:`.engine` runs the commands and :mod:`.moto_logs`
answers the API; :func:`lambdalab.observability.cloudwatch_logs.install` puts it in place.
"""

"""Lambda's rules for an SQS batch's response, and the pollers' scaling, as plain functions (no sandbox)."""

from __future__ import annotations

import pytest

from lambdalab.triggers.sqs.models import MappingConfig
from lambdalab.triggers.sqs.responses import settle
from lambdalab.triggers.sqs.scaling import PollerScaling

IDS = ("a", "b", "c")


@pytest.mark.parametrize("response", [None, {}, "", {"batchItemFailures": []}, {"batchItemFailures": None},
                                      {"other": "keys are ignored"}])
def test_with_report_batch_item_failures_an_empty_answer_is_a_complete_success(response):
    verdict = settle(IDS, function_error=False, response=response, report_batch_item_failures=True)
    assert (verdict.delete, verdict.keep) == (IDS, ())


def test_only_the_reported_ids_are_kept():
    verdict = settle(IDS, function_error=False, report_batch_item_failures=True,
                     response={"batchItemFailures": [{"itemIdentifier": "b"}]})
    assert (verdict.delete, verdict.keep, verdict.reason) == (("a", "c"), ("b",), "partial batch failure")


@pytest.mark.parametrize("response", [
    ["a"], "failed", 42,  # not a JSON object
    {"batchItemFailures": "a"},  # not a list
    {"batchItemFailures": [{"itemId": "a"}]},  # a bad key name
    {"batchItemFailures": [{"itemIdentifier": ""}]},  # an empty identifier
    {"batchItemFailures": [{"itemIdentifier": None}]},  # a null identifier
    {"batchItemFailures": [{"itemIdentifier": "zzz"}]},  # a message not in the batch
])
def test_a_response_lambda_cannot_read_fails_the_whole_batch(response):
    verdict = settle(IDS, function_error=False, response=response, report_batch_item_failures=True)
    assert (verdict.delete, verdict.keep) == ((), IDS)
    assert verdict.reason.startswith("malformed response")


@pytest.mark.parametrize("report", [True, False])
def test_a_function_error_fails_the_whole_batch_whatever_the_setting(report):
    verdict = settle(IDS, function_error=True, response=None, report_batch_item_failures=report)
    assert verdict.keep == IDS and verdict.reason == "function error"


def test_without_the_setting_whatever_a_successful_function_returns_deletes_the_batch():
    verdict = settle(IDS, function_error=False, report_batch_item_failures=False,
                     response={"batchItemFailures": [{"itemIdentifier": "a"}]})
    assert verdict.delete == IDS


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_pollers_start_at_five_and_grow_by_300_a_minute_while_all_are_busy():
    clock = FakeClock()
    scaling = PollerScaling(ceiling=1000, clock=clock)
    assert scaling.concurrency == 5
    for second in range(61):
        clock.now = float(second)
        scaling.observe(busy=scaling.concurrency, found_messages=True)
    assert scaling.concurrency == 305


def test_growth_stops_at_maximum_concurrency_and_backs_off_on_throttles():
    clock = FakeClock()
    scaling = PollerScaling(ceiling=7, clock=clock)
    for second in range(10):
        clock.now = float(second)
        scaling.observe(busy=scaling.concurrency, found_messages=True)
    assert scaling.concurrency == 7
    scaling.back_off()
    scaling.back_off()
    assert scaling.concurrency == 5


def test_an_empty_queue_shrinks_the_pollers_back_to_five_but_not_below():
    clock = FakeClock()
    scaling = PollerScaling(ceiling=1000, clock=clock, target=40.0)
    for second in range(100):
        clock.now = float(second)
        scaling.observe(busy=0, found_messages=False)
    assert scaling.concurrency == 5


def test_a_mapping_names_its_queue_and_function_from_the_arns():
    config = MappingConfig(uuid="u", function_arn="arn:aws:lambda:us-east-1:123456789012:function:f:live",
                           event_source_arn="arn:aws:sqs:us-east-1:123456789012:orders", maximum_concurrency=3)
    assert (config.queue_name, config.function_name, config.qualifier) == ("orders", "f", "live")
    assert config.concurrency_ceiling == 3

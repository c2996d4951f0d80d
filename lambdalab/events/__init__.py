"""Event builders: the exact documents AWS's event sources hand to a function, one module per source.

Triggers build their events here, and so can a learner or a test that wants AWS's shape without a trigger
(``lambdalab.events.apigateway``, ``lambdalab.events.function_url``, …).
"""

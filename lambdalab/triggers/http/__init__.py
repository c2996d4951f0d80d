"""The HTTP front doors' shared parts: a loopback listener (:mod:`.listener`) that turns bytes into requests
and replies back into bytes, and the response rules both API Gateway and function URLs apply
(:mod:`.responses`)."""

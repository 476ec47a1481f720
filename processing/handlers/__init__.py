"""AWS Lambda entry points, one module per function: parse the event, call one step, return JSON.

The same functions are what the local runner calls, so a step behaves identically in both runtimes.
Bad input leaves a handler as ``ImageRejected`` (Step Functions sees the error name
``ImageRejected``, not retried, caught and recorded); anything else is a genuine failure to retry.
"""

"""A local interpreter for the Amazon States Language: the pipeline's state machine, run in-process.

It executes the same definition that AWS Step Functions runs (infra/statemachine/), so the order of
steps, their retries and their error handling have one source of truth in both runtimes.
"""

"""The local runtime: the state machine run by processing.statemachine, fed by a durable queue,
with a worker process (``python -m processing.local.worker``) and a command-line runner
(``python -m processing.local run FILE...``)."""

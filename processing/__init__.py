"""The image processing pipeline: metadata, validation, thumbnails and recognition.

This package never imports Django. Pure steps over bytes and plain data sit apart from ports (blob
store, result store, recognizer, execution starter) and their local and AWS adapters; the Lambda
handlers and the local state-machine runner call the same steps. It is filled in by the processing
issues; for now it holds nothing but this description.
"""

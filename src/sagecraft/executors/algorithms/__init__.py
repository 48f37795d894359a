"""Built-in algorithms: what an image runs when a training job names no entry point.

Each is a module run inside the job's sandbox by the runtime's interpreter (the `algorithms` table of
runtimes.yaml builds its argv), reading and writing /opt/ml as the image's own algorithm does.
"""

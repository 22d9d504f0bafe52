"""The metric vocabulary, below every package that produces or reads metrics.

`catalogue` (every metric, once), `sample` (the unit of data a collector produces, and the rule that says
whether a sample may be exposed), `identity` (the device identity labels every per-device series carries).
The collector, the exporters, connlog, alerts and dashboards read it; it imports nothing of the project.
"""

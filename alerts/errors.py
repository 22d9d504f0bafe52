"""The one exception type of alerts/: a message for people (the CLI prints it without a traceback)."""


class AlertsError(Exception):
    pass

"""The lab package's one exception type: its message is for people, the CLI prints it as is."""


class LabError(Exception):
    pass

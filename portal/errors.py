"""The portal's one exception type: a human message, printed by the CLI without a traceback."""


class PortalError(Exception):
    pass

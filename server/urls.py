"""URL rules shared by every blueprint."""

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest id an INTEGER column holds on PostgreSQL


class IdConverter(IntegerConverter):
    """``<id:name>``: a positive row id; anything larger is an unknown page (404), never a database overflow."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)

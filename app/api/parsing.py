"""Request parsing for the API: webargs with the edges closed.

JSON nested too deeply to decode is malformed (400), not a crash; text that no database can
store — a NUL character or a lone UTF-16 surrogate — is refused with 422 naming the field.
"""

from __future__ import annotations

import json
from typing import Any

from flask_smorest import Blueprint
from webargs.core import missing
from webargs.flaskparser import FlaskParser, abort

from ..textcheck import first_unstorable


class SafeParser(FlaskParser):
    def _raw_load_json(self, req):
        try:
            data = super()._raw_load_json(req)
        except RecursionError:
            raise json.JSONDecodeError("JSON nested too deeply", "nested", 0) from None
        if data is not missing:
            self._refuse_unstorable(data, "json")
        return data

    def load_querystring(self, req, schema):
        self._refuse_unstorable({key: req.args.getlist(key) for key in req.args}, "query")
        return super().load_querystring(req, schema)

    @staticmethod
    def _refuse_unstorable(data: Any, location: str) -> None:
        where = first_unstorable(data)
        if where is not None:
            abort(
                422,
                messages={
                    location: {
                        where or "_schema": [
                            "Remove the invalid character (NUL or unpaired surrogate)."
                        ]
                    }
                },
            )


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = SafeParser()

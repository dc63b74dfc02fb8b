"""Bodies as sent, not as coerced: a route's JSON body is decoded strictly before Litestar reads it.

Litestar converts bodies leniently (`"12"` becomes 12); a client that sends a string where the
schema says integer has a bug this API should name. The route names its body type in
`opt={"body": Type}`; this hook decodes the raw bytes against it with msgspec's strict rules and
answers 400 in Litestar's own shape for wrong types, invalid JSON, invalid UTF-8 or nesting too
deep to decode, none of which may become a 500.
"""

from __future__ import annotations

import re

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

_AT = re.compile(r"^(?P<message>.*?) - at `\$\.?(?P<key>[^`]*)`$")


def _problem(text: str) -> dict[str, str]:
    """msgspec's "Expected `int`, got `str` - at `$.horizon`" in Litestar's shape: message, key, source."""
    found = _AT.match(text)
    if found is None:
        return {"message": text, "source": "body"}
    return {"message": found["message"], "key": found["key"], "source": "body"}


async def strict_body(request: Request) -> None:
    body_type = request.route_handler.opt.get("body")
    if body_type is None:
        return
    raw = await request.body()
    where = f"{request.method} {request.url.path}"
    try:
        msgspec.json.decode(raw, type=body_type, strict=True)
    except msgspec.ValidationError as exc:
        raise ValidationException(f"Validation failed for {where}", extra=[_problem(str(exc))]) from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise ValidationException(f"{where}: the body is not valid JSON ({exc})") from None
    except RecursionError:
        raise ValidationException(f"{where}: the JSON body is nested too deeply") from None

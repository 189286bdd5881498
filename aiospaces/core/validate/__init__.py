"""Every input check aiospaces makes, in one place: each returns the checked value or raises.

Builders, configs and clients call these before any I/O, so bad input is always a
[ValidationError][aiospaces.core.errors.ValidationError] naming the argument:

```python
space_id = validate.identifier(space_id, "space_id", max_length=92)
limit = validate.integer(limit, "limit", minimum=1, maximum=100)
```

Messages show a wrongly typed value by its *type* only, and a secret never at all, so a
password passed where a number was expected cannot end up in a log.

What goes into a header must be printable ASCII: httpx sends header values as ASCII and
refuses anything else, and a CR or LF would split the header. aiospaces does not encode other
text for you (the vendors define no encoding for their headers): percent-encode it, or use
RFC 8187's ``UTF-8''…`` form where the receiving side understands it.
"""

from aiospaces.core.validate._http import header_name as header_name
from aiospaces.core.validate._http import header_value as header_value
from aiospaces.core.validate._http import headers as headers
from aiospaces.core.validate._http import http_url as http_url
from aiospaces.core.validate._http import origin as origin
from aiospaces.core.validate._http import query as query
from aiospaces.core.validate._values import boolean as boolean
from aiospaces.core.validate._values import callback as callback
from aiospaces.core.validate._values import choice as choice
from aiospaces.core.validate._values import identifier as identifier
from aiospaces.core.validate._values import integer as integer
from aiospaces.core.validate._values import json_value as json_value
from aiospaces.core.validate._values import key as key
from aiospaces.core.validate._values import number as number
from aiospaces.core.validate._values import one_of as one_of
from aiospaces.core.validate._values import optional_text as optional_text
from aiospaces.core.validate._values import path_segment as path_segment
from aiospaces.core.validate._values import secret as secret
from aiospaces.core.validate._values import text as text
from aiospaces.core.validate._values import timeout as timeout
from aiospaces.core.validate._values import timeout_or_timeouts as timeout_or_timeouts

__all__ = [
    "boolean",
    "callback",
    "choice",
    "header_name",
    "header_value",
    "headers",
    "http_url",
    "identifier",
    "integer",
    "json_value",
    "key",
    "number",
    "one_of",
    "optional_text",
    "origin",
    "path_segment",
    "query",
    "secret",
    "text",
    "timeout",
    "timeout_or_timeouts",
]

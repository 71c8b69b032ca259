#!/usr/bin/env python3
"""Verifies webhook deliveries with the `standardwebhooks` package from
PyPI: an implementation of the Standard Webhooks specification independent
of ours, which the webhook tests check Switchboard's signatures against.

Reads JSON from stdin:
  {"now": <the sender's clock, epoch seconds>, "secret": "whsec_...",
   "deliveries": [{"headers": {...}, "body": "..."}, ...]}
The timestamp check is made against "now" (the tests' clock), the
signature check exactly as a receiver would. Prints one line per delivery,
"ok" or the reason it failed, and exits 1 if any failed (2 when the
package is not installed).
"""
import json
import sys
from datetime import datetime, timezone

try:
    import standardwebhooks.webhooks as sw
except ImportError:
    print("standardwebhooks is not installed (pip install standardwebhooks)")
    sys.exit(2)

job = json.load(sys.stdin)
now = datetime.fromtimestamp(job["now"], tz=timezone.utc)


class _Clock(datetime):
    @classmethod
    def now(cls, tz=None):
        return now


# The package reads the time from its module's `datetime`.
sw.datetime = _Clock
hook = sw.Webhook(job["secret"])
failed = 0
for d in job["deliveries"]:
    try:
        hook.verify(d["body"], d["headers"])
        print("ok")
    except Exception as e:  # the package's verification error, or worse
        failed += 1
        print(f"failed: {e}")
sys.exit(1 if failed else 0)

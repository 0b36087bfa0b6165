"""Verifies the ZeroPath gateway's X-ZeroPath-Identity-Signature. Python 3.8+, standard library only."""
import base64
import binascii
import hashlib
import hmac
import json
import sys
import time


def verify_identity_signature(header, method, path, org_id, user_id, token_id, permissions, keys, max_age=300, now=None):
    """True when `header` is the gateway's signature over these fields under one of `keys` ({key id: key bytes}),
    made at most `max_age` seconds from now. `path` is percent-decoded, without the query string (WSGI: PATH_INFO,
    after SCRIPT_NAME, as environ['PATH_INFO'].encode('latin-1').decode('utf-8')). The other fields are the values of
    X-ZeroPath-Org-Id, X-ZeroPath-User-Id, X-ZeroPath-Token-Id and X-ZeroPath-Permissions ('' when absent)."""
    parts = (header or "").split(";")
    if len(parts) != 3 or not (parts[0].startswith("kid=") and parts[1].startswith("ts=") and parts[2].startswith("sig=")):
        return False
    key_id, ts, sig = parts[0][4:], parts[1][3:], parts[2][4:]
    if not (ts.isascii() and ts.isdigit()) or len(sig) != 43:
        return False
    try:
        mac = base64.b64decode(sig + "=", altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return False
    key = keys.get(key_id)
    if key is None or abs((time.time() if now is None else now) - int(ts)) > max_age:
        return False
    canonical = "\n".join(["ZeroPath-Identity-v1", str(int(ts)), method, path, org_id, user_id, token_id, permissions])
    expected = hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).digest()
    return hmac.compare_digest(expected, mac)


if __name__ == "__main__":
    # For a quick check from a shell: one JSON object on stdin with the arguments above ("keys": {id: base64}).
    a = json.load(sys.stdin)
    keys = {k: base64.b64decode(v) for k, v in a.pop("keys").items()}
    print("true" if verify_identity_signature(keys=keys, **a) else "false")

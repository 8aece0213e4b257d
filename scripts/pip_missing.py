"""scripts/pip_missing.py — prints the requirements of a pip requirements file that
the running Python lacks or has at another version; exits 1 if there are any."""
import sys
from importlib import metadata

missing = []
for line in open(sys.argv[1], encoding="utf-8"):
    req = line.split("#", 1)[0].strip()
    if not req:
        continue
    name, _, version = req.partition("==")
    try:
        have = metadata.version(name.strip())
    except metadata.PackageNotFoundError:
        missing.append(req)
        continue
    if version and have != version.strip():
        missing.append(req)
print("\n".join(missing))
sys.exit(1 if missing else 0)

#!/usr/bin/env python3
"""tests/docs/check_docs.py — checks the fenced code blocks of the docs against
the binary, so that the docs cannot drift (conventions: docs/README.md).

usage: check_docs.py [--kind KIND]... FILE...   (ALERTFILTER_BIN: the binary)

KIND is where, cfg, help or alert (default: all). Prints one line per block
checked and one per failure (FILE:LINE: what), then
"docs: N blocks checked (K items), F failures"; exits 1 on any failure, 2 on
a usage error.
"""
import os
import re
import subprocess
import sys
import tempfile

BIN = os.environ.get("ALERTFILTER_BIN", "bin/alertfilter")
KINDS = ("where", "cfg", "help", "alert")


class Block:
    def __init__(self, path, line, info, lines):
        self.path, self.line, self.lines = path, line, lines  # line: of the block's first content line
        words = info.split()
        self.lang = words[0] if words else ""
        self.nocheck = "nocheck" in words[1:]

    @property
    def kind(self):
        if self.lang in ("where", "cfg", "alert"):
            return self.lang
        if self.lines and self.lines[0].startswith("usage: alertfilter"):
            return "help"
        return None


def blocks_of(path):
    """The fenced blocks of a Markdown file (``` or ~~~ fences, any indent)."""
    out, fence, info, start, body = [], None, "", 0, []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f.read().split("\n"), 1):
            stripped = line.lstrip()
            if fence is None:
                m = re.match(r"(`{3,}|~{3,})(.*)$", stripped)
                if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):  # CommonMark: no ` in a ``` info
                    fence, info, start, body = m.group(1), m.group(2).strip(), n + 1, []
            elif stripped.startswith(fence) and stripped.strip() == stripped.strip()[0] * len(stripped.strip()):
                out.append(Block(path, start, info, body))
                fence = None
            else:
                body.append(line)
    return out


def run(args, stdin=None):
    p = subprocess.run([BIN] + args, input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def cfg_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


STATED = re.compile(r"=>\s*(?:(true|false)\b|error:\s*(.*\S))")


def parse_where(block):
    """(line, expression, stated) per expression of a where block; stated is
    None, True, False or ("error", message)."""
    items = []
    for k, raw in enumerate(block.lines):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        m = re.search(r"\s{2,}#\s?(.*)$", raw)
        expr = (raw[: m.start()] if m else raw).strip()
        stated = None
        if m:
            s = STATED.match(m.group(1).strip())
            if s:
                stated = (s.group(1) == "true") if s.group(1) else ("error", s.group(2))
        items.append((block.line + k, expr, stated))
    return items


def alert_text(block):
    """An alert block as one message: its lines joined."""
    return " ".join(l.strip() for l in block.lines if l.strip())


class Checker:
    def __init__(self):
        self.blocks = self.items = 0
        self.failures = []
        self.tmp = tempfile.mkdtemp(prefix="check_docs.")

    def fail(self, path, line, what):
        self.failures.append(f"{path}:{line}: {what}")
        print(f"{path}:{line}: FAILED: {what}")

    def write(self, name, text):
        p = os.path.join(self.tmp, name)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        return p

    def check_where(self, block, alert):
        items = parse_where(block)
        if not items:
            self.fail(block.path, block.line, "a where block with no expression")
            return
        rules = "".join(
            f'  {{ name = "l{line}"; topic = "l{line}"; where = {cfg_string(expr)}; }},\n' for line, expr, _ in items
        )
        cfg = self.write("where.cfg", "rules = (\n" + rules.rstrip(",\n") + "\n);\n")
        rc, out, err = run(["check", "-c", cfg])
        errors = {}  # line -> messages of its rule
        for m in re.finditer(r"rule 'l(\d+)': (.*)", err):
            errors.setdefault(int(m.group(1)), []).append(m.group(2))
        if rc != 0 and not errors:
            self.fail(block.path, block.line, f"alertfilter check failed: {err.strip()}")
            return
        for line, expr, stated in items:
            want_error = stated[1] if isinstance(stated, tuple) else None
            got = errors.get(line)
            if want_error is None and got:
                self.fail(block.path, line, f"'{expr}' does not compile: {'; '.join(got)}")
            elif want_error is not None and not got:
                self.fail(block.path, line, f"'{expr}' compiles, but the doc says: error: {want_error}")
            elif want_error is not None and not any(want_error in g for g in got):
                self.fail(block.path, line, f"'{expr}': the doc says error: {want_error}; check says: {'; '.join(got)}")
        # Results: the expressions that compile, on the sample alert.
        stated_items = [(l, e, s) for l, e, s in items if isinstance(s, bool)]
        if stated_items:
            if alert is None:
                self.fail(block.path, block.line, "results stated (=> true/false) but no ```alert block above")
                return
            rules = "".join(
                f'  {{ name = "l{l}"; topic = "l{l}"; where = {cfg_string(e)}; }},\n'
                for l, e, _ in stated_items
                if l not in errors
            )
            if rules:
                cfg = self.write("results.cfg", "rules = (\n" + rules.rstrip(",\n") + "\n);\n")
                rc, out, err = run(["eval", "-c", cfg], stdin=alert_text(alert) + "\n")
                if rc != 0 or err.strip():
                    self.fail(alert.path, alert.line, f"alertfilter eval on the sample alert: {err.strip() or rc}")
                    return
                matched = {int(l.split("\t", 1)[0][1:]) for l in out.splitlines() if l}
                for line, expr, stated in stated_items:
                    if line not in errors and (line in matched) != stated:
                        self.fail(
                            block.path,
                            line,
                            f"'{expr}' is {'true' if line in matched else 'false'} on the sample alert "
                            f"(line {alert.line}), the doc says {'true' if stated else 'false'}",
                        )
        self.items += len(items)
        print(f"{block.path}:{block.line}: where: {len(items)} expressions, {len(stated_items)} results stated")

    def check_cfg(self, block):
        cfg = self.write("block.cfg", "\n".join(block.lines) + "\n")
        rc, out, err = run(["check", "-c", cfg])
        if rc != 0:
            msg = re.sub(
                re.escape(cfg) + r"(?::(\d+))?",
                lambda m: f"{block.path}:{block.line + int(m.group(1)) - 1}" if m.group(1) else block.path,
                err.strip() or out.strip(),
            )
            self.fail(block.path, block.line, f"alertfilter check rejects this config block:\n{msg}")
        else:
            self.items += 1
            print(f"{block.path}:{block.line}: cfg: {out.splitlines()[0].replace(cfg, 'block') if out else 'ok'}")

    def check_help(self, block):
        words = block.lines[0].split()
        cmd = [words[2]] if len(words) > 2 and not words[2].startswith(("[", "-")) else []
        rc, out, err = run(cmd + ["--help"])
        want = "\n".join(block.lines).rstrip("\n")
        got = out.rstrip("\n")
        name = " ".join(["alertfilter"] + cmd + ["--help"])
        if rc != 0:
            self.fail(block.path, block.line, f"{name} exits {rc}: {err.strip()}")
        elif got != want:
            wl, gl = want.split("\n"), got.split("\n")
            k = next((i for i in range(max(len(wl), len(gl))) if i >= len(wl) or i >= len(gl) or wl[i] != gl[i]))
            self.fail(
                block.path,
                block.line + k,
                f"differs from `{name}`: the doc has {wl[k] if k < len(wl) else '(nothing)'!r}, "
                f"the binary prints {gl[k] if k < len(gl) else '(nothing)'!r}",
            )
        else:
            self.items += 1
            print(f"{block.path}:{block.line}: help: as `{name}` prints it")

    def check_alert(self, block):
        cfg = self.write("alert.cfg", 'rules = ( { name = "all"; topic = "all"; where = "true"; } );\n')
        rc, out, err = run(["eval", "-c", cfg], stdin=alert_text(block) + "\n")
        if rc != 0 or err.strip() or len(out.splitlines()) != 1:
            self.fail(block.path, block.line, f"the sample alert does not parse: {err.strip() or out.strip()}")
        else:
            self.items += 1
            print(f"{block.path}:{block.line}: alert: parses")

    def check_file(self, path, kinds):
        alert = None
        for b in blocks_of(path):
            kind = b.kind
            if kind is None or b.nocheck:
                continue
            if kind == "alert":
                alert = b
            if kind not in kinds:
                continue
            self.blocks += 1
            getattr(self, "check_" + kind)(*((b, alert) if kind == "where" else (b,)))


def main(argv):
    kinds, files = [], []
    it = iter(argv)
    for a in it:
        if a == "--kind":
            k = next(it, None)
            if k not in KINDS:
                print(f"check_docs: --kind takes one of {', '.join(KINDS)}", file=sys.stderr)
                return 2
            kinds.append(k)
        elif a.startswith("-"):
            print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
            return 2
        else:
            files.append(a)
    if not files:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    c = Checker()
    for f in files:
        c.check_file(f, kinds or KINDS)
    print(f"docs: {c.blocks} blocks checked ({c.items} items), {len(c.failures)} failures")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

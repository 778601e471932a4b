#!/usr/bin/env python3
"""Convert pydicom/deid's pixel filters (deid/data/deid.dicom) to radguard's
pixel rule format (TOML, format = 1).

    python3 rules/convert_deid.py rules/upstream/deid.dicom > rules/deid-0.4.13.toml

Standard library only. The output is committed; the crate's tests run this
script again (when python3 is present) and require the same bytes.

What is converted, and how (rules/README.md has the reasoning):

* Each LABEL block of a `%filter` section becomes one `[[rule]]`, id
  `deid:N` (N = the block's position in the file, 1-based), label and
  source from the LABEL line (`LABEL Philips IU22 # (CTP)` gives label
  "Philips IU22", source "CTP").
* `%filter whitelist` -> action `declared-clean`; `%filter graylist` with
  coordinates -> `blank`, without -> `flag`; `%filter blacklist` -> `flag`.
* `ctpcoordinates x,y,w,h` (CTP convention) -> `{x, y, width = w, height = h}`;
  `coordinates x0,y0,x1,y1` (deid's corners, x1/y1 exclusive as deid's
  numpy slice `mask[y0:y1, x0:x1]`) -> `{x = x0, y = y0, width = x1-x0,
  height = y1-y0}`.
* Filter lines: `contains`, `equals`, `startswith`-free deid syntax.
  A line's leading `+` is "and", `||` is "or", none is "and"; operators
  combine left to right (deid's `evaluate_group`), inside a line as between
  lines. deid's own interpreter ignores the operator at the start of a line
  and ANDs all lines; the rules where that differs carry a note.
* deid matches `contains` as a case-insensitive regular expression: `a|b`
  is an alternative (converted to a list of texts, any of which will do);
  a `+` between non-empty words (`DERIVED+SECONDARY+SCREEN SAVE`) means all
  of them (converted to `all`, noted); any other character is literal
  (`SOMATOM Definition AS+` stays as written).
* `equals a|b` becomes a list of texts (deid compares the whole string, so
  such a rule never matched there: noted).
* Misspelt keywords are corrected and noted (`Manfacturer`, `Manufacture`).
"""

import hashlib
import re
import sys

FILTER_WORDS = ("contains", "notcontains", "equals", "notequals", "missing", "present", "empty")
KEYWORD_FIXES = {"Manfacturer": "Manufacturer", "Manufacture": "Manufacturer"}
SOURCE_SHA256 = "5cbb875d5db37d5f61d04ecb8afdf2dc87ef49c0219b86d915a2036ff589aacd"


def quote(s):
    out = ['"']
    for c in s:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append("\\u%04X" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def split_member(member):
    """deid's parse_member: split a line at `||` / `+` where the rest starts
    another filter; returns [(operator or None, atom text)]."""
    parts = []
    pending = [(None, member.strip())]
    while pending:
        op, m = pending.pop(0)
        i_or = m.find("||")
        i_and = m.find("+")
        cut = None
        if i_or >= 0 and (i_and < 0 or i_or < i_and):
            cut = ("or", i_or, 2)
        elif i_and >= 0:
            cut = ("and", i_and, 1)
        if cut is not None:
            rest = m[cut[1] + cut[2]:]
            if any(w in rest for w in FILTER_WORDS):
                parts.append((op, m[: cut[1]].strip()))
                pending.append((cut[0], rest.strip()))
                continue
        parts.append((op, m))
    return parts


def texts(value):
    alts = [a.strip() for a in value.split("|")]
    return alts


def atom(text, notes):
    action, rest = (text.split(" ", 1) + [""])[:2]
    action = action.lower()
    if action in ("missing", "present", "empty"):
        field, value = rest.strip(), None
    else:
        field, value = rest.strip().split(" ", 1)
        value = value.strip()
    if field in KEYWORD_FIXES:
        notes.append("deid reads the misspelt keyword %s (never present, so this condition never held there); corrected to %s"
                     % (field, KEYWORD_FIXES[field]))
        field = KEYWORD_FIXES[field]
    if action in ("missing", "present", "empty"):
        return {"attr": field, action: True}
    neg = action.startswith("not")
    test = action[3:] if neg else action
    alts = texts(value)
    cond = None
    if test == "equals" and len(alts) > 1:
        notes.append("deid compares `equals %s` as one whole string, so it never held there; converted to any of %s"
                     % (value, alts))
    if test == "contains" and len(alts) == 1 and "+" in value:
        words = value.split("+")
        if all(w.strip() for w in words):
            notes.append("deid reads `%s` as one regular expression that the value never matches; converted to all of %s"
                         % (value, [w.strip() for w in words]))
            cond = {"all": [{"attr": field, "contains": [w.strip()]} for w in words]}
    if cond is None:
        cond = {"attr": field, test: alts}
    return {"not": cond} if neg else cond


def combine(items):
    """Left-to-right fold of [(op, cond)] into nested all/any, flattened."""
    cond = None
    for op, c in items:
        if cond is None:
            cond = c
            continue
        key = "any" if op == "or" else "all"
        if key in cond and len(cond) == 1:
            cond = {key: cond[key] + [c]}
        else:
            cond = {key: [cond, c]}
    return cond


def render(c):
    if "attr" in c:
        (test, value), = [(k, v) for k, v in c.items() if k != "attr"]
        if value is True:
            v = "true"
        elif len(value) == 1:
            v = quote(value[0])
        else:
            v = "[" + ", ".join(quote(x) for x in value) + "]"
        return "{ attr = %s, %s = %s }" % (quote(c["attr"]), test, v)
    if "not" in c:
        return "{ not = %s }" % render(c["not"])
    (key, items), = c.items()
    return "{ %s = [%s] }" % (key, ", ".join(render(i) for i in items))


def convert(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    out = []
    section = None
    n = 0
    i = 0
    while i < len(lines):
        raw = lines[i].strip()
        i += 1
        if not raw or raw.startswith("#"):
            continue
        if raw.startswith("%"):
            parts = raw.split("#", 1)[0].split()
            section = (parts[0][1:].lower(), " ".join(parts[1:]))
            continue
        if not (raw.upper().startswith("LABEL") and section and section[0] == "filter"):
            continue
        start = i
        members = []
        while i < len(lines):
            nxt = lines[i].strip()
            if nxt.upper().startswith("LABEL") or nxt.startswith("%"):
                break
            if nxt:
                members.append(nxt)
            i += 1
        n += 1
        head = raw[len("LABEL"):]
        if "#" in head:
            label, comment = head.split("#", 1)
            source = comment.strip().strip("()").strip()
        else:
            m = re.match(r"^(.*?)\s*\(([^()]*)\)\s*$", head)
            label, source = (m.group(1), m.group(2)) if m else (head, "")
        label = label.strip()
        notes = []
        rects = []
        keep = []
        line_items = []
        for member in members:
            low = member.lower()
            for kw, dest, ctp in (("ctpcoordinates", rects, True), ("ctpkeepcoordinates", keep, True),
                                  ("coordinates", rects, False), ("keepcoordinates", keep, False)):
                if low.startswith(kw):
                    nums = [int(x) for x in member[len(kw):].replace(" ", "").split(",") if x]
                    assert len(nums) == 4, member
                    if ctp:
                        x, y, w, h = nums
                    else:
                        x, y, w, h = nums[0], nums[1], nums[2] - nums[0], nums[3] - nums[1]
                    assert w > 0 and h > 0, member
                    dest.append((x, y, w, h))
                    break
            else:
                op = "and"
                m = member
                if m.startswith("+"):
                    m = m[1:].strip()
                elif m.startswith("||"):
                    op = "or"
                    m = m[2:].strip()
                if m.startswith("#"):
                    continue
                atoms = split_member(m)
                inner = combine([(o or "and", atom(a, notes)) for o, a in atoms])
                line_items.append((op, inner))
        if len(line_items) > 1 and any(op == "or" for op, _ in line_items[1:]):
            notes.append("deid ignores the `||` at the start of a line and ANDs every line; converted with `||` as or, left to right")
        when = combine(line_items)
        assert when is not None, "rule %d has no condition" % n
        kind = section[1]
        if keep and rects:
            raise SystemExit("rule %d mixes coordinates and keepcoordinates" % n)
        if kind == "whitelist":
            action = "declared-clean"
            assert not rects and not keep
        elif kind == "graylist":
            action = "keep-only" if keep else ("blank" if rects else "flag")
        elif kind == "blacklist":
            action = "flag"
            assert not rects and not keep
        else:
            raise SystemExit("unknown filter list %r" % kind)
        out.append("")
        out.append("[[rule]]")
        out.append("id = %s" % quote("deid:%d" % n))
        out.append("label = %s" % quote(label))
        if source:
            out.append("source = %s" % quote(source))
        note = "deid.dicom line %d, %%filter %s" % (start, kind)
        if notes:
            note += ". " + ". ".join(notes)
        out.append("note = %s" % quote(note))
        out.append("action = %s" % quote(action))
        if "all" in when and len(when) == 1:
            out.append("when.all = [")
            out.extend("  %s," % render(c) for c in when["all"])
            out.append("]")
        elif "any" in when and len(when) == 1:
            out.append("when.any = [")
            out.extend("  %s," % render(c) for c in when["any"])
            out.append("]")
        else:
            out.append("when = %s" % render(when))
        if rects or keep:
            out.append("rects = [")
            out.extend("  { x = %d, y = %d, width = %d, height = %d }," % r for r in (rects or keep))
            out.append("]")
    return n, out


def main():
    path = sys.argv[1]
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if digest != SOURCE_SHA256:
        raise SystemExit("%s: sha256 %s, expected %s (deid 0.4.13)" % (path, digest, SOURCE_SHA256))
    n, body = convert(path)
    head = [
        "# radguard pixel rules converted from pydicom/deid 0.4.13, deid/data/deid.dicom",
        "# (sha256 %s)," % SOURCE_SHA256,
        "# %d filters. Copyright (c) 2016-2022 Vanessa Sochat, MIT licence: see upstream/LICENSE." % n,
        "# Generated by rules/convert_deid.py; do not edit by hand. Rules contributed to deid by",
        "# RSNA CTP (DicomPixelAnonymizer.script) and the people named in each `source`.",
        "",
        "format = 1",
    ]
    sys.stdout.write("\n".join(head + body) + "\n")


if __name__ == "__main__":
    main()

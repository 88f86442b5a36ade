#!/usr/bin/env python3
"""Checks that a report.html is one self-contained, well-formed page with the expected charts.

    python3 report_check.py REPORT.html [--charts roc,pr,calibration,history]

The document must parse with balanced tags (void elements excepted), start with <!DOCTYPE html>,
have a non-empty <title>, hold every <svg> with a viewBox and a data-chart attribute, and reference
nothing outside itself: no src/href other than "#..." or "data:", no <script>, <link>, <iframe>,
<img>, <object>, <embed>, <base>, and no url(...) or @import in any style. With --charts, each named
chart must appear exactly once (by data-chart) and no other chart may appear. Standard library
only. Exit 0 printing "report_check: ok (N charts)", or print each problem and exit 1.
"""
import argparse
import collections
import html.parser
import re
import sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
FORBIDDEN = {"script", "link", "iframe", "img", "object", "embed", "base", "frame", "frameset"}
REF_ATTRS = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster", "data"}
STYLE_BAD = re.compile(r"url\s*\(|@import", re.IGNORECASE)


class Checker(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.stack = []
        self.charts = collections.Counter()
        self.svgs = 0
        self.title = None
        self.in_title = False
        self.in_style = False
        self.doctype = None
        self.seen_start = False

    def where(self):
        line, col = self.getpos()
        return f"line {line}:{col + 1}"

    def problem(self, text):
        self.problems.append(f"{self.where()}: {text}")

    def handle_decl(self, decl):
        if not self.seen_start and self.doctype is None:
            self.doctype = decl

    def check_attrs(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if name in REF_ATTRS and not (value.startswith("#") or value.startswith("data:")):
                self.problem(f"<{tag}> has an external reference {name}={value!r}")
            if name == "style" and STYLE_BAD.search(value):
                self.problem(f"<{tag}> style attribute uses url( or @import")
            if name.startswith("on"):
                self.problem(f"<{tag}> has an event handler {name}")

    def start(self, tag, attrs, closed):
        self.seen_start = True
        if tag in FORBIDDEN:
            self.problem(f"forbidden element <{tag}>")
        self.check_attrs(tag, attrs)
        if tag == "svg":
            self.svgs += 1
            a = dict(attrs)
            if not a.get("viewbox"):
                self.problem("<svg> without a viewBox")
            if a.get("data-chart"):
                self.charts[a["data-chart"]] += 1
            else:
                self.problem("<svg> without a data-chart attribute")
        if tag in VOID or closed:
            return
        self.stack.append((tag, self.where()))
        if tag == "title" and not any(t == "svg" for t, _ in self.stack):
            if self.title is not None:
                self.problem("more than one document <title>")
            self.title = ""
            self.in_title = True
        if tag == "style":
            self.in_style = True

    def handle_starttag(self, tag, attrs):
        self.start(tag, attrs, False)

    def handle_startendtag(self, tag, attrs):
        self.start(tag, attrs, True)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack:
            self.problem(f"</{tag}> closes nothing")
            return
        if self.stack[-1][0] != tag:
            open_tag, at = self.stack[-1]
            self.problem(f"</{tag}> closes <{open_tag}> opened at {at}")
            # Recover: pop up to the matching tag if there is one.
            if any(t == tag for t, _ in self.stack):
                while self.stack and self.stack.pop()[0] != tag:
                    pass
            return
        self.stack.pop()
        if tag == "title":
            self.in_title = False
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.in_style and STYLE_BAD.search(data):
            self.problem("<style> uses url( or @import")


def check(text, expected):
    c = Checker()
    c.feed(text)
    c.close()
    problems = list(c.problems)
    for tag, at in c.stack:
        problems.append(f"<{tag}> opened at {at} is never closed")
    if c.doctype is None or c.doctype.strip().lower() != "doctype html":
        problems.append("no <!DOCTYPE html> before the first element")
    if not (c.title or "").strip():
        problems.append("no non-empty <title>")
    if expected is not None:
        for name in expected:
            if c.charts[name] != 1:
                problems.append(f"chart {name!r}: {c.charts[name]} <svg> elements, expected 1")
        for name, n in sorted(c.charts.items()):
            if name not in expected:
                problems.append(f"unexpected chart {name!r} ({n} <svg>)")
    else:
        for name, n in sorted(c.charts.items()):
            if n != 1:
                problems.append(f"chart {name!r}: {n} <svg> elements, expected 1")
    return problems, c.svgs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report")
    parser.add_argument("--charts", help="comma-separated data-chart names expected, once each")
    args = parser.parse_args()
    expected = None
    if args.charts is not None:
        expected = [c for c in (s.strip() for s in args.charts.split(",")) if c]
    try:
        with open(args.report, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        print(f"report_check: {args.report}: {e}")
        return 1
    problems, svgs = check(text, expected)
    if problems:
        for p in problems:
            print(f"report_check: {args.report}: {p}")
        return 1
    print(f"report_check: ok ({svgs} charts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

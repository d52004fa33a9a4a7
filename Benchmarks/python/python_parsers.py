"""Accuracy and speed of Python's dateparser and parsedatetime on the time expressions of our corpus and the
dev fixture (the cases with an expected `start`, or for the dev fixture, its expect_start/expect_end).

    python python_parsers.py ../Tests/SwitchboardLanguageTests/Fixtures/corpus.jsonl \
                             ../Tests/SwitchboardLanguageTests/Fixtures/time_expressions_dev.jsonl

A case counts as right when the parser's instant equals the expected start to the minute (for day-level
expectations, the date). dateparser: `parse` with RELATIVE_BASE and PREFER_DATES_FROM future, falling back to
`search_dates`; parsedatetime: `Calendar.parseDT` with the reference as sourceTime.
"""
import datetime as dt
import json
import sys
import time
import warnings
from zoneinfo import ZoneInfo

warnings.filterwarnings("ignore")
import dateparser
from dateparser.search import search_dates
import parsedatetime


def load(paths):
    cases = []
    for path in paths:
        for line in open(path, encoding="utf-8"):
            d = json.loads(line)
            if "expect" in d:  # our corpus
                e = d["expect"]
                if not e.get("start") or e.get("intent", "unknown") != "unknown" or e.get("error_codes"):
                    continue
                ref = dt.datetime.fromisoformat(d["now"]).astimezone(ZoneInfo(d["timezone"]))
                cases.append((d["text"], ref, e["start"], bool(e.get("date_only"))))
            else:  # dev fixture
                if not d.get("expect_start") or d["match"] not in ("exact", "date"):
                    continue
                ref = dt.datetime.fromisoformat(d["ref"])
                cases.append((d["text"], ref, d["expect_start"], d["match"] == "date"))
    return cases


def right(value, expected, day_level):
    if value is None:
        return False
    exp = dt.datetime.fromisoformat(expected)
    if value.tzinfo is None:
        value = value.replace(tzinfo=exp.tzinfo)
    value = value.astimezone(exp.tzinfo)
    if day_level:
        return value.date() == exp.date()
    return value.replace(second=0, microsecond=0) == exp.replace(second=0, microsecond=0)


def with_dateparser(text, ref):
    settings = {"RELATIVE_BASE": ref.replace(tzinfo=None), "PREFER_DATES_FROM": "future",
                "TIMEZONE": str(ref.tzinfo), "RETURN_AS_TIMEZONE_AWARE": False}
    value = dateparser.parse(text, settings=settings)
    if value is None:
        found = search_dates(text, settings=settings)
        value = found[0][1] if found else None
    return value.replace(tzinfo=ref.tzinfo) if value is not None else None


calendar = parsedatetime.Calendar()


def with_parsedatetime(text, ref):
    value, status = calendar.parseDT(text, sourceTime=ref.replace(tzinfo=None))
    return value.replace(tzinfo=ref.tzinfo) if status else None


def main():
    cases = load(sys.argv[1:])
    for name, parse in (("dateparser " + dateparser.__version__, with_dateparser), ("parsedatetime", with_parsedatetime)):
        good = 0
        start = time.perf_counter()
        for text, ref, expected, day_level in cases:
            try:
                value = parse(text, ref)
            except Exception:
                value = None
            good += right(value, expected, day_level)
        seconds = time.perf_counter() - start
        print(f"{name}: {good}/{len(cases)} right ({100 * good / len(cases):.1f}%), {len(cases) / seconds:.0f} parses/s")


if __name__ == "__main__":
    main()

"""The peer for `SwitchboardBench ical`: Python's icalendar + recurring-ical-events on the same files.
usage: python ical_peer.py DIR   (DIR holds daily.ics and many.ics, written by `SwitchboardBench ical DIR --write-only`)
"""
import datetime
import statistics
import sys
import time

import icalendar
import recurring_ical_events

directory = sys.argv[1]


def ms(f):
    start = time.perf_counter()
    result = f()
    return (time.perf_counter() - start) * 1000, result


daily = open(f"{directory}/daily.ics", "rb").read()
calendar = icalendar.Calendar.from_ical(daily)
year = (datetime.date(2025, 1, 1), datetime.date(2026, 1, 1))
expand = []
both = []
for _ in range(7):
    t, instances = ms(lambda: recurring_ical_events.of(calendar).between(*year))
    expand.append(t)
    t, _ = ms(lambda: recurring_ical_events.of(icalendar.Calendar.from_ical(daily)).between(*year))
    both.append(t)
print(f"python icalendar + recurring-ical-events: one year of a daily event with 50 exceptions ({len(instances)} instances)")
print(f"  expand, parsing excluded: median {statistics.median(expand):.3f} ms")
print(f"  parse + expand:           median {statistics.median(both):.3f} ms")

many = open(f"{directory}/many.ics", "rb").read()
month = (datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc), datetime.datetime(2026, 4, 1, tzinfo=datetime.timezone.utc))
parse_times = []
busy_times = []
busy_hours = 0
for _ in range(5):
    t, parsed = ms(lambda: icalendar.Calendar.from_ical(many))
    parse_times.append(t)

    def busy():
        intervals = []
        for event in recurring_ical_events.of(parsed).between(*month):
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
                continue
            start = event["DTSTART"].dt
            end = event["DTEND"].dt
            if not isinstance(start, datetime.datetime):
                start = datetime.datetime.combine(start, datetime.time(), datetime.timezone.utc)
                end = datetime.datetime.combine(end, datetime.time(), datetime.timezone.utc)
            intervals.append((max(start, month[0]), min(end, month[1])))
        intervals.sort()
        total = datetime.timedelta()
        current = None
        for a, b in intervals:
            if current and a <= current[1]:
                current = (current[0], max(current[1], b))
            else:
                if current:
                    total += current[1] - current[0]
                current = (a, b)
        if current:
            total += current[1] - current[0]
        return total

    t, total = ms(busy)
    busy_times.append(t)
    busy_hours = int(total.total_seconds() // 3600)
print(f"python: 2,000 events, busy time in March 2026 ({busy_hours} h busy)")
print(f"  parse:        median {statistics.median(parse_times):.3f} ms")
print(f"  busy time:    median {statistics.median(busy_times):.3f} ms")
print(f"  parse + busy: median {statistics.median([a + b for a, b in zip(parse_times, busy_times)]):.3f} ms")

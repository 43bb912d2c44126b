#!/usr/bin/python3
"""Sum up rounds of measurements (tests/bench/state.sh).

measure.py median RESULTS LABEL FIELD
    The median of FIELD over the lines of LABEL in RESULTS.
measure.py ratio RESULTS A B FIELD
    The median over rounds of A's FIELD / B's FIELD in the same round.
measure.py ratios RESULTS A B FIELD
    Those ratios round by round (the spread the median leaves out).
RESULTS holds lines "ROUND LABEL JSON", JSON as tests/bench/runstat
prints it. Rounds: each round runs every command being compared once, one
after the other, so that a ratio compares runs made under the same load;
the median over rounds leaves out rounds that a neighbour's load spoilt.
"""
import json, statistics, sys


def load(path):
    rows = {}  # label -> {round: record}
    with open(path) as f:
        for line in f:
            rnd, label, rec = line.split(None, 2)
            rows.setdefault(label, {})[rnd] = json.loads(rec)
    return rows


def main(argv):
    if argv[:1] == ["median"] and len(argv) == 4:
        recs = load(argv[1]).get(argv[2], {}).values()
        m = statistics.median(r[argv[3]] for r in recs)
        print(round(m, 3) if isinstance(m, float) else m)
    elif argv[:1] in (["ratio"], ["ratios"]) and len(argv) == 5:
        rows = load(argv[1])
        a, b, field = rows.get(argv[2], {}), rows.get(argv[3], {}), argv[4]
        ratios = [a[r][field] / b[r][field] for r in a if r in b and b[r][field]]
        if argv[0] == "ratios":
            print(" ".join("%.2f" % x for x in ratios))
        else:
            print("%.3f" % statistics.median(ratios) if ratios else "inf")
    else:
        sys.exit(__doc__)


main(sys.argv[1:])

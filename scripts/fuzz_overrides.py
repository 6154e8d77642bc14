#!/usr/bin/env python3
"""Hunts bad-input bugs: runs scenarios with random `--set` overrides and reports every run that
neither finished (exit 0) nor was refused as bad input (exit 2).

Each trial picks a scenario, one to three of its fields, and an awkward value for each: a number
scaled by 0, 1e-12, 1e-3, 0.1, 2, 10, 1e3 or 1e9 (its unit kept), negated or plus one; a flag
flipped; a list shortened, repeated, reversed or emptied. Exits 3 to 5 mean the run broke an
invariant on a scenario the checker accepted (a contradiction the checker should refuse, or a
real bug); a signal means a crash. Trials are seeded, so `--seed` reproduces a hunt.

    scripts/fuzz_overrides.py --trials 200 --seed 1 Scenarios/smoke.yaml Scenarios/crash-restart.yaml
    scripts/fuzz_overrides.py --set 'run.duration=60 s' --set 'run.warmup=5 s' Scenarios/thai-national-day.yaml

Needs PyYAML and a built gridsim (`make build`).
"""
import argparse
import random
import re
import subprocess
import sys
import tempfile

import yaml


def leaves(node, path=""):
    """Every scalar's dotted path (lists of scalars count as one leaf, and so do their items)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        if node and not isinstance(node[0], (dict, list)):
            yield path, node
        for index, value in enumerate(node):
            yield from leaves(value, f"{path}[{index}]")
    elif path:
        yield path, node


def awkward(value, rng):
    """A value near the edge of what `value`'s field takes, in the same form."""
    if isinstance(value, bool):
        return str(not value).lower()
    if isinstance(value, (int, float)):
        return repr(rng.choice([0, 1, value * 2, value * 10, value * 1000, value * 1e9, value / 10, -value, value + 1]))
    if isinstance(value, list):
        items = list(value)
        operation = rng.choice(["drop", "repeat", "reverse", "empty"])
        if operation == "drop" and items:
            items.pop(rng.randrange(len(items)))
        elif operation == "repeat" and items:
            items.append(rng.choice(items))
        elif operation == "reverse":
            items.reverse()
        else:
            items = []
        return yaml.safe_dump(items, default_flow_style=True).strip()
    match = re.match(r"^(-?[0-9.]+)\s*(.*)$", str(value))
    if not match:
        return str(value)
    number, unit = float(match.group(1)), match.group(2)
    scaled = rng.choice([0, number * 1e-12, number / 1000, number / 10, number * 2, number * 10, number * 1000,
                         number * 1e9, number + 1])
    return f"{scaled:g} {unit}".strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="+")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gridsim", default=".build/release/gridsim")
    parser.add_argument("--timeout", type=float, default=120, help="seconds a run may take (longer ones are listed apart)")
    parser.add_argument("--set", action="append", default=[], dest="fixed",
                        help="an override every trial starts from, before its own (e.g. 'run.duration=60 s' for long "
                             "scenarios); its field is fuzzed too")
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    tally = {}
    findings = 0
    with tempfile.TemporaryDirectory() as scratch:
        for trial in range(arguments.trials):
            scenario = rng.choice(arguments.scenarios)
            with open(scenario) as file:
                fields = [leaf for leaf in leaves(yaml.safe_load(file)) if not leaf[0].startswith(("name", "description"))]
            # The fields a `--set` adds are fuzzed too, the trial's value written after it.
            fields += [(path, yaml.safe_load(value)) for path, value in (fixed.split("=", 1) for fixed in arguments.fixed)]
            overrides = [f"{path}={awkward(value, rng)}" for path, value in rng.sample(fields, rng.choice([1, 1, 2, 3]))]
            command = [arguments.gridsim, "run", scenario, "--seed", str(rng.randint(1, 50)), "--quiet",
                       "--out", f"{scratch}/{trial}"]
            for override in arguments.fixed + overrides:
                command += ["--set", override]
            try:
                result = subprocess.run(command, capture_output=True, text=True, timeout=arguments.timeout)
                outcome = result.returncode
            except subprocess.TimeoutExpired:
                outcome = "timeout"
            tally[outcome] = tally.get(outcome, 0) + 1
            if outcome not in (0, 2):
                findings += outcome != "timeout"
                shown = " ".join(f"'{word}'" if " " in word or "[" in word else word for word in command[:5] + command[8:])
                print(f"{outcome}: {shown}", flush=True)
    print("outcomes:", ", ".join(f"{key}: {count}" for key, count in sorted(tally.items(), key=str)))
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()

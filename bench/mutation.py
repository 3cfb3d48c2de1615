"""Mutation testing (mutmut 3) of the modules where a silent bug would teach something false.

A mutant is the package with one small change (``<`` for ``<=``, ``a - b`` for ``a + b``, a changed
constant or message); the tests *kill* it when one of them fails. A mutant the tests let pass is a
bug they would miss. For each target below this script runs mutmut in a scratch copy of the
repository (the checkout is never touched), then prints, per module, the mutants, the share killed
and every survivor with its change, and exits non-zero when a module is under :data:`TARGET_SCORE`.

A mutant that cannot change any result (an equivalent mutant) is explained by a comment beside
its line, which carries ``# pragma: no mutate`` so mutmut makes no mutant of it; the table counts
those lines.

Not part of CI: it runs each mutant against the tests that reach it, minutes per module.
Run, in the test environment plus mutmut (``pip install -e ".[test,mutation]"``)::

    python bench/mutation.py                  # every target
    python bench/mutation.py optimizers       # some of them: see TARGETS
    python bench/mutation.py --jobs 2 engine  # mutants in parallel (default 1; the machine has 2 cores)
    python bench/mutation.py "explorer compute steps" --files batches.py depth.py  # some files of a target

Only the mutants of the counted functions are run: those of skipped functions (drawing, wording)
are never tested, so they cost nothing.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import fnmatch
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SCORE = 0.90
KILLED = {"killed", "timeout", "caught by type check", "segfault"}  # a test run that did not pass
SURVIVED = {"survived", "no tests", "suspicious"}  # passed, or reached by no test at all


@dataclass(frozen=True)
class Target:
    """Modules to mutate, the tests that may kill their mutants, and which functions count."""

    files: tuple[str, ...]
    tests: tuple[str, ...]
    functions: str = "*"  # fnmatch pattern on the function's name: only its mutants are reported
    skip_functions: tuple[str, ...] = ()  # patterns of functions whose mutants are left out (drawing, wording)
    #: Patterns (``function`` or ``Class.method``) of code that runs only while the module is imported:
    #: mutmut switches to a mutant when a function is called, in a test process forked after the import,
    #: so these mutants are never run. They are counted apart, not scored: every test imports that code.
    at_import: tuple[str, ...] = ()
    note: str = ""


TARGETS: dict[str, Target] = {
    "primitives": Target(("bplab/ops.py",), ("tests/engine",), note="the primitive table",
                         at_import=("elementwise", "elementwise_twin", "EveryInput.__init__")),
    "engine": Target(("bplab/engine.py",), ("tests/engine",), at_import=("_function_method",)),
    "optimizers": Target(("bplab/optim.py",), ("tests/networks/test_optim.py",)),
    "checkers": Target(("bplab/exercises/checkers.py", "bplab/exercises/answers.py"),
                       ("tests/exercises/test_checker_messages.py", "tests/exercises/test_answer_reading.py",
                        "tests/exercises/test_exercise_answers.py", "tests/exercises/test_exercise_registry.py",
                        "tests/test_exercises.py")),
    "course copy": Target(("bplab/app/course_copy.py", "bplab/app/manifest.py", "bplab/app/safe_files.py"),
                          ("tests/test_course_copy.py", "tests/test_safe_files.py", "tests/test_course_folder.py",
                           "tests/test_course_copy_reports.py")),
    "explorer compute steps": Target(
        tuple(sorted(str(p.relative_to(ROOT)) for p in (ROOT / "bplab" / "explorers").glob("*.py")
                     if p.name not in {"__init__.py", "accessible.py", "fast_start.py"})),
        ("tests/explorers", "tests/networks/test_clinic.py"),
        skip_functions=("*draw*", "*describe*", "*figure*", "*trace*", "*widget*", "*title*", "*html*",
                        "*label*", "*__repr__*", "*panel*", "*colour*", "*color*", "*text*", "*_job_loop*",
                        "*_push*", "*_frame_drawn*", "*_browser_caught_up*",
                        # the clinic's four-panel figure and its words; numbers formatted for plain-language text
                        "*dashboard*", "*symptoms*", "kid_number", "_plain", "_kink_note",
                        # drawing helpers (a heatmap's trace, a log axis's range) and sentences or names for the text
                        "_heatmap", "log_range", "line_equation", "domain_problem", "node_names", "_verdict", "_number",
                        # the optimizer race's axes and notes (its distance axis's range has a test all the same),
                        # and the map's place on the page (equal pixels per unit of x and y)
                        "_layout", "map_domains"),
        note="each explorer's computation; drawing, wording and the widget shell left out"),
}

# mutmut's names: bplab.optim.xǁSGDǁ_update__mutmut_2 (a method), bplab.ops.x__same_definition__mutmut_1 (a function)
MUTANT_NAME = re.compile(r"^\s*(?P<name>(?P<module>[A-Za-z0-9_.]+?)\.(?:xǁ(?P<cls>[^ǁ]+)ǁ(?P<method>\w+?)|x_(?P<function>\w+?))"
                         r"__mutmut_\d+): (?P<status>.+?)\s*$")


@dataclass
class ModuleResult:
    module: str
    counts: Counter = field(default_factory=Counter)
    survivors: list[str] = field(default_factory=list)
    explained: int = 0  # lines marked equivalent (pragma: no mutate)
    at_import: int = 0  # mutants of functions that run only at import: never run by mutmut, not scored

    @property
    def mutants(self) -> int:
        return sum(self.counts.values())

    @property
    def killed(self) -> int:
        return sum(n for status, n in self.counts.items() if status in KILLED)

    @property
    def score(self) -> float:
        return self.killed / self.mutants if self.mutants else 1.0


def scratch_copy(destination: Path) -> None:
    """The repository's tracked files (as they are in the working tree) copied to ``destination``."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def top_level_files() -> list[str]:
    """The repository's tracked top-level entries, but the package and the tests (mutmut copies those)."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return sorted({name.split("/")[0] for name in listed.splitlines()} - {"bplab", "tests", "pyproject.toml"})


def mutmut_config(target: Target) -> str:
    """A [tool.mutmut] table: the whole package is copied (so it imports), only the target's files mutated."""
    package_files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "bplab").rglob("*.py"))
    others = [name for name in package_files if name not in target.files]
    quoted = lambda names: "[" + ", ".join(f'"{n}"' for n in names) + "]"  # noqa: E731 - one-line helper
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["bplab"]\n'
        f"do_not_mutate = {quoted(others)}\n"
        f"pytest_add_cli_args_test_selection = {quoted(target.tests)}\n"
        f"also_copy = {quoted(top_level_files())}\n"  # notebooks, README, .ci: some tests read them
        # no notebooks, no browser, no fresh venvs: the unit tests of the target
        'pytest_add_cli_args = ["-p", "no:nbval", "-p", "no:cacheprovider", "-o", "addopts=", '
        '"-m", "not slow and not browser"]\n'
    )


def counts_of(target: Target, results: str, jobs_dir: Path) -> dict[str, ModuleResult]:
    """Per module, the statuses of the mutants of the target's counted functions (``mutmut results``'s lines)."""
    modules = {name.removesuffix(".py").replace("/", "."): ModuleResult(name) for name in target.files}
    for line in results.splitlines():
        match = MUTANT_NAME.match(line)
        if not match:
            continue
        function = match["method"] or match["function"]
        if not fnmatch.fnmatch(function, target.functions) or any(
                fnmatch.fnmatch(function, pattern) for pattern in target.skip_functions):
            continue
        result = modules.get(match["module"])
        if result is None:
            continue
        qualified = f"{match['cls']}.{function}" if match["cls"] else function  # a method: Class.method
        if any(fnmatch.fnmatch(qualified, pattern) for pattern in target.at_import):
            result.at_import += 1
            continue
        result.counts[match["status"]] += 1
        if match["status"] in SURVIVED:
            result.survivors.append(match["name"] + ("" if match["status"] == "survived" else f" ({match['status']})"))
    for result in modules.values():
        result.explained = sum("# pragma: no mutate" in line
                               for line in (jobs_dir / result.module).read_text().splitlines())
    return modules


def change_of(mutant: str, workdir: Path) -> str:
    """The changed line of ``mutant``, from ``mutmut show``'s diff (``- old`` then ``+ new``)."""
    shown = subprocess.run([sys.executable, "-m", "mutmut", "show", mutant], cwd=workdir, capture_output=True,
                           text=True).stdout
    removed = [line[1:].strip() for line in shown.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in shown.splitlines() if line.startswith("+") and not line.startswith("+++")]
    return f"{' / '.join(removed)[:110]}  ->  {' / '.join(added)[:110]}"


def counted_functions(target: Target, path: str) -> list[str]:
    """The functions and methods (``Class.method``) of ``path`` whose mutants the table counts.

    Nested functions belong to the function around them, as they do in mutmut's names.
    """
    tree = ast.parse((ROOT / path).read_text())
    functions = [(None, node.name) for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    functions += [(node.name, item.name) for node in tree.body if isinstance(node, ast.ClassDef)
                  for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return [f"{cls}.{function}" if cls else function for cls, function in functions
            if fnmatch.fnmatch(function, target.functions)
            and not any(fnmatch.fnmatch(function, pattern) for pattern in target.skip_functions)
            and not any(fnmatch.fnmatch(f"{cls}.{function}" if cls else function, pattern)
                        for pattern in target.at_import)]


def mutant_patterns(target: Target) -> list[str]:
    """mutmut name patterns of the counted functions' mutants: only these are run (a skipped one costs nothing)."""
    patterns = []
    for path in target.files:
        module = path.removesuffix(".py").replace("/", ".")
        for qualified in counted_functions(target, path):
            cls, _, method = qualified.rpartition(".")
            patterns.append(f"{module}.xǁ{cls}ǁ{method}__mutmut_*" if cls else f"{module}.x_{method}__mutmut_*")
    return patterns


def only_files(target: Target, patterns: list[str]) -> Target:
    """``target`` with only the files whose names match one of ``patterns`` (``batches.py``, ``*race*``)."""
    files = tuple(f for f in target.files if any(fnmatch.fnmatch(Path(f).name, p) or fnmatch.fnmatch(f, p)
                                                  for p in patterns))
    if not files:
        raise SystemExit(f"--files {' '.join(patterns)} matches none of the target's files: "
                         f"{', '.join(Path(f).name for f in target.files)}")
    return dataclasses.replace(target, files=files)


def run_target(name: str, target: Target, jobs: int, show_changes: bool) -> list[ModuleResult]:
    patterns = mutant_patterns(target)
    if not patterns:  # mutmut given no name runs every mutant: the opposite of "none counted"
        raise SystemExit(f"{name!r}: no counted function in {', '.join(target.files)}; nothing to run")
    with tempfile.TemporaryDirectory(prefix="bplab-mutation-") as scratch:
        workdir = Path(scratch)
        scratch_copy(workdir)
        with (workdir / "pyproject.toml").open("a") as config:
            config.write(mutmut_config(target) + f"max_children = {jobs}\n")
        started = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "mutmut", "run", *patterns], cwd=workdir,
                             capture_output=True, text=True)
        if run.returncode != 0:
            tail = (run.stdout + run.stderr)[-2000:]
            raise SystemExit(f"mutmut run failed for {name!r} (exit {run.returncode}):\n{tail}")
        results = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=workdir,
                                 capture_output=True, text=True, check=True).stdout
        modules = list(counts_of(target, results, workdir).values())
        print(f"\n## {name}{f' ({target.note})' if target.note else ''}: {time.monotonic() - started:.0f} s, "
              f"tests: {', '.join(target.tests)}")
        for result in modules:
            if result.survivors:
                print(f"survivors in {result.module}:")
                for mutant in result.survivors:
                    change = f"  {change_of(mutant.split(' ')[0], workdir)}" if show_changes else ""
                    print(f"  {mutant.split('.')[-1]}{change}")
        return modules


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET", help=f"some of: {', '.join(TARGETS)} (default all)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--files", nargs="+", metavar="NAME",
                        help="only these files of the targets (file names or patterns, e.g. batches.py '*race*')")
    parser.add_argument("--no-changes", action="store_true", help="list survivors without their changed lines")
    args = parser.parse_args(argv)
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown target {', '.join(map(repr, unknown))}; the targets are {', '.join(map(repr, TARGETS))}")
    if args.files and not args.targets:  # each target's files differ: a pattern names files of one of them
        parser.error(f"--files {' '.join(args.files)}: name the target too, e.g. "
                     f"python bench/mutation.py 'explorer compute steps' --files {' '.join(args.files)}")
    try:
        import mutmut  # noqa: F401 - only to say how to install it
    except ImportError:
        raise SystemExit('mutmut is not installed: pip install -e ".[test,mutation]"') from None
    table: list[ModuleResult] = []
    for name in args.targets or list(TARGETS):
        target = only_files(TARGETS[name], args.files) if args.files else TARGETS[name]
        table += run_target(name, target, args.jobs, show_changes=not args.no_changes)
    print("\n| module | mutants | killed | survived | score | equivalent lines (no mutate) | run at import (not scored) |"
          "\n|---|---|---|---|---|---|---|")
    for result in table:
        print(f"| {result.module} | {result.mutants} | {result.killed} | {result.mutants - result.killed} | "
              f"{result.score:.1%} | {result.explained} | {result.at_import} |")
    below = [r.module for r in table if r.score < TARGET_SCORE]
    print(f"\ntarget: at least {TARGET_SCORE:.0%} killed in each module; "
          + (f"below it: {', '.join(below)}" if below else "every module meets it"))
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())

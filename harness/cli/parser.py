"""The command line's parser: every command and its options and help (``harness run``'s in
``run_options``).

Importing it stays light (no measurement code): ``harness --help`` answers at once. The
commands themselves live in ``harness.cli`` (dispatch) and its run, report and ab modules.
"""

from __future__ import annotations

import argparse

from harness import exit_codes
from harness._version import __version__
from harness.cli.arguments import PERCENT, Parser, UsageError, int_at_least, positive_float, probability
from harness.cli.history_options import add_history_parser
from harness.cli.run_options import add_run_parser, config_from_args

__all__ = ["build_parser", "config_from_args", "UsageError"]

# harness.execution.capacity.MAX_PROCESSES, repeated so that --help does not import the probe.
_MAX_PROBE_PROCESSES = 1024
# harness.compare.ab.DEFAULT_ROUNDS, repeated so that every command's parser stays light
# (tests/test_ab.py pins it, and the exit code, equal).
_AB_DEFAULT_ROUNDS, _AB_EXIT_UNSTABLE = 5, exit_codes.UNSTABLE


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="harness",
        description="Do threads, processes, pools or a cluster pay off for this CPU-bound function, "
                    "on this machine, by how much, and why?",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    add_run_parser(sub)
    _add_report_and_compare_parsers(sub)
    _add_ab_parser(sub)
    add_history_parser(sub)
    _add_list_and_env_parsers(sub)
    return parser


def _add_report_and_compare_parsers(sub) -> None:
    report = sub.add_parser("report", help="build the HTML/PNG/CSV/markdown report from a results.json",
                            description="Build report.html, the PNG plots, results.csv and summary.md.")
    report.add_argument("results", metavar="RESULTS.json", help="a results.json written by harness run")
    report.add_argument("--out", default=None, metavar="DIR", help="output folder (default: beside RESULTS.json)")
    report.add_argument("--baseline", default=None, metavar="BASELINE.json",
                        help="add a comparison section against this earlier results file")

    compare = sub.add_parser(
        "compare", help="compare two results files; exit 1 on a significant regression",
        description="Per configuration: ratio of medians with its interval and a Mann-Whitney U test. "
                    "A regression is significant AND slower by more than --threshold. "
                    "Accepts harness results.json and pytest-benchmark JSON files.")
    compare.add_argument("baseline", metavar="BASELINE",
                         help="the earlier results (harness or pytest-benchmark JSON); several runs may be pooled: "
                              "FILE,FILE,... or a quoted glob such as 'base-*/results.json'")
    compare.add_argument("current", metavar="CURRENT",
                         help="the new results, spelled like BASELINE. Runs of base and head made in alternation "
                              "(base, head, base, head, ...) and pooled per side cancel drift between runs")
    compare.add_argument("--threshold", type=positive_float(PERCENT), default=10.0, metavar="PCT",
                         help="slowdown in percent that counts as a regression when significant (default: 10)")
    compare.add_argument("--alpha", type=probability(), default=0.05, metavar="P",
                         help="significance level of the test, 0 < P < 1 (default: 0.05)")
    compare.add_argument("--markdown", default=None, metavar="FILE", help="also write the table as markdown to FILE")
    compare.add_argument("--strict", action="store_true",
                         help="refuse to compare runs from different machines, Pythons or GIL modes")
    compare.add_argument("--raw", action="store_true",
                         help="judge the raw times even where both sides timed the reference loop (harness run "
                              "--reference); by default each repeat is divided by its reference time")


def _add_list_and_env_parsers(sub) -> None:
    sub.add_parser("list", help="backends and workloads available here, and why any is not",
                   description="List every backend and workload, with availability here.")
    env = sub.add_parser("env", help="machine and interpreter facts, as recorded in results",
                         description="Print the machine and interpreter facts recorded in results.json.")
    env.add_argument("--capacity", nargs="?", const=0, default=None, type=int_at_least(1, _MAX_PROBE_PROCESSES),
                     metavar="PROCESSES",
                     help="also measure how much parallel CPU throughput the machine delivers: the poly loop in "
                          "process 0 alone vs PROCESSES at once (default: the usable CPUs), alternating in 0.1 s "
                          "slices for about 4 s. Ideal: PROCESSES; a shared or hyperthreaded machine gives less, "
                          "and no backend's speedup can beat it")


def _paragraphs(*texts: str) -> str:
    """Paragraphs filled to the terminal's width, for help text that has more than one."""
    import shutil
    import textwrap

    width = max(min(shutil.get_terminal_size().columns, 100) - 2, 40)
    return "\n\n".join(textwrap.fill(text, width) for text in texts)


def _add_ab_parser(sub) -> None:
    ab = sub.add_parser(
        "ab", help="CI gate: measure two git refs in one job, alternated, and compare; exit 1 on a regression",
        allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_paragraphs("Check BASE and HEAD out into temporary git worktrees (your working tree is never touched), "
                    "run the same sweep on each side in alternation (base, head, head, base, ...) for --rounds "
                    "rounds, always with --reference, and judge the pooled rounds by harness compare's rule. "
                    "Each side's workload (--workload MODULE:FUNCTION) is imported from its own worktree; "
                    "harness is this installation. The worktrees are removed on every way out."),
        epilog=_paragraphs("sweep options: every option of 'harness run' (see harness run --help: --backends, --workers, --n, "
               "--workload, --repeat, ...), written after BASE and HEAD, is passed on to each side's run "
               "(--reference is added unless given, and --repeat 5 unless --repeat is given, so that every round "
               "measures alike; --resume is refused).",
               "exit codes: 0 no regression; 1 a regression, or a configuration failed; 2 bad input (unknown ref, not a git repository, "
               "a ref without the workload module, a bad option) or a side could not run; "
               f"{_AB_EXIT_UNSTABLE} no regression found, but a configuration is 'unstable, not judged' (one side's own "
               "rounds disagree by more than --threshold, significantly); 130/143 interrupted.",
               "example: harness ab main HEAD --workload mywork:crunch --backends serial,pool --workers 2"))
    ab.add_argument("base", metavar="BASE", help="the git ref to compare against (branch, tag or commit)")
    ab.add_argument("head", metavar="HEAD", help="the git ref under test")
    ab.add_argument("--repo", default=".", metavar="DIR",
                    help="a folder in the git repository that holds the workload; each side's copy of this folder "
                         "is its current folder and first on PYTHONPATH (default: the current folder)")
    ab.add_argument("--rounds", type=int_at_least(1), default=_AB_DEFAULT_ROUNDS, metavar="K",
                    help=f"rounds of one run per side, alternated and pooled per side (default: {_AB_DEFAULT_ROUNDS})")
    ab.add_argument("--threshold", type=positive_float(PERCENT), default=10.0, metavar="PCT",
                    help="slowdown in percent that counts as a regression when significant; also how far one "
                         "side's rounds may disagree before a configuration is unstable (default: 10)")
    ab.add_argument("--alpha", type=probability(), default=0.05, metavar="P",
                    help="significance level of the test, 0 < P < 1 (default: 0.05)")
    ab.add_argument("--markdown", default=None, metavar="FILE", help="also write the table as markdown to FILE")
    ab.add_argument("--out", default=None, metavar="DIR",
                    help="a new or empty folder for each side's rounds (DIR/base-K/results.json, "
                         "DIR/head-K/results.json) and sides.json (default: reports/ab-<UTC timestamp>/)")
    ab.add_argument("--setup", default=None, metavar="CMD",
                    help="a shell command run in each side's folder before its first round, e.g. to install that "
                         "side's dependencies into its own venv; that side's runs then use the venv's Python "
                         "(--setup-python), with this harness on its path")
    ab.add_argument("--setup-python", default=None, metavar="PATH",
                    help="with --setup: the side's Python, relative to its folder (default: .venv/bin/python "
                         "where --setup made it, else this interpreter)")
    ab.add_argument("--quiet", action="store_true", help="no progress bar")



"""``harness history``'s subcommands and their options, with their help (kept light: no measurement code)."""

from __future__ import annotations

from harness.cli.arguments import PERCENT, Parser, int_at_least, positive_float, probability

__all__ = ["DEFAULT_DB", "SWEEP_COMMANDS", "add_history_parser"]

DEFAULT_DB = "reports/history.sqlite"
# The subcommands that pass the options they do not know on to harness run, as harness ab does.
SWEEP_COMMANDS = ("run", "find")
_AB_DEFAULT_ROUNDS = 5  # harness.compare.ab.DEFAULT_ROUNDS (pinned equal by tests/test_history_cli.py)
_SWEEP_EPILOG = ("sweep options: every option of 'harness run' (--backends, --workers, --n, --workload, --repeat, ...), "
                 "written after the commits, is passed on to each commit's run, as harness ab does (--reference, and "
                 "--repeat 5 unless --repeat is given, are added).")


def _db(parser) -> None:
    parser.add_argument("--db", default=DEFAULT_DB, metavar="DB",
                        help=f"the history store: a SQLite file, made when missing (default: {DEFAULT_DB}), or "
                             "postgresql://USER@HOST:PORT/DBNAME for a team's shared store (pip install "
                             "'harness[postgresql]')")


def _judging(parser, what: str) -> None:
    parser.add_argument("--threshold", type=positive_float(PERCENT), default=10.0, metavar="PCT",
                        help=f"{what} in percent that counts when significant (default: 10, harness compare's)")
    parser.add_argument("--alpha", type=probability(), default=0.05, metavar="P",
                        help="significance level of the Mann-Whitney U test, 0 < P < 1 (default: 0.05)")


def _branch(parser, what: str) -> None:
    parser.add_argument("--branch", default=None, metavar="B", help=what)


def _repo(parser) -> None:
    parser.add_argument("--repo", default=".", metavar="DIR",
                        help="a folder in the git repository whose commits these are; for run and find each commit's "
                             "copy of this folder is its run's current folder and first on PYTHONPATH "
                             "(default: the current folder)")


def _add_add(sub) -> None:
    add = sub.add_parser("add", help="add results.json files (sweeps) to the history store",
                         description="Add each RESULTS.json to the store, one transaction each, under its commit: "
                                     "--commit, else the results' own git_commit. Adding a file twice adds it once.")
    add.add_argument("results", nargs="+", metavar="RESULTS.json", help="results.json files written by harness run")
    add.add_argument("--commit", default=None, metavar="SHA",
                     help="the commit the results measured (required when they record none, or a -dirty one)")
    _branch(add, "the branch the commit was measured on (default: the repository's current branch)")
    _repo(add)
    _db(add)
    add.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _sweep_parser(sub, name: str, help: str, description: str):
    """A subcommand that passes the options it does not know on to harness run: no abbreviations,
    so that harness run's --n is never read as one of its own options."""
    return sub.add_parser(name, help=help, allow_abbrev=False, epilog=_SWEEP_EPILOG, description=description)


def _add_run(sub) -> None:
    run = _sweep_parser(sub, "run", "measure a range of commits in temporary worktrees and add each to the store",
                        "Check each commit of RANGE out into a temporary detached worktree, run the sweep there "
                        "(harness ab's machinery) and add it to the store at once. Commits the store already holds "
                        "for this machine and configuration are skipped, so an interrupted run goes on where it "
                        "stopped when run again.")
    run.add_argument("range", metavar="A..B", help="the commits after A up to B in first-parent order, or one commit "
                                                   "and all its first-parent ancestors")
    run.add_argument("--step", type=int_at_least(1), default=1, metavar="K",
                     help="measure every K-th commit, counted back from the newest (default: 1, every commit)")
    run.add_argument("--passes", type=int_at_least(1), default=1, metavar="P",
                     help="measure the range P times over, one sweep per commit per pass, in alternate directions, so "
                          "that a slow spell of a shared machine moves a share of one commit's samples, not all; each "
                          "pass costs one sweep per commit (default: 1). A commit is skipped once the store holds P "
                          "sweeps of it")
    run.add_argument("--confirm", type=int_at_least(0), default=2, metavar="N",
                     help="once the range is measured, find its steps and measure the two commits either side of "
                          "each N more times, so that one slow sweep beside a step does not move it; repeated (up to "
                          "3 rounds) when that moves a step (default: 2; 0: off)")
    _judging(run, "a step worth confirming")
    _repo(run)
    _db(run)
    _branch(run, "the branch the sweeps are filed under (default: the repository's current branch)")
    run.add_argument("--out", default=None, metavar="DIR",
                     help="where each commit's results.json is kept (default: reports/history-<UTC timestamp>/)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_regressions_and_check(sub) -> None:
    regressions = sub.add_parser("regressions", help="list the open steps of every series",
                                 description="Detect the steps of every series (time, speedup, busy cores, memory) and "
                                             "list the open ones: series, commit range, before -> after, change, p.")
    _db(regressions)
    regressions.add_argument("--json", action="store_true", help="print a JSON list of objects instead of a table")
    regressions.add_argument("--all", action="store_true", help="also list steps that a later step closed")
    _judging(regressions, "a step's size")
    _branch(regressions, "only sweeps measured on this branch (default: all)")

    check = sub.add_parser("check", help="CI gate: exit 1 when a commit opens a regression against the trend",
                           description="Exit 1 when the commit starts a step that makes a property worse, or, among "
                                       "the newest commits, is worse than its segment by harness compare's rule.")
    _db(check)
    check.add_argument("--commit", default="HEAD", metavar="REF",
                       help="the commit to judge, resolved in --repo (default: HEAD)")
    _repo(check)
    _judging(check, "a change")
    _branch(check, "only sweeps measured on this branch (default: all)")


def _add_find_and_report(sub) -> None:
    find = _sweep_parser(sub, "find", "bisect between two commits with alternated rounds: the first slower commit",
                         "Measure GOOD against BAD in alternated rounds (harness ab's protocol); when BAD is slower "
                         "beyond --threshold, bisect the first-parent commits between them, each midpoint measured "
                         "against GOOD. The last line printed is the first bad commit. Exit 0: found; 1: BAD is not "
                         "slower than GOOD; 2: bad input.")
    find.add_argument("good", metavar="GOOD", help="a commit that is not slow")
    find.add_argument("bad", metavar="BAD", help="a later commit that is slower")
    _repo(find)
    find.add_argument("--rounds", type=int_at_least(1), default=_AB_DEFAULT_ROUNDS, metavar="K",
                      help=f"alternated rounds per comparison (default: {_AB_DEFAULT_ROUNDS}); a comparison "
                           "that cannot tell (no regression, but an interval reaching past the threshold) "
                           "measures as many rounds again, once, and is judged on all of them")
    _judging(find, "slowdown")
    find.add_argument("--out", default=None, metavar="DIR",
                      help="where each comparison's rounds are kept (default: reports/find-<UTC timestamp>/)")
    find.add_argument("--quiet", action="store_true", help="no progress bar")

    report = sub.add_parser("report", help="write the HTML trend page and its PNG figures",
                            description="A self-contained trend page: one section per machine and interpreter, a "
                                        "figure per configuration group (time and speedup over commits, steps "
                                        "marked), and the regressions table.")
    _db(report)
    report.add_argument("--out", default="reports/history", metavar="DIR",
                        help="the folder for history.html and the PNGs (default: reports/history)")
    _judging(report, "a step's size")
    _branch(report, "only sweeps measured on this branch (default: all)")


def add_history_parser(sub) -> None:
    history = sub.add_parser("history", help="every commit's sweep in a database: trends, steps, the commit that "
                                             "caused each; a CI gate",
                             description="History across commits: add sweeps, measure ranges, list the steps, gate "
                                         "a commit against the trend, bisect, and write the trend page.")
    commands = history.add_subparsers(dest="history_command", metavar="SUBCOMMAND", parser_class=Parser)
    commands.required = True
    _add_add(commands)
    _add_run(commands)
    _add_regressions_and_check(commands)
    _add_find_and_report(commands)

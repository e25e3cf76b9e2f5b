"""``harness ab BASE HEAD``: a CI gate that measures both commits in one job, in alternation.

asv's ``continuous`` protocol with harness's drift reference and compare's statistics:

1. ``BASE`` and ``HEAD`` (git refs of the repository holding the workload) are checked out
   into temporary detached worktrees (:mod:`harness.compare.ab.worktrees`); the user's working
   tree is never touched, and no branch is made.
2. ``--setup CMD`` (optional) runs in each worktree first, for example to build that
   side's own virtualenv; that side's runs then use its Python.
3. ``--rounds K`` rounds (default 5) each run the same sweep once per side, base then head,
   then head then base, ... (:mod:`harness.compare.ab.rounds`), always with ``--reference``, each
   a ``harness run`` in that side's worktree, so its workload is imported from that commit.
4. Each side's rounds are pooled and judged by ``harness compare``'s rule
   (:mod:`harness.compare.ab.judge`); a configuration whose side's own rounds disagree by more than
   the threshold is "unstable, not judged" (:mod:`harness.compare.ab.agreement`).
5. The worktrees are removed on every way out; the results files stay in the output
   folder (OUT/base-K/results.json, OUT/head-K/results.json), readable by ``harness
   compare`` and ``harness report --baseline``.

Exit codes (the CLI's; compare's, plus one):

* 0: no regression, every configuration judged;
* 1: a regression (significant and beyond the threshold) in a configuration whose rounds agree,
  or a configuration that failed on a side (timed out, crashed, computed a wrong result);
* 2: bad input (an unknown ref, a folder that is no git repository, a ref without the
  workload module, a bad option), or a side's setup or run could not run at all;
* 3: no regression found, but at least one configuration is "unstable, not judged";
* 130 / 143: interrupted by SIGINT / SIGTERM: the worktrees and every child process are gone,
  the rounds finished so far stay in the output folder.
"""

from __future__ import annotations

from harness import exit_codes
from harness.compare.ab.agreement import Disagreement, round_disagreement
from harness.compare.ab.judge import judge_rounds, mark_unstable
from harness.compare.ab.rounds import SIDES, AbRunError, SideRunner, round_folder, round_order
from harness.compare.ab.worktrees import GitError, Worktree, repository_root, resolve_commit, side_worktrees

__all__ = [
    "DEFAULT_ROUNDS",
    "EXIT_UNSTABLE",
    "SIDES",
    "AbRunError",
    "Disagreement",
    "GitError",
    "SideRunner",
    "Worktree",
    "judge_rounds",
    "mark_unstable",
    "repository_root",
    "resolve_commit",
    "round_disagreement",
    "round_folder",
    "round_order",
    "side_worktrees",
]

DEFAULT_ROUNDS = 5
EXIT_UNSTABLE = exit_codes.UNSTABLE  # harness ab's own code, kept in harness.exit_codes with the others

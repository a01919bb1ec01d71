"""Every hostile submission in corpus/ is graded, and five things must hold for each.

Each entry breaks exactly one part of assignment/ (add, scale, norm, pair; chain, a call
sequence: forward, backward, a Tally object and its add method; drive, a scenario in the
grader's process that drives a Counter object call by call) in one hostile way (or fails at
import). For every entry:

(a) the run finishes within its bound: the import timeout, plus the part's timeout for each
    call the behaviour is expected to hang, plus SLACK seconds;
(b) the hostile part scored 0 (or lost points, or, for a behaviour the grader contains without
    harm such as a leaked daemon, full marks) and its message says why, in words a student
    understands; an import-time failure gives every part 0 with that reason;
(c) every other part got full marks;
(d) nothing changed outside the scratch space: the other corpus entries, the assignment (the
    copy graded and the one in the repository), the repository's problems/ and /tmp (top
    level and one below); the grader's own grader-run-* folders are gone;
(e) no process is left: no descendant of the test process (which is a child subreaper, so
    daemons stay descendants), hence no grader worker and nothing running as a student uid.

Entries that test a guarantee only the namespaces give (reading files outside the sandbox,
writing outside scratch, setsid daemons, a fork bomb run as root) are skipped, with the
reason, where full isolation is unavailable, and run with ``--sandbox strict`` so that a
failure to isolate mid-run stops them instead of running them unconfined. Entries whose point
is what reaches stdout are graded through the CLI.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, replace

import pytest

from ._lab import CORPUS, SLACK, CliRun, Graded, Lab, Observation

PARTS = ("add", "scale", "norm", "pair", "chain", "drive")
CATEGORIES = ("res", "crash", "forge", "steal", "fool", "import", "fs", "leak")

# Why each namespace-only entry needs full isolation.
READ = "reading files outside the sandbox"
WRITE = "writing outside the scratch space"
DAEMON = "a setsid daemon outliving the worker"
NPROC = "a fork bomb run as root: RLIMIT_NPROC binds only for the unprivileged uid"
DISK = "a scratch space capped in size"
NETWORK = "no network"
KEYRINGS = "kernel keyrings refused (a seccomp filter)"
KERNEL = "no System V IPC object outliving the worker (an IPC namespace, or refused)"
WATCH = "no file watches (inotify and fanotify refused by the seccomp filter)"
DUMPABLE = ("an out-of-memory score a student cannot lower (without root, a worker is root"
            " of its own user namespace and owns its /proc files)")

# The tiers whose promise each guarantee is (the README's security table): "full", and the
# confined level, with a uid per job slot (as root) or without.
CONFINED = ("full", "confined-uid", "confined")
PROMISED = {READ: CONFINED, WRITE: CONFINED, DAEMON: CONFINED, NETWORK: CONFINED,
            KEYRINGS: CONFINED, KERNEL: CONFINED, WATCH: CONFINED, NPROC: ("full", "confined-uid"),
            DUMPABLE: ("full", "confined-uid"), DISK: ("full",)}
DENIED = "Permission denied"  # what Landlock answers, where no namespace hides the path


@dataclass(frozen=True)
class Expect:
    part: str | None  # the hostile part; None: fails at import, so every part scores 0
    reason: str = ""  # must appear in the part's message (and in the submission's error)
    score: str = "zero"  # zero | lost (less than full) | full (contained, graded as usual)
    hangs: int = 0  # calls expected to end by a timeout, for the time bound
    full_only: str = ""  # the guarantee this entry tests, which some levels lack (PROMISED)
    root_only: str = ""  # a guarantee of full isolation as root only (see the README)
    cli: str = ""  # "grade" (JSON) or "check" (text, -v): what reaches stdout is the point
    or_reason: str = ""  # an acceptable alternative to ``reason``
    forbid: str = ""  # must not appear in the part's message
    printed: tuple[str, ...] = ()  # must appear in the captured output kept in the report
    confined: str = ""  # the reason at the confined level, where it differs (a behaviour
    # that is harmless under full isolation may be refused there, and then loses points)
    no_uid: str = ""  # the same, at the confined level without a uid of its own


EXPECTED: dict[str, Expect] = {
    # resource exhaustion
    "res_fork_bomb": Expect("add", "timed out after 1s", hangs=1, full_only=NPROC),
    "res_memory_50gb": Expect("scale", "MemoryError: Unable to allocate 46.6 GiB"),
    "res_memory_growth": Expect("norm", "MemoryError"),
    "res_cpu_spin": Expect("pair", "timed out after 1s", hangs=1),
    "res_sleep_forever": Expect("add", "timed out after 1s", hangs=1),
    "res_reply_flood": Expect("add", "timed out after 1s", hangs=1),
    "res_huge_output": Expect("scale", "timed out after 1s", hangs=1, cli="grade",
                              printed=("spam and eggs", "output truncated")),
    "res_huge_file": Expect("norm", "File too large"),
    "res_too_many_files": Expect("pair", "Too many open files"),
    "res_thread_bomb": Expect("add", "can't start new thread"),
    # One outcome per interpreter: Python 3.12 raises RecursionError for C recursion itself.
    "res_deep_recursion": Expect("scale", "killed by signal SIGSEGV while running scale()",
                                 or_reason="RecursionError: maximum recursion depth exceeded"),
    "res_recursion_error": Expect("norm", "RecursionError: maximum recursion depth exceeded"),
    # crash and exit
    "crash_segfault": Expect("norm", "killed by signal SIGSEGV while running norm()"),
    "crash_os_exit_call": Expect("pair", "exited with code 0 while running pair()"),
    "crash_sys_exit_call": Expect("add", "called sys.exit(0)"),
    "crash_sys_exit_import": Expect(None, "import failed: called sys.exit(0)"),
    "crash_abort": Expect("scale", "killed by signal SIGABRT while running scale()"),
    "crash_sigkill_self": Expect("norm", "killed by signal SIGKILL while running norm()"),
    "crash_keyboard_interrupt": Expect("pair", "KeyboardInterrupt"),
    "crash_ptrace_traceme": Expect("scale", "killed by signal SIGKILL while running scale()"),
    "crash_base_exception": Expect("add", "GraderEscape: out of here"),
    "crash_hostile_exception": Expect("add", "Booby"),
    # forgery and attacks on the parent
    "forge_print_fake_report": Expect("scale", "elements mismatched", score="lost", cli="grade",
                                      printed=("FORGED-JSON", "FORGED-SCORE", "FORGED-RAW")),
    "forge_print_fake_score": Expect("scale", "elements mismatched", score="lost", cli="check",
                                     printed=("Score: 8 / 8",)),
    "forge_reply_proc_fd": Expect("norm", "invalid reply", score="lost", forbid="12345",
                                  confined=DENIED),
    "forge_reply_fd_scan": Expect("scale", "invalid reply", score="lost", forbid="12345"),
    "forge_garbage_fds": Expect("add", "invalid reply"),
    "forge_close_fds": Expect("scale", "while running scale()"),
    "forge_npy_huge_claim": Expect("norm", "output too large"),
    "forge_npy_bad_dtype": Expect("scale", "not a numeric array"),
    "forge_npy_refused_shape": Expect("scale", "not a numeric array"),
    "forge_json_depth_bomb": Expect("norm", "invalid reply", score="lost"),
    "forge_pickle_npy": Expect("norm", "not a numeric array"),
    "forge_pickle_object": Expect("scale", "not a numeric array"),
    "forge_always_equal": Expect("pair", "not a numeric array"),
    "forge_ndarray_subclass": Expect("add", "elements mismatched"),
    "forge_float_subclass": Expect("norm", "elements mismatched"),
    "forge_array_object_dtype": Expect("scale", "not a numeric array"),
    "forge_oversized_output": Expect("norm", "output too large"),
    "forge_generator": Expect("add", "not a numeric array"),
    "forge_none": Expect("norm", "returned None"),
    "forge_string": Expect("scale", "not a numeric array"),
    "forge_complex": Expect("pair", "complex values"),
    # structured values (grader.values): only plain data crosses back
    "forge_nested_bomb": Expect("pair", "nested more than 16 levels deep"),
    "forge_dict_int_keys": Expect("scale", "keys must be strings"),
    "forge_dict_subclass_lies": Expect("norm", "expected a scalar, got a dict of 1"),
    "forge_tuple_getitem_exit": Expect("pair", "not a numeric array",
                                       or_reason="expected a tuple of 2 outputs"),
    "forge_tuple_lying_len": Expect("pair", "not a numeric array",
                                    or_reason="expected a tuple of 2 outputs"),
    # stealing
    "steal_reference_abspath": Expect("add", "No such file or directory", full_only=READ,
                                      confined=DENIED),
    "steal_walk_filesystem": Expect("scale", "found no reference solution", full_only=READ),
    "steal_import_sys_path": Expect("norm", "No module named 'solution'", full_only=READ),
    "steal_undeclared_package": Expect("norm", "No module named 'yaml'", full_only=READ,
                                       confined=DENIED),
    # Through the CLI, so that the grader's own command line holds the assignment's path and
    # its environment (from exec) the secret.
    "steal_proc": Expect("pair", "nothing to steal in /proc", full_only=READ, cli="grade",
                         confined=DENIED),
    "steal_os_environ": Expect("add", "nothing to steal in the environment"),
    "steal_list_siblings": Expect("scale", "no other submissions visible", full_only=READ),
    "steal_expected_cache": Expect("pair", "found no cached expected outputs", full_only=READ),
    "steal_hidden_key": Expect("add", "no hidden key to steal", full_only=READ),
    "steal_network": Expect("norm", "Network is unreachable", full_only=NETWORK),
    "steal_file_watch": Expect("norm", score="full", full_only=WATCH),
    "steal_user_keyring": Expect("add", "keyrings refused", full_only=KEYRINGS),
    "res_oom_score_lowered": Expect("scale", "oom score 1000", full_only=DUMPABLE,
                                    root_only=DUMPABLE, confined=DENIED),
    # fooling the comparison
    "fool_patch_allclose": Expect("norm", "elements mismatched"),
    "fool_patch_testing": Expect("pair", "elements mismatched"),
    "fool_patch_builtins": Expect("add", "elements mismatched"),
    # (under full and confined isolation the grader's own modules need PyYAML, which the
    # assignment does not declare: the import itself is refused)
    "fool_patch_grader": Expect("pair", "elements mismatched",
                                or_reason="No module named 'yaml': the assignment does not "
                                          "allow it"),
    "fool_import_hook": Expect("scale", "elements mismatched"),
    "fool_nan": Expect("scale", "NaN"),
    "fool_shape_for_scalar": Expect("norm", "shape mismatch"),
    "fool_broadcast_dims": Expect("add", "shape mismatch"),
    # failures at import time
    "import_missing_module": Expect(None, "No module named 'numpy_extensions_for_homework'"),
    "import_infinite_loop": Expect(None, "importing hw.py timed out after 1s", hangs=1),
    "import_os_exit": Expect(None, "exited with code 0 while importing hw.py"),
    "import_syntax_error": Expect(None, "SyntaxError"),
    "import_memory_error": Expect(None, "MemoryError"),
    # filesystem tampering
    "fs_write_own_folder": Expect("add", "Read-only file system", full_only=WRITE, confined=DENIED),
    "fs_tamper_siblings": Expect("scale", "No such file or directory", full_only=WRITE,
                                 confined=DENIED),
    "fs_write_assignment": Expect("norm", "No such file or directory", full_only=WRITE,
                                  confined=DENIED),
    "fs_write_tmp": Expect("pair", score="full", full_only=WRITE, confined=DENIED),
    "fs_symlink_escape": Expect("add", "No such file or directory", full_only=WRITE,
                                confined=DENIED),
    "fs_chmod_outside": Expect("add", "No such file or directory", full_only=WRITE,
                               confined="PermissionError"),
    "fs_symlink_cleanup": Expect("scale", score="full"),
    "fs_chmod_scratch": Expect("scale", score="full", no_uid="Operation not permitted"),
    "fs_fill_scratch": Expect("norm", "No space left on device", full_only=DISK),
    "fs_poison_expected_cache": Expect("add", "No such file or directory", full_only=WRITE,
                                       confined=DENIED),
    # leaked processes: the call itself succeeds; nothing may outlive the grading
    "leak_double_fork": Expect("pair", score="full"),
    "leak_setsid_daemon": Expect("add", score="full", full_only=DAEMON),
    "leak_popen_sleep": Expect("scale", score="full"),
    "leak_thread": Expect("norm", score="full"),
    "leak_sysv_ipc": Expect("scale", score="full", full_only=KERNEL),
    "leak_mp_pool": Expect("pair", score="full", confined=DENIED),
    # call sequences (chain: forward, backward, a Tally and its add): the student's caches and
    # objects stay in the student's process; only the returned values cross back
    "leak_cache_fd_thread": Expect("chain", score="full"),
    "leak_constructor_forks": Expect("chain", score="full"),
    "crash_cache_del_exit": Expect(
        "chain", "exited with code 0 while running the steps (forward, backward, Tally, t.add)"),
    "crash_step_deep_raise": Expect("chain", "step 4 (t.add)", cli="check"),
    "res_step_sleep": Expect("chain", "timed out after 1s", hangs=1),
    "forge_getattr_fabricates": Expect("chain", "not a numeric array"),
    "forge_step_dict_int_keys": Expect("chain", "keys must be strings"),
    "forge_step_nested_deep": Expect("chain", "nested more than 16 levels deep"),
    "forge_step_tuple_lies": Expect("chain", "step 1 (forward): returned a Lying of 3"),
    "fool_patch_steps": Expect("chain", "elements mismatched"),
    # scenarios (drive: trusted code in the grader's process calls Counter's methods, one
    # request each, through handles): the student's process answers each request, and only
    # fetched values cross back
    "forge_scenario_reply_handle": Expect("drive", "invalid reply from the process"),
    "forge_scenario_reply_fetch": Expect("drive", "invalid reply from the process"),
    "forge_scenario_reply_rids": Expect("drive", "malformed reply from the student process",
                                        or_reason="invalid reply from the process"),
    "forge_scenario_len_huge": Expect(
        "drive", "Counter().bounds(): not a sequence that can be unpacked"),
    "crash_scenario_len_raises": Expect("drive", "len(Counter().bounds()): LookupError",
                                        cli="check"),
    "res_scenario_sleep": Expect("drive", "timed out after 1s", hangs=1),
    "crash_scenario_setattr_raises": Expect(
        "drive", "setting Counter().step: AttributeError: step is read-only"),
    "crash_scenario_setattr_exit": Expect(
        "drive", "exited with code 0 while running setting Counter().step"),
    "crash_scenario_del_exit": Expect(
        "drive", "exited with code 0 while running dropping the case's objects"),
    "forge_scenario_getattr_fabricates": Expect("drive", "not a numeric array"),
    "fool_patch_held": Expect("drive", "elements mismatched"),
}

ENTRIES = sorted(p.name for p in CORPUS.iterdir() if (p / "hw.py").is_file())


def test_every_corpus_entry_has_an_expectation() -> None:
    assert sorted(EXPECTED) == ENTRIES
    per_category = Counter(name.split("_")[0] for name in ENTRIES)
    assert set(per_category) == set(CATEGORIES)
    assert min(per_category.values()) >= 3, per_category
    assert len(ENTRIES) >= 40
    for name, expect in EXPECTED.items():
        assert expect.part in (*PARTS, None), name
        assert expect.score in ("zero", "lost", "full"), name
        assert (expect.score == "full") == (not expect.reason), name


@pytest.mark.parametrize("name", ENTRIES)
def test_hostile_submission(lab: Lab, name: str) -> None:
    expect = EXPECTED[name]
    if expect.full_only:
        lab.require(expect.full_only, *PROMISED[expect.full_only])
    refused = expect.no_uid if lab.tier == "confined" and expect.no_uid else expect.confined
    if refused and lab.level == "confined":
        expect = replace(expect, reason=refused, or_reason="",
                         score="lost" if expect.score == "full" else expect.score)
    if expect.root_only and os.geteuid() != 0:
        pytest.skip(f"needs root: {expect.root_only}")
    folder = lab.corpus / name
    if expect.cli:
        observed = lab.observe(lambda: lab.grade_cli(folder))
        cli: CliRun = observed.graded
        failures = check_cli(cli)
        graded = cli.submissions.get(name)
        if graded is None and cli.report is not None:
            failures.append(f"the report has no result for {name}")
        if expect.cli == "check":
            shown = lab.observe(lambda: lab.cli("check", folder, "--all", "-v"))
            failures += check_text(shown.graded) + check_left_nothing(shown)
    else:
        sandbox = lab.strict if expect.full_only else "auto"
        observed = lab.observe(lambda: lab.grade(folder, sandbox))
        graded = observed.graded
        failures = check_isolation_kept(lab, graded) if graded is not None else []
    failures += check_time(lab, expect, observed)
    if graded is not None:
        failures += check_parts(expect, graded)
    failures += check_left_nothing(observed)
    assert not failures, f"{name}:\n  " + "\n  ".join(failures)


# --- the checks -------------------------------------------------------------------------------

def check_time(lab: Lab, expect: Expect, observed: Observation) -> list[str]:
    """(a) Finished within the import timeout, the expected timeouts and some slack."""
    call = lab.timeouts[expect.part] if expect.part else 0.0
    bound = lab.import_timeout + expect.hangs * call + SLACK
    if observed.seconds > bound:
        return [f"(a) took {observed.seconds:.1f}s, bound {bound:.1f}s"]
    return []


def check_parts(expect: Expect, graded: Graded) -> list[str]:
    """(b) The hostile part's score and reason; (c) full marks for every other part."""
    out = []
    if expect.part is None:
        for function, part in graded.parts.items():
            if part.score != 0 or expect.reason not in part.message:
                out.append(f"(b) {function}: expected 0 with {expect.reason!r}, got "
                           f"{part.score:g}/{part.max_score:g}: {part.message!r}")
        if expect.reason not in graded.error:
            out.append(f"(b) submission error {graded.error!r} lacks {expect.reason!r}")
        return out
    part = graded.parts[expect.part]
    got = f"got {part.score:g}/{part.max_score:g}: {part.message!r}"
    if expect.score == "zero" and part.score != 0:
        out.append(f"(b) {expect.part}: expected 0, {got}")
    elif expect.score == "lost" and part.score >= part.max_score:
        out.append(f"(b) {expect.part}: expected lost points, {got}")
    elif expect.score == "full" and part.score != part.max_score:
        out.append(f"(b) {expect.part}: the behaviour is harmless once contained and the "
                   f"function returns the right answer, expected full marks, {got}")
    if expect.reason not in part.message and not (
            expect.or_reason and expect.or_reason in part.message):
        wanted = " or ".join(repr(r) for r in (expect.reason, expect.or_reason) if r)
        out.append(f"(b) {expect.part}: message lacks {wanted}: {got}")
    if expect.forbid and expect.forbid in part.message:
        out.append(f"(b) {expect.part}: message shows {expect.forbid!r}: {part.message!r}")
    for printed in expect.printed:
        if printed not in graded.output:
            out.append(f"(b) captured output kept in the report lacks {printed!r}: "
                       f"{graded.output[-200:]!r}")
    for function, other in graded.parts.items():
        if function != expect.part and other.score != other.max_score:
            out.append(f"(c) {function} (not hostile): got {other.score:g}/"
                       f"{other.max_score:g}: {other.message!r}")
    return out


def check_left_nothing(observed: Observation) -> list[str]:
    """(d) Nothing written outside scratch, no run folder left; (e) no process left. And the
    grader itself did not raise."""
    out = [f"the grader raised: {observed.raised}"] if observed.raised else []
    out += [f"(d) {change}" for change in observed.changed]
    out += [f"(d) grader run folder left behind: {run}" for run in observed.left_runs]
    out += [f"(e) process left: {proc.describe()}" for proc in observed.left_procs]
    return out


def check_isolation_kept(lab: Lab, graded: Graded) -> list[str]:
    """Isolation (full or confined), once reached, must not be silently lost for a hostile
    submission."""
    if lab.level in ("full", "confined") and graded.level != lab.level:
        return [f"isolation fell back to {graded.level!r}: {' '.join(graded.warnings)}"]
    return []


def check_cli(cli: CliRun) -> list[str]:
    """stdout carries the report and nothing else: one JSON document, a sane size, and the
    score the parts add up to (never one the student printed)."""
    out = []
    if cli.returncode != 0:
        out.append(f"CLI exited {cli.returncode}: {cli.stderr[-500:]}")
    if cli.report is None:
        out.append(f"stdout is not one JSON document: {cli.stdout[:300]!r}")
        return out
    if len(cli.stdout) > 1 << 20:
        out.append(f"stdout is {len(cli.stdout)} bytes")
    for sub in cli.report["submissions"]:
        total = sum(p["score"] for problem in sub["problems"] for p in problem["parts"])
        if abs(sub["score"] - total) > 1e-6:
            out.append(f"reported score {sub['score']} is not the parts' total {total}")
        if len(sub.get("output", "")) > 16 << 10:
            out.append(f"captured output kept in the report is {len(sub['output'])} chars")
    return out


def check_text(cli: CliRun) -> list[str]:
    """`grader check -v` shows what the code printed, but only as quoted text: no terminal
    control characters, and no line that reads as the grader's own score."""
    out = []
    if cli.returncode != 0:
        out.append(f"check exited {cli.returncode}: {cli.stderr[-500:]}")
    controls = sorted({repr(ch) for ch in cli.stdout if ch != "\n" and not ch.isprintable()})
    if controls:
        out.append(f"check -v stdout carries control characters {', '.join(controls)}")
    scores = [line for line in cli.stdout.splitlines() if line.strip().startswith("Score:")]
    if len(scores) != 1:
        out.append(f"check -v stdout has {len(scores)} lines that read as the score: {scores}")
    return out

"""The README is tested: every ```bash and ```python block of README.md runs here, in order, in
a temporary folder, with the installed ``carerota`` command and this environment's Python.

A command that cannot run here is listed in ``NOT_RUN`` with the reason (it installs packages,
needs the internet, runs for minutes as a record run, or is the test suite itself); a listed
command is still checked for drift (its subcommand, options, module or file must exist). A new
block or command that is neither run nor listed fails the test, and so does a listed command the
README no longer has. ``carerota serve`` is started on a free port, answers ``/health``, and is
stopped. Commands that name the shared data folder (``../shared``) run against
``optimiser.settings.shared_path()`` (``$CAREROTA_SHARED``) and skip when it is absent.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from optimiser.settings import shared_path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
CI_RUN = REPO / ".ci" / "run"

# Commands (after `&&` splitting, comments and line continuations removed, spaces collapsed)
# that this test does not run, each with its reason.
NOT_RUN = {
    "pip install -c constraints.txt -e .":
        "installs carerota; this test runs in an environment where it is installed",
    "pip install -q -c constraints.txt -e '.[test,bench]'":
        "the README's test command: .ci/run runs it in a new virtual environment; this test runs inside it",
    "python -m pytest -q":
        "the test suite this test is part of",
    'curl -s -X POST "http://127.0.0.1:8000/v1/jobs?previous=$LAST_WEEK_JOB" -H "X-API-Key: $KEY" '
    '-H "Content-Type: application/json" --data @next.json':
        "needs a running carerota serve, a key and a finished job; tests/api/test_previous.py runs the same request",
    'carerota network fetch --place "Oakham, UK" --mode car -o oakham.graphml':
        "needs the internet (OpenStreetMap's Overpass API)",
    "pip install -c constraints.txt -e '.[bench]'":
        "installs packages; the test and bench extras are installed already",
    "carerota bench --suite ci":
        ".ci/run runs it after the tests (minutes, against benchmarks/baseline.json)",
    "carerota bench --suite full --time-limit 30":
        "hours: the record run for benchmarks/RESULTS.md",
    "python -m benchmarks.days --sizes 300,1000,2000":
        "minutes: a record run",
    "python benchmarks/geo_bench.py":
        "minutes: a record run",
    "python -m benchmarks.step_rate R104,R211":
        "minutes, on the shared Solomon instances: a record run",
    "python -m benchmarks.step_rate --day 1000 --mankowska F1 --kummer HHCRSP_200_40_7_1.2_R_C --seconds 20":
        "a minute, on the shared home-care instances: a record run; tests/benchmarks/test_step_rate.py runs it small",
    "python -m benchmarks.vroom_days --visits 300,1000 --seconds 30 --seeds 1,2":
        "minutes: a record run; tests/benchmarks/test_vroom_days.py runs it on a 30-visit day",
    "python -m benchmarks.week --days 7 --visits 300 --carers 75 --seeds 1,2,3 --time-limit 300":
        "an hour: the record run; tests/benchmarks/test_week.py runs it on a 3-day horizon",
    "python -m benchmarks.api_load":
        "a 60 s load test with 20 clients: a record run",
    "python -m benchmarks.api_fuzz --examples 50":
        "minutes: the record run; tests/api/test_fuzz.py runs the same harness with fewer examples",
}

# Commands this test runs with a change, each with its reason.
ADJUSTED = {
    "carerota solve": ("carerota solve --time-limit 3",
                       "the embedded 300-visit day's own limit is 30 s; 3 s shows the same command works"),
}

# Fenced blocks in other languages are documents or output, not commands.
INERT = {"json": "a JSON document, not a command", "text": "output, not a command"}
SHELL = {"bash", "sh", "shell"}

# Commands never run unless listed: they change the machine or reach the network.
NEVER_UNLISTED = {"pip", "pip3", "uv", "apt-get", "apt", "sudo", "curl", "wget", "git"}

SEGMENT_TIMEOUT = 240


@dataclass
class Block:
    line: int  # 1-based line of the opening fence
    lang: str
    heading: str
    text: str

    @property
    def id(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.heading.lower()).strip("-")[:40]
        return f"L{self.line}-{self.lang or 'unlabelled'}-{slug}"


def readme_blocks(text: str | None = None) -> list[Block]:
    text = README.read_text() if text is None else text
    blocks, heading, fence, lang, start, body = [], "", None, "", 0, []
    for n, line in enumerate(text.splitlines(), 1):
        if fence is None:
            if line.startswith("#"):
                heading = line.lstrip("#").strip()
            m = re.match(r"^(```+)\s*([\w+-]*)", line)
            if m:
                fence, lang, start, body = m.group(1), m.group(2).lower(), n, []
        elif line.startswith(fence) and not line.strip("`").strip():
            blocks.append(Block(start, lang, heading, "\n".join(body)))
            fence = None
        else:
            body.append(line)
    assert fence is None, f"README.md: the block opened at line {start} is never closed"
    return blocks


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def shell_commands(block: Block) -> list[str]:
    """The block's commands: continuations joined, comments dropped, split at ``&&``."""
    logical, current = [], ""
    for raw in block.text.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    if current:
        logical.append(current)
    out = []
    for line in logical:
        line = _strip_comment(line)
        for segment in line.split("&&"):
            segment = " ".join(segment.split())
            if segment:
                out.append(segment)
    return out


def is_assignment(cmd: str) -> bool:
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S*", cmd) is not None


def program(cmd: str) -> list[str]:
    """The command's words without leading ``NAME=value`` environment assignments."""
    words = shlex.split(cmd)
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        words.pop(0)
    return words


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    status: str = "ok"  # ok | skipped | failed
    messages: list[str] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    listed: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Runner:
    """Runs the README's blocks in order in one temporary folder."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.shared = shared_path()
        home = workdir.parent / "home"
        home.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "CAREROTA_DB_PATH"}
        env.update(
            HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"),
            CAREROTA_CACHE=str(home / "cache" / "carerota"), CAREROTA_SHARED=str(self.shared),
            # this environment's carerota and python come first
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        self.env = env
        self.keys: list[str] = []

    def localise(self, cmd: str) -> str:
        """Paths that are relative to the repository in the README, made absolute."""
        cmd = cmd.replace("../shared/", f"{self.shared}/")
        return re.sub(r"(?<![\w/.])(patches/examples/)", f"{REPO}/patches/examples/", cmd)

    def run_block(self, block: Block) -> Outcome:
        out = Outcome()
        if block.lang == "python":
            return self.run_python(block, out)
        assignments: list[str] = []
        for cmd in shell_commands(block):
            if is_assignment(cmd):
                assignments.append(cmd)
                continue
            if cmd in NOT_RUN:
                out.listed.append(cmd)
                continue
            words = program(cmd)
            if words and words[0] in NEVER_UNLISTED:
                out.status = "failed"
                out.messages.append(f"{cmd!r}: not run (it would change this machine or reach the network); "
                                    "list it in NOT_RUN with the reason")
                return out
            if "../shared" in cmd + " ".join(assignments) and not self.shared.is_dir():
                out.status = "skipped"
                out.messages.append(f"needs the shared data folder {self.shared} (set CAREROTA_SHARED): {cmd}")
                return out
            run = ADJUSTED.get(cmd, (cmd, ""))[0]
            script = "; ".join([*(self.localise(a) for a in assignments), self.localise(run)])
            out.ran.append(run)
            if words[:2] == ["carerota", "serve"]:
                error = self.check_serve(script)
            else:
                error = self.shell(script)
            if error:
                out.status = "failed"
                out.messages.append(f"{cmd}\n(run as: {script})\n{error}")
                return out
        return out

    def shell(self, script: str) -> str | None:
        try:
            p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=self.workdir, env=self.env,
                               capture_output=True, text=True, timeout=SEGMENT_TIMEOUT)
        except subprocess.TimeoutExpired:
            return f"still running after {SEGMENT_TIMEOUT} s"
        if p.returncode != 0:
            return f"exit code {p.returncode}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-3000:]}"
        self.keys += re.findall(r"\bcrk_[A-Za-z0-9_-]+", p.stdout)  # a key a later 'carerota serve' must accept
        return None

    def check_serve(self, script: str) -> str | None:
        """Start the server on a free port instead of the README's, wait for /health, stop it."""
        port = _free_port()
        if re.search(r"--port[ =]\d+", script):
            script = re.sub(r"--port[ =]\d+", f"--port {port}", script)
        else:
            script += f" --port {port}"
        log = self.workdir / f"serve-{port}.log"
        proc = subprocess.Popen(["bash", "-c", script], cwd=self.workdir, env=self.env, stdout=log.open("wb"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            end = time.monotonic() + 60
            while time.monotonic() < end:
                if proc.poll() is not None:
                    return f"the server exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                        health = json.load(r)
                    if health.get("status") != "ok":
                        return f"/health answered {health}"
                    return self.check_keys(port)
                except OSError:
                    time.sleep(0.3)
            return f"no answer on /health within 60 s:\n{log.read_text()[-3000:]}"
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()

    def check_keys(self, port: int) -> str | None:
        """Every API key an earlier README command printed works on this server (the keys
        command and the server must use the same database)."""
        for key in self.keys:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/jobs", headers={"X-API-Key": key})
            try:
                urllib.request.urlopen(request, timeout=10).close()
            except urllib.error.HTTPError as err:
                return f"the API key printed earlier in the README gets {err.code} from this server"
        return None

    def run_python(self, block: Block, out: Outcome) -> Outcome:
        path = self.workdir / f"readme_block_{block.line}.py"
        path.write_text(block.text + "\n")
        out.ran.append(f"python {path.name}")
        try:
            p = subprocess.run([sys.executable, str(path)], cwd=self.workdir, env=self.env, capture_output=True,
                               text=True, timeout=SEGMENT_TIMEOUT)
        except subprocess.TimeoutExpired:
            out.status = "failed"
            out.messages.append(f"still running after {SEGMENT_TIMEOUT} s")
            return out
        if p.returncode != 0:
            out.status = "failed"
            out.messages.append(f"exit code {p.returncode}\n{block.text}\nstdout: {p.stdout[-2000:]}\n"
                                f"stderr: {p.stderr[-3000:]}")
        out.messages.append(p.stdout[-500:])
        return out


BLOCKS = readme_blocks()
RUNNABLE = [b for b in BLOCKS if b.lang in SHELL or b.lang == "python"]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[int, Outcome]:
    """Every runnable block, run once, in README order (later blocks use earlier blocks' files)."""
    workdir = tmp_path_factory.mktemp("readme") / "work"
    workdir.mkdir()
    runner = Runner(workdir)
    return {b.line: runner.run_block(b) for b in RUNNABLE}


@pytest.mark.slow
@pytest.mark.parametrize("block", RUNNABLE, ids=[b.id for b in RUNNABLE])
def test_readme_block_runs(block: Block, outcomes: dict[int, Outcome]) -> None:
    outcome = outcomes[block.line]
    if outcome.status == "skipped":
        pytest.skip("; ".join(outcome.messages))
    assert outcome.status == "ok", f"README.md line {block.line} ({block.heading}):\n" + "\n".join(outcome.messages)
    assert outcome.ran or outcome.listed


def test_python_example_prints_the_cost_per_contact_hour(outcomes: dict[int, Outcome]) -> None:
    python = [b for b in BLOCKS if b.lang == "python"]
    assert python, "README.md has no Python example"
    out = outcomes[python[0].line]
    assert out.status == "ok", out.messages
    assert re.search(r"£\d+\.\d\d per contact hour", out.messages[-1]), out.messages


# --------------------------------------------------------------------------- nothing unrun, nothing stale


def test_every_block_is_run_or_listed() -> None:
    for b in BLOCKS:
        assert b.lang in SHELL or b.lang == "python" or b.lang in INERT, (
            f"README.md line {b.line}: a ```{b.lang or '(no language)'} block; label it bash or python "
            "so this test runs it, or add the language to INERT with the reason")


def test_every_listed_command_is_still_in_the_readme() -> None:
    commands = {c for b in BLOCKS if b.lang in SHELL for c in shell_commands(b)}
    assert not (set(NOT_RUN) - commands), f"stale NOT_RUN entries: {sorted(set(NOT_RUN) - commands)}"
    assert not (set(ADJUSTED) - commands), f"stale ADJUSTED entries: {sorted(set(ADJUSTED) - commands)}"


def test_every_unlisted_command_can_be_run() -> None:
    for b in BLOCKS:
        if b.lang not in SHELL:
            continue
        for cmd in shell_commands(b):
            if cmd in NOT_RUN or is_assignment(cmd):
                continue
            words = program(cmd)
            assert words and words[0] not in NEVER_UNLISTED, (
                f"README.md line {b.line}: {cmd!r} would change this machine or reach the network: "
                "list it in NOT_RUN with the reason")


@pytest.mark.parametrize("cmd", sorted(NOT_RUN))
def test_listed_commands_still_exist(cmd: str) -> None:
    """A command the test does not run must still name a real subcommand, option, module or file."""
    words = program(cmd)
    if words[0] == "pip":
        if "-c" in words:
            assert (REPO / words[words.index("-c") + 1]).is_file()
        extras = re.findall(r"\.\[([\w,]+)\]", cmd)
        pyproject = (REPO / "pyproject.toml").read_text()
        for extra in ",".join(extras).split(",") if extras else []:
            assert re.search(rf"^{extra} = \[", pyproject, re.M), f"no extra {extra!r} in pyproject.toml"
    elif words[:3] == ["python", "-m", "pytest"]:
        assert importlib.util.find_spec("pytest") is not None
    elif words[:2] == ["python", "-m"]:
        assert importlib.util.find_spec(words[2]) is not None, f"no module {words[2]}"
        _assert_options(cmd, [sys.executable, "-m", words[2], "--help"], words[3:])
    elif words[0] == "python":
        assert (REPO / words[1]).is_file(), f"no file {words[1]}"
    elif words[0] == "carerota":
        sub = [w for w in words[1:3] if not w.startswith("-")]
        _assert_options(cmd, [sys.executable, "-m", "optimiser.cli", *sub, "--help"], words[1:])
    elif words[0] == "curl":  # a request to the service: its path, method and query names exist
        from urllib.parse import parse_qs, urlsplit

        from api.main import create_app

        url = urlsplit(next(w for w in words if w.startswith("http")))
        method = words[words.index("-X") + 1].lower() if "-X" in words else "get"
        operation = create_app().openapi()["paths"][url.path][method]
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        assert set(parse_qs(url.query)) <= names, f"{cmd!r}: no such query parameter"
    else:
        pytest.fail(f"no drift check for {cmd!r}")


def _assert_options(cmd: str, help_command: list[str], args: list[str]) -> None:
    options = [a.split("=")[0] for a in args if a.startswith("--")]
    if not options:
        return
    p = subprocess.run(help_command, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert p.returncode == 0, f"{' '.join(help_command)}: {p.stderr[-1000:]}"
    for option in options:
        assert option in p.stdout, f"{cmd!r}: {option} is not an option any more"


# --------------------------------------------------------------------------- .ci/run runs the README's test command


def readme_test_command() -> str:
    text = README.read_text()
    m = re.search(r"^<!-- test-command[^\n]*-->\n```bash\n(.*?)\n```\n<!-- /test-command -->$", text, re.M | re.S)
    assert m, "README.md: no ```bash block between <!-- test-command --> and <!-- /test-command -->"
    lines = [ln for ln in m.group(1).splitlines() if ln.strip()]
    assert len(lines) == 1, f"the test command must be one line: {lines}"
    return lines[0]


def test_ci_runs_the_readme_test_command() -> None:
    command = readme_test_command()
    assert "-c constraints.txt" in command and (REPO / "constraints.txt").is_file()
    assert "python -m pytest" in command
    ci = CI_RUN.read_text()
    runs = [line for line in ci.splitlines() if line.startswith(command)]
    assert runs == [f"{command} || status=$?"], ".ci/run must run the README's test command word for word, once"
    assert '-m venv "$venv_dir/venv"' in ci and "carerota bench --suite ci" in ci


def test_constraints_pin_the_test_tools_together() -> None:
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (REPO / "constraints.txt").read_text(), re.M))
    assert pins["pytest"].startswith(("8.", "9.0.", "9.1.")), pins["pytest"]
    assert pins["schemathesis"].startswith("4."), pins["schemathesis"]
    header = (REPO / "constraints.txt").read_text().split("\n# ----\n")[0]
    assert "uv pip compile pyproject.toml" in header and "deliberately" in header


def test_constraints_pin_every_dependency_pyproject_names() -> None:
    """A dependency added to pyproject.toml without regenerating constraints.txt is caught here."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"],
              *project["optional-dependencies"]["bench"]]

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    pins = {norm(n) for n in re.findall(r"^([A-Za-z0-9_.-]+)==", (REPO / "constraints.txt").read_text(), re.M)}
    names = {norm(re.match(r"[A-Za-z0-9_.-]+", req).group(0)) for req in wanted}
    assert not names - pins, f"not in constraints.txt (regenerate it, see its header): {sorted(names - pins)}"

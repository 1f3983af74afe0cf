#!/usr/bin/env python3
"""strata-run started by the launchers NeMo users use: Open MPI's mpirun and Slurm's srun.

Both take the rank and the size from the launcher (MPI_Init, through PMIx under both), and the
progress display knows it is not on a terminal. A tensor-parallel-2 artifact
(tests/e2e/models/tp-train.yaml) is compiled once, then:

  mpirun   `mpirun -np 2 strata-run train` with standard output to a pipe: trains, one
           checkpoint, plain progress lines (no carriage return, no escape sequence) although
           Open MPI gives every rank a pseudo-terminal; `-np 3`: every rank stops with the mesh
           error naming its own rank and the launcher's size 3 ("rank 2 of 3"), non-zero exit;
           one process on a terminal (a pty from Python's pty module) draws the progress bar,
           and `mpirun` on a terminal does not (the ranks cannot see the final output).
  slurm    the same two runs through `srun --mpi=pmix -n 2|3` on a private one-node Slurm
           cluster this test starts in its own temporary directory (munged, slurmctld and
           slurmd on free ports, ProctrackType=proctrack/linuxproc, TaskPlugin=task/none,
           MpiDefault=pmix), stopped at the end. Needs Debian's slurmd, slurmctld,
           slurm-client and munge (scripts/install-deps.sh) and root (slurmd starts jobs as
           their user); otherwise it is skipped (exit 77) and says what is missing.

Usage: launchers.py {mpirun|slurm} --strata-compile BIN --strata-run BIN
"""
import argparse
import os
import pty
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "tests" / "e2e" / "models" / "tp-train.yaml"
CORPUS = REPO / "data" / "corpora" / "moby-dick.txt"
SKIP = 77
# One machine, as root: Open MPI's environment forms of --allow-run-as-root, --oversubscribe and
# --mca pml ob1 --mca btl self,vader (docs/launchers.md).
MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
    "OMPI_MCA_pml": "ob1",
    "OMPI_MCA_btl": "self,vader",
    "OMP_NUM_THREADS": "1",
}


class Failure(Exception):
    pass


def tail(text, lines=30):
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run(cmd, env, cwd, timeout=180):
    """(exit code, stdout + stderr) of |cmd| with its output to a pipe."""
    try:
        done = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise Failure(f"{' '.join(map(str, cmd))}: still running after {timeout} s:\n"
                      f"{tail((e.output or b'').decode(errors='replace'))}")
    return done.returncode, done.stdout.decode(errors="replace")


def run_on_terminal(cmd, env, cwd, timeout=180):
    """(exit code, output) of |cmd| with a pseudo-terminal as its standard output and error."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execvpe(cmd[0], cmd, env)
    chunks, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    else:
        os.kill(pid, signal.SIGKILL)
        raise Failure(f"{' '.join(cmd)} on a terminal: still running after {timeout} s")
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode(errors="replace")


def check_plain(output, what):
    if "\r" in output or "\x1b" in output:
        bad = next(line for line in output.split("\n") if "\r" in line or "\x1b" in line)
        raise Failure(f"{what}: progress drawn for a terminal (carriage return or escape "
                      f"sequence) into a pipe: {bad!r}")


def check_training(launch, artifact, work, env, launcher):
    """|launch| (a list ending where strata-run's own arguments start) with 2 ranks."""
    checkpoints = work / f"{launcher}-run"
    code, output = run(launch("2") + [str(artifact), "--data", str(CORPUS), "--steps", "3",
                                      "--checkpoint-dir", str(checkpoints), "--threads", "1"],
                       env, work)
    if code != 0:
        raise Failure(f"{launcher}: 2-rank training exited {code}:\n{tail(output)}")
    check_plain(output, f"{launcher} -n 2 train")
    if "step 3/3" not in output or "done: step 3" not in output:
        raise Failure(f"{launcher}: no plain progress line 'step 3/3' or summary:\n{tail(output)}")
    # One rank writes: exactly one line per step in the metrics, one checkpoint.
    steps = [line for line in (checkpoints / "metrics.jsonl").read_text().splitlines()
             if '"step"' in line and '"loss"' in line]
    if not (checkpoints / "latest" / "model.safetensors").exists():
        raise Failure(f"{launcher}: no checkpoint at {checkpoints}/latest/model.safetensors")
    print(f"{launcher}: 2 ranks trained 3 steps, plain progress lines, "
          f"{len(steps)} metric lines, checkpoint {os.readlink(checkpoints / 'latest')}")


def check_size_mismatch(launch, artifact, work, env, launcher):
    code, output = run(launch("3") + [str(artifact), "--data", str(CORPUS), "--steps", "1",
                                      "--threads", "1"], env, work)
    if code == 0:
        raise Failure(f"{launcher}: 3 ranks for a 2-rank artifact exited 0:\n{tail(output)}")
    expected = ("the artifact's mesh dp=1 x pp=1 x tp=2 needs 2 ranks; the launcher started 3 "
                "(start it with mpirun -np 2 or srun --mpi=pmix -n 2)")
    if expected not in output:
        raise Failure(f"{launcher}: 3 ranks: expected {expected!r}, got:\n{tail(output)}")
    # The rank and size in the error come from the launcher, not from the artifact.
    ranks = [r for r in range(3) if f"(rank {r} of 3)" in output]
    if not ranks:
        raise Failure(f"{launcher}: no 'rank R of 3' in the errors:\n{tail(output)}")
    print(f"{launcher}: 3 ranks for a 2-rank artifact: exit {code}, "
          f"'needs 2 ranks; the launcher started 3' from rank(s) {ranks}")


def compile_artifact(args, work):
    artifact = work / "tp2.strata"
    code, output = run([args.strata_compile, str(MODEL), "--tp", "2", "trainer.devices=2",
                        "-o", str(artifact)], os.environ.copy(), work)
    if code != 0:
        raise Failure(f"strata-compile exited {code}:\n{tail(output)}")
    return artifact


def test_mpirun(args, work):
    mpirun = shutil.which("mpirun")
    if not mpirun:
        print("SKIP: no mpirun (Debian's openmpi-bin)")
        return SKIP
    env = dict(os.environ, **MPI_ENV)
    artifact = compile_artifact(args, work)

    def launch(n):
        return [mpirun, "-np", n, args.strata_run, "train"]

    check_training(launch, artifact, work, env, "mpirun")
    check_size_mismatch(launch, artifact, work, env, "mpirun")

    # A terminal: one process draws the bar; the ranks of mpirun print lines even there.
    single = work / "single.strata"
    code, output = run([args.strata_compile, str(MODEL), "-o", str(single)], env, work)
    if code != 0:
        raise Failure(f"strata-compile exited {code}:\n{tail(output)}")
    train = [args.strata_run, "train", str(single), "--data", str(CORPUS), "--steps", "3",
             "--threads", "1"]
    code, output = run_on_terminal(train, env, work)
    if code != 0 or "\r\x1b[2K" not in output or "[" + "#" * 20 + "]" not in output:
        raise Failure(f"one process on a terminal: expected the redrawn bar "
                      f"('\\r\\x1b[2K' and a full [####...] bar), exit {code}:\n{output!r}")
    code, output = run_on_terminal([mpirun, "-np", "1"] + train, env, work)
    if code != 0:
        raise Failure(f"mpirun -np 1 on a terminal exited {code}:\n{tail(output)}")
    check_plain(output.replace("\r\n", "\n"), "mpirun on a terminal")
    print("terminal: one process draws the bar; under mpirun plain lines")
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlurmCluster:
    """munged, slurmctld and slurmd of one node, all files in |root|."""

    PROGRAMS = {"munged": "munge", "slurmctld": "slurmctld", "slurmd": "slurmd",
                "srun": "slurm-client", "sinfo": "slurm-client"}

    @classmethod
    def missing(cls):
        found = {name: shutil.which(name) or shutil.which(name, path="/usr/sbin")
                 for name in cls.PROGRAMS}
        absent = sorted({cls.PROGRAMS[n] for n, path in found.items() if not path})
        plugin_dirs = [Path("/usr/lib/x86_64-linux-gnu/slurm-wlm"), Path("/usr/lib/slurm")]
        if not absent and not any((d / "mpi_pmix.so").exists() for d in plugin_dirs):
            absent.append("slurm-wlm-basic-plugins (mpi_pmix.so)")
        return absent, found

    def __init__(self, root, programs):
        self.root, self.p = root, programs
        self.daemons = []
        self.host = socket.gethostname()
        self.conf = root / "slurm.conf"
        self.env = dict(os.environ, SLURM_CONF=str(self.conf), **MPI_ENV)

    def start(self):
        r = self.root
        r.mkdir(mode=0o700)
        for d in ("munge", "state", "spool", "log"):
            (r / d).mkdir(mode=0o700)
        (r / "munge" / "key").write_bytes(os.urandom(1024))
        os.chmod(r / "munge" / "key", 0o400)
        self.socket = r / "munge" / "socket"
        self._daemon([self.p["munged"], "--force", f"--key-file={r}/munge/key",
                      f"--socket={self.socket}", f"--pid-file={r}/munge/pid",
                      f"--log-file={r}/munge/log", f"--seed-file={r}/munge/seed"],
                     r / "munge" / "pid")
        self.conf.write_text(f"""\
ClusterName=stratatest
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
AuthType=auth/munge
AuthInfo=socket={self.socket}
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/log/slurmctld.log
SlurmdLogFile={r}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=pmix
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MailProg=/bin/true
SlurmdParameters=config_overrides
NodeName={self.host} NodeAddr=127.0.0.1 CPUs={max(os.cpu_count() or 1, 4)} State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE
""")
        self._daemon([self.p["slurmctld"], "-f", str(self.conf)], r / "slurmctld.pid")
        self._daemon([self.p["slurmd"], "-f", str(self.conf)], r / "slurmd.pid")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = subprocess.run([self.p["sinfo"], "-h", "-o", "%T"], env=self.env,
                                  capture_output=True, text=True)
            if done.returncode == 0 and done.stdout.strip() in ("idle", "mixed"):
                return
            time.sleep(0.5)
        raise Failure(f"the private Slurm node did not become idle within 60 s:\n"
                      f"{self.logs()}")

    def _daemon(self, cmd, pid_file):
        """Starts a daemon that forks itself away, and remembers its pid."""
        done = subprocess.run(cmd, env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise Failure(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr}\n"
                          f"{self.logs()}")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if pid_file.exists() and pid_file.read_text().strip():
                self.daemons.append(int(pid_file.read_text().split()[0]))
                return
            time.sleep(0.1)
        raise Failure(f"{cmd[0]} wrote no pid file {pid_file}:\n{self.logs()}")

    def logs(self):
        parts = []
        for log in (self.root / "munge" / "log", self.root / "log" / "slurmctld.log",
                    self.root / "log" / "slurmd.log"):
            if log.exists():
                parts.append(f"--- {log.name}:\n{tail(log.read_text(errors='replace'), 15)}")
        return "\n".join(parts)

    def stop(self):
        for pid in reversed(self.daemons):  # the pids this test started, last first
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)


def test_slurm(args, work):
    absent, programs = SlurmCluster.missing()
    if absent:
        print(f"SKIP: Slurm is not installed here (missing: {', '.join(absent)}); "
              "scripts/install-deps.sh installs it")
        return SKIP
    if os.geteuid() != 0:
        print("SKIP: a private slurmd must run as root to start jobs (this test runs as uid "
              f"{os.geteuid()})")
        return SKIP
    artifact = compile_artifact(args, work)
    cluster = SlurmCluster(work / "slurm", programs)
    try:
        cluster.start()

        def launch(n):
            return [programs["srun"], "--mpi=pmix", "-n", n, args.strata_run, "train"]

        check_training(launch, artifact, work, cluster.env, "srun")
        check_size_mismatch(launch, artifact, work, cluster.env, "srun")
    except Failure as e:
        raise Failure(f"{e}\n{cluster.logs()}")
    finally:
        cluster.stop()
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("launcher", choices=["mpirun", "slurm"])
    parser.add_argument("--strata-compile", required=True)
    parser.add_argument("--strata-run", required=True)
    args = parser.parse_args()
    args.strata_compile = str(Path(args.strata_compile).resolve())
    args.strata_run = str(Path(args.strata_run).resolve())
    work = Path(tempfile.mkdtemp(prefix=f"strata-launchers-{args.launcher}-"))
    # The ranks' working directory: the slurm daemons' dirs live here too, so keep it short.
    try:
        code = (test_mpirun if args.launcher == "mpirun" else test_slurm)(args, work)
    except Failure as e:
        print(f"FAIL: {e}")
        print(f"files kept in {work}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    if code == 0:
        print(f"launchers {args.launcher}: passed")
    return code


if __name__ == "__main__":
    sys.exit(main())

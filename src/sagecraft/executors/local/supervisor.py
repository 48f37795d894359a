"""Supervise one workload: ``python -S -E supervisor.py RUN_DIR`` (a standalone script, stdlib only).

With isolation "namespaces" it runs as pid 1 of fresh mount/uts/pid(/net) namespaces made by
``unshare``: it binds the instance folder on /opt/ml, names the host, spawns the command, and
when it exits the kernel kills whatever the command left behind. It timestamps the command's
stdout/stderr into output.log, enforces the max runtime, turns a stop request (the ``stop`` file
plus SIGTERM) into SIGTERM-then-SIGKILL of the whole tree, and writes the ``exit`` record that
any server process reads later. See records.py for the files.

Start-up time matters (it is on the path from CreateTrainingJob to the first log line), so this
imports no json, subprocess or signal/enum: only C-level modules and os.
"""

import _signal as signal  # the C module: `signal` would import enum, ~10 ms at every job start
import os
import select
import sys
import time

MAX_LINE = 64 * 1024  # longer lines are split (a CloudWatch event holds at most 256 KB)
DRAIN_SECONDS = 2.0  # after the command exits, how long stray holders of its pipes may keep them open
SIGNAL_NAMES = {1: "SIGHUP", 2: "SIGINT", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM"}


def read_kv(path):
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f.read().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                out[key] = value
    return out


def read_nul(path):
    with open(path, "rb") as f:
        return [item.decode() for item in f.read().split(b"\0")[:-1]]


def write_kv(path, values):
    body = "".join(f"{k}={'' if v is None else str(v).replace(chr(10), ' ')}\n" for k, v in values.items())
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(body)
    os.replace(tmp, path)


class Log:
    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.partial = {}

    def system(self, text):
        self.write("s", [text.encode()])

    def write(self, code, lines):
        stamp = b"%d\t%s\t" % (int(time.time() * 1000), code.encode())
        os.write(self.fd, b"".join(stamp + line + b"\n" for line in lines))

    def feed(self, code, data):
        buf = self.partial.get(code, b"") + data
        lines = buf.split(b"\n")
        rest = lines.pop()
        while len(rest) >= MAX_LINE:
            lines.append(rest[:MAX_LINE])
            rest = rest[MAX_LINE:]
        self.partial[code] = rest
        if lines:
            self.write(code, lines)

    def flush(self, code):
        rest = self.partial.pop(code, b"")
        if rest:
            self.write(code, [rest])


def run_quietly(argv):
    """Run a helper (mount) to completion; returns its exit status as a message, "" on success."""
    try:
        pid = os.posix_spawnp(argv[0], argv, os.environ)
    except OSError as exc:
        return f"{argv[0]}: {exc}"
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return "" if code == 0 else f"`{' '.join(argv)}` failed with exit code {code} (see supervisor.log)"


def loopback_up():
    """A new network namespace has only `lo`, and it is down: bring it up so local IPC works."""
    import _socket  # lazily: only isolated jobs pay for it
    import fcntl

    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    try:
        request = b"lo".ljust(16, b"\0") + b"\0" * 24
        flags = int.from_bytes(fcntl.ioctl(sock.fileno(), 0x8913, request)[16:18], "little")  # SIOCGIFFLAGS
        fcntl.ioctl(sock.fileno(), 0x8914, b"lo".ljust(16, b"\0") + (flags | 1).to_bytes(2, "little")
                    + b"\0" * 22)  # SIOCSIFFLAGS with IFF_UP
    finally:
        sock.close()


def setup_namespace(cfg):
    """Make this mount namespace a container's: the instance folder on /opt/ml, host names, hostname."""
    if os.getpid() != 1:
        return "isolation 'namespaces' but the supervisor is not pid 1 of a new pid namespace"
    os.makedirs("/opt/ml", exist_ok=True)
    error = run_quietly(["mount", "-n", "--bind", cfg["instance_dir"], "/opt/ml"])
    if not error and cfg.get("hosts_file") and os.path.exists("/etc/hosts"):
        error = run_quietly(["mount", "-n", "--bind", cfg["hosts_file"], "/etc/hosts"])
    if error:
        return error
    try:
        import _socket

        _socket.sethostname(cfg["hostname"])
        if cfg.get("network") == "none":
            loopback_up()
    except OSError as exc:
        return f"namespace set-up failed: {exc}"
    return ""


def spawn(argv, env, cwd, out_w, err_w):
    pid = os.fork()
    if pid:
        return pid
    try:  # the child: a fresh session, default signal dispositions, then exec
        os.setsid()
        for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_DFL)
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    except BaseException as exc:
        os.write(2, f"sagecraft: cannot run {argv[0]!r} in {cwd!r}: {exc}\n".encode())
        os._exit(127 if isinstance(exc, FileNotFoundError) else 126)
    return 0  # not reached


def signal_tree(pid, sig):
    """Signal every process of the workload: the whole pid namespace when we are its init."""
    try:
        if os.getpid() == 1:
            os.kill(-1, sig)  # from a pid namespace's init: everyone in it but us
        else:
            os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def main(run_dir):
    cfg = read_kv(os.path.join(run_dir, "launch", "config"))
    argv = read_nul(os.path.join(run_dir, "launch", "argv"))
    env = dict(item.partition("=")[::2] for item in read_nul(os.path.join(run_dir, "launch", "env")))
    stop_file = os.path.join(run_dir, "stop")
    log = Log(os.path.join(run_dir, "output.log"))
    requested = []

    def on_stop(signum, frame):
        requested.append(signum)

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # only to wake poll()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    started = time.time()
    result = {"started_at": f"{started:.3f}"}

    def finish(outcome, message, exit_code=None, sig=None):
        log.system(f"{outcome}: {message}")
        write_kv(os.path.join(run_dir, "exit"), {
            "outcome": outcome, "exit_code": exit_code, "signal": sig, "message": message,
            "ended_at": f"{time.time():.3f}", **result})
        return 0

    if cfg["isolation"] == "namespaces":
        error = setup_namespace(cfg)
        if error:
            return finish("error", error)
    if requested or os.path.exists(stop_file):  # a stop that raced our start
        return finish("stopped", "stopped before the command started")

    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = spawn(argv, env, cfg["cwd"], out_w, err_w)
    os.close(out_w)
    os.close(err_w)
    started = time.time()
    result["started_at"] = f"{started:.3f}"
    write_kv(os.path.join(run_dir, "started"), {"started_at": result["started_at"], "pid": pid})

    max_runtime = float(cfg["max_runtime"]) if cfg.get("max_runtime") else None
    deadline = started + max_runtime if max_runtime else None
    streams = {out_r: "o", err_r: "e"}
    poller = select.poll()
    for fd in (*streams, wake_r):
        poller.register(fd, select.POLLIN)
    status = None  # the command's wait status once reaped
    drain_until = kill_at = None
    ending = None  # ("stopped" | "max_runtime", message) once we decided to end it

    while streams or status is None:
        now = time.time()
        waits = [t - now for t in (deadline if ending is None else None, kill_at, drain_until) if t is not None]
        timeout = None if not waits else max(0, int(min(waits) * 1000) + 1)
        for fd, _event in poller.poll(timeout):
            if fd == wake_r:
                try:
                    os.read(wake_r, 512)
                except BlockingIOError:
                    pass
                continue
            data = os.read(fd, 65536)
            if data:
                log.feed(streams[fd], data)
            else:
                log.flush(streams.pop(fd))
                poller.unregister(fd)
                os.close(fd)
        while True:  # reap the command and, as an init, any orphan
            try:
                reaped, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if reaped == 0:
                break
            if reaped == pid:
                status = wait_status
                signal_tree(pid, signal.SIGKILL)  # a container ends with its main process
                drain_until = time.time() + DRAIN_SECONDS
        now = time.time()
        if status is None and ending is None:
            if requested or os.path.exists(stop_file):  # the file too, in case the signal was lost
                grace = _grace(stop_file, float(cfg.get("grace") or 10))
                ending = ("stopped", "stopped on request")
            elif deadline is not None and now >= deadline:
                grace = float(cfg.get("grace") or 10)
                ending = ("max_runtime", f"MaxRuntimeInSeconds ({max_runtime:g} s) exceeded")
            if ending is not None:
                log.system(f"{ending[1]}: sending SIGTERM, SIGKILL in {grace:g} s")
                signal_tree(pid, signal.SIGTERM)
                kill_at = now + grace
        if status is None and kill_at is not None and now >= kill_at:
            log.system("grace period over: sending SIGKILL")
            signal_tree(pid, signal.SIGKILL)
            kill_at = None
        if status is not None and streams and drain_until is not None and now >= drain_until:
            for fd, code in list(streams.items()):  # a process that escaped the tree holds the pipe
                log.flush(code)
                poller.unregister(fd)
                os.close(fd)
            streams.clear()

    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        exit_code, how = 128 + sig, f"killed by signal {sig} ({SIGNAL_NAMES.get(sig, 'signal')})"
    else:
        sig, exit_code = None, os.WEXITSTATUS(status)
        how = f"exited with code {exit_code}"
    if ending is not None:
        return finish(ending[0], f"{ending[1]}; the command {how}", exit_code, sig)
    return finish("completed" if exit_code == 0 else "failed", f"the command {how}", exit_code, sig)


def _grace(stop_file, default):
    try:
        with open(stop_file) as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return default


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

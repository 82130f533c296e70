"""The walls around a check, set up by the long-lived executor process (the "zygote") once, and in
each forked child before the sample's code runs.

Zygote, once:
- becomes a child subreaper, so any process a sample leaves behind is re-parented to it and killed;
- as root: moves into new mount and network namespaces (no interface but a loopback that is down),
  makes its view of / read-only and mounts private, size-limited tmpfs on /tmp, /var/tmp, /dev/shm and
  /run/lock; each child then runs as a uid of its own (no other process has it), in a directory only
  that uid can write;
- without root: tries the same inside a new user namespace; where the kernel refuses, the child runs
  as the invoking user and only the limits below apply (reported in `sandbox`).
Child, each time: its own session and process group, a fresh working directory, a scrubbed
environment, and rlimits on address space, CPU seconds, processes, file size, open files and cores.
"""

import ctypes
import os
import resource
import shutil
import signal
import time

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

# Child uids are UID_BASE + the zygote's pid: unique among live executors on the machine.
UID_BASE = 1_000_000_000
PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
SANDBOX_ROOT = "/tmp"
# Where the interpreter is bind-mounted when the sandbox user could not read it where it is
# (pyenv under /root, say): the executor re-executes itself from there.
PYTHON_VIEW = "/tmp/.sra-python"

_libc = ctypes.CDLL(None, use_errno=True)


def _call(fn, *args):
    if fn(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _mount(source, target, fstype, flags, data):
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    _call(_libc.mount, enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))


def prctl(option, value):
    _call(_libc.prctl, option, ctypes.c_ulong(value), 0, 0, 0)


class Sandbox:
    """What the zygote set up, reported to sra and applied to every child."""

    def __init__(self, options):
        self.memory = int(options.get("memory_bytes", 4 << 30))
        self.max_processes = int(options.get("max_processes", 64))
        self.max_file_bytes = int(options.get("max_file_bytes", 64 << 20))
        self.max_open_files = int(options.get("max_open_files", 256))
        self.tmpfs_bytes = int(options.get("tmpfs_bytes", 512 << 20))
        self.uid = None
        self.gid = None
        self.nproc_base = 0
        self.root = os.geteuid() == 0
        self.report = {"user": "the invoking user", "network": "not isolated", "filesystem": "working directory only"}
        self.sandbox_root = None
        self.namespaced = False
        self.counter = 0

    def setup(self, allow_namespaces=True, resumed=None):
        """Enter the namespaces (or, after a re-exec from the interpreter's new view, take up the
        report the first stage made) and fix the child uid and limits."""
        prctl(PR_SET_CHILD_SUBREAPER, 1)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # never outlive sra
        if resumed is not None:
            self.report = dict(resumed)
        else:
            self.namespaced = self._namespaces() if allow_namespaces else False
        namespaced = self.namespaced = resumed is not None or self.namespaced
        if self.root:
            self.uid = self.gid = UID_BASE + os.getpid()
            self.report["user"] = "uid %d (no other process has it)" % self.uid
        else:
            self.nproc_base = _count_user_tasks(os.getuid())
        self.sandbox_root = SANDBOX_ROOT if namespaced else None
        self.report["processes"] = "at most %d (RLIMIT_NPROC%s)" % (
            self.max_processes, "" if self.root else ", over the user's current count")
        self.report["memory"] = "%d MiB address space (RLIMIT_AS)" % (self.memory >> 20)
        return self.report

    def _namespaces(self):
        flags = CLONE_NEWNS | CLONE_NEWNET
        try:
            if self.root:
                _call(_libc.unshare, flags)
            else:
                uid, gid = os.getuid(), os.getgid()
                _call(_libc.unshare, flags | CLONE_NEWUSER)
                _write("/proc/self/setgroups", "deny")
                _write("/proc/self/uid_map", "0 %d 1" % uid)
                _write("/proc/self/gid_map", "0 %d 1" % gid)
        except OSError as e:
            self.report["network"] = "not isolated (no namespaces: %s)" % e.strerror
            return False
        self.report["network"] = "none (own network namespace)"
        try:
            _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
            fs = []
            try:
                _mount("/", "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY, None)
                fs.append("read-only /")
            except OSError:
                pass
            for target in PRIVATE_TMP:
                if os.path.isdir(target):
                    opts = "size=%d,mode=1777,nr_inodes=65536" % self.tmpfs_bytes
                    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, opts)
            fs.append("private tmpfs on " + ", ".join(t for t in PRIVATE_TMP if os.path.isdir(t)))
            self.report["filesystem"] = "; ".join(fs)
        except OSError as e:
            self.report["filesystem"] = "working directory only (mounts refused: %s)" % e.strerror
            return False
        return True

    def remap_interpreter(self, executable, prefix):
        """When the child uid cannot read the interpreter's files, bind-mount its prefix where it can
        and return the executable's path there (the caller re-executes itself from it)."""
        if self.uid is None or _others_can_read(prefix):
            return None
        if not self.namespaced:
            self.report["imports"] = "only preloaded modules (%s is not readable by the sandbox user)" % prefix
            return None
        prefix = os.path.realpath(prefix)
        exe = os.path.realpath(executable)
        if not exe.startswith(prefix + os.sep):
            self.report["imports"] = "only preloaded modules (%s is not readable by the sandbox user)" % prefix
            return None
        os.makedirs(PYTHON_VIEW, 0o755, exist_ok=True)
        _mount(prefix, PYTHON_VIEW, None, MS_BIND | MS_REC, None)
        _mount(prefix, PYTHON_VIEW, None, MS_BIND | MS_REMOUNT | MS_RDONLY, None)
        self.report["imports"] = "the interpreter is mounted read-only at %s for the sandbox user" % PYTHON_VIEW
        return os.path.join(PYTHON_VIEW, os.path.relpath(exe, prefix))

    def workdir(self):
        self.counter += 1
        base = self.sandbox_root or os.environ.get("TMPDIR") or "/tmp"
        path = os.path.join(base, "sra-check-%d-%d" % (os.getpid(), self.counter))
        os.mkdir(path, 0o700)
        if self.uid is not None:
            os.chown(path, self.uid, self.gid)
        return path

    # ------------------------------------------------------------------ in the child

    def enter_child(self, workdir, result_fd, output_fd, cpu_seconds):
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.dup2(result_fd, 3)
        os.closerange(4, 1 << 16)
        os.chdir(workdir)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        limits = [
            (resource.RLIMIT_AS, self.memory),
            (resource.RLIMIT_DATA, self.memory),
            (resource.RLIMIT_STACK, self.memory),  # evalplus sets the stack limit to the memory limit too
            (resource.RLIMIT_CPU, int(cpu_seconds) + 1),
            (resource.RLIMIT_NPROC, self.nproc_base + self.max_processes),
            (resource.RLIMIT_FSIZE, self.max_file_bytes),
            (resource.RLIMIT_NOFILE, self.max_open_files),
            (resource.RLIMIT_CORE, 0),
        ]
        for which, value in limits:
            _set_limit(which, value)
        if self.uid is not None:
            os.setgroups([])
            os.setresgid(self.gid, self.gid, self.gid)
            os.setresuid(self.uid, self.uid, self.uid)
            prctl(PR_SET_DUMPABLE, 1)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid, which clears it
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        os.environ.clear()
        os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir,
                           "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"})

    # ------------------------------------------------------------------ after the child

    def clean_up(self, pid, workdir):
        """Kill the check's process group and everything re-parented to us; reap; remove files."""
        status = None
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        try:  # the child itself: killed just now if it had not exited (a zombie is reaped at once)
            status = os.waitpid(pid, 0)[1]
        except ChildProcessError:
            pass
        deadline = time.monotonic() + 5
        while True:
            status = _reap(pid, status)
            children = _children()
            if not children:
                break
            for child in children:
                for kill in (os.killpg, os.kill):
                    try:
                        kill(child, signal.SIGKILL)
                    except OSError:
                        pass
            if time.monotonic() > deadline:
                break
            time.sleep(0.001)
        shutil.rmtree(workdir, ignore_errors=True)
        if self.sandbox_root is not None:
            _empty_private_tmp(workdir)
        return status


def _write(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _set_limit(which, value):
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY and value > hard:
        value = hard
    try:
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        resource.setrlimit(which, (value, hard))


def _children():
    me = os.getpid()
    pids = []
    try:
        for tid in os.listdir("/proc/%d/task" % me):
            with open("/proc/%d/task/%s/children" % (me, tid)) as f:
                pids.extend(int(p) for p in f.read().split())
    except OSError:
        pass
    return pids


def _reap(pid, status):
    while True:
        try:
            got, st = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return status
        if got == 0:
            return status
        if got == pid:
            status = st


def _empty_private_tmp(workdir):
    """Files a sample left in the shared temporary directories of our namespace go too."""
    for target in PRIVATE_TMP:
        try:
            names = os.listdir(target)
        except OSError:
            continue
        for name in names:
            path = os.path.join(target, name)
            if path == PYTHON_VIEW:
                continue
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)
            except OSError:
                pass


def _others_can_read(path):
    """Whether a process of another, unprivileged uid can read `path` (every directory up to it)."""
    path = os.path.realpath(path)
    parts = path.split(os.sep)
    for i in range(2, len(parts) + 1):
        try:
            mode = os.stat(os.sep.join(parts[:i]) or os.sep).st_mode
        except OSError:
            return False
        if mode & 0o005 != 0o005:
            return False
    return True


def _count_user_tasks(uid):
    count = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            st = os.stat("/proc/" + name)
            if st.st_uid == uid:
                count += len(os.listdir("/proc/%s/task" % name))
        except OSError:
            pass
    return count


def describe_status(status):
    if status is None:
        return None
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return {"signal": name}
    if os.WIFEXITED(status):
        return {"code": os.WEXITSTATUS(status)}
    return None



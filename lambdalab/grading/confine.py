"""Start a command confined the way grading needs: ``python confine.py SPEC_JSON -- COMMAND...``.

An instructor's grader runs learners' code on the instructor's machine. Each execution environment of a
graded submission is started through this launcher, which confines itself and then ``exec``s the runtime,
so the learner's code inherits every restriction and cannot lift any:

- **Landlock** (Linux 5.13+, unprivileged): the file system becomes read-only except the environment's own
  folder, and readable only where Python, the SDK and the function's code live — not the course's
  solutions, not lambdalab's own package (its grading reference included), not the home folder. From ABI 4
  TCP is limited to the ports given (the Runtime API and the sandbox); from ABI 6 the process cannot signal
  processes outside its domain (the grader) nor reach their abstract Unix sockets.
- **rlimits**: no core dumps, bounded file sizes and open files.
- **capabilities**: when started as root (in or out of a user namespace), every capability is dropped and
  root is denied the special powers it gets on ``exec`` (``SECBIT_NOROOT``), so root is only a user id.
- ``PR_SET_NO_NEW_PRIVS``: nothing the code executes can gain privileges (set-uid binaries included).

Where a mechanism is missing (another OS, an old kernel), the launcher applies what exists and says what
was skipped on stderr, which ends up in the environment's log; ``docs/grading-isolation.md`` states what
each platform gets. It imports only the standard library and runs as a script, so it never imports
lambdalab (which the confined process must not be able to read).
"""

from __future__ import annotations

import ctypes
import json
import os
import sys

# Landlock ABI constants (include/uapi/linux/landlock.h).
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_RULE_NET_PORT = 2
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446  # same numbers on x86_64 and arm64
_FS = {
    "execute": 1 << 0,
    "write_file": 1 << 1,
    "read_file": 1 << 2,
    "read_dir": 1 << 3,
    "remove_dir": 1 << 4,
    "remove_file": 1 << 5,
    "make_char": 1 << 6,
    "make_dir": 1 << 7,
    "make_reg": 1 << 8,
    "make_sock": 1 << 9,
    "make_fifo": 1 << 10,
    "make_block": 1 << 11,
    "make_sym": 1 << 12,
    "refer": 1 << 13,
    "truncate": 1 << 14,
    "ioctl_dev": 1 << 15,
}
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1
_PR_SET_NO_NEW_PRIVS, _PR_CAPBSET_DROP, _PR_SET_SECUREBITS = 38, 24, 28
_SECBIT_NOROOT, _SECBIT_NOROOT_LOCKED = 1 << 0, 1 << 1
_SECBIT_NO_SETUID_FIXUP, _SECBIT_NO_SETUID_FIXUP_LOCKED = 1 << 2, 1 << 3
_O_PATH, _O_CLOEXEC = 0o10000000, 0o2000000


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPortAttr(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, or 0 where Landlock is absent (not Linux, old or disabled)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        version = _libc().syscall(
            _SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION)
        )
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def _fs_mask(abi: int) -> int:
    mask = (1 << 13) - 1  # ABI 1
    if abi >= 2:
        mask |= _FS["refer"]
    if abi >= 3:
        mask |= _FS["truncate"]
    if abi >= 5:
        mask |= _FS["ioctl_dev"]
    return mask


def _read_access(is_dir: bool) -> int:
    access = _FS["execute"] | _FS["read_file"]
    return access | _FS["read_dir"] if is_dir else access


def apply_landlock(read: list[str], write: list[str], connect_ports: list[int], listed: list[str] = ()) -> list[str]:
    """Restrict this process (and what it execs) to ``read``/``write`` paths and TCP ``connect_ports``.

    Returns what could not be applied, in words (empty when everything was).
    """
    abi = landlock_abi()
    if abi < 1:
        return ["Landlock is not available: the file system and network are not restricted"]
    skipped = []
    fs_mask = _fs_mask(abi)
    attr = _RulesetAttr(
        fs_mask,
        (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0,
        (_SCOPE_SIGNAL | _SCOPE_ABSTRACT_UNIX_SOCKET) if abi >= 6 else 0,
    )
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    if abi < 4:
        skipped.append("Landlock ABI < 4: TCP connections are not restricted")
    if abi < 6:
        skipped.append("Landlock ABI < 6: signals to the grader are not blocked by Landlock")
    libc = _libc()
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return [f"Landlock ruleset refused (errno {ctypes.get_errno()}): nothing restricted"]
    try:
        for paths, kind in ((read, "read"), (write, "write"), (listed, "list")):
            for path in paths:
                try:
                    fd = os.open(path, _O_PATH | _O_CLOEXEC)
                except OSError:
                    continue  # a path that does not exist here needs no rule
                try:
                    is_dir = os.path.isdir(path)
                    if kind == "write":
                        access = fs_mask if is_dir else fs_mask & ~_dir_only()
                    elif kind == "list":
                        access = _FS["read_dir"] if is_dir else 0
                    else:
                        access = _read_access(is_dir)
                    if not access:
                        continue
                    rule = _PathBeneathAttr(access & fs_mask, fd)
                    if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) < 0:
                        skipped.append(f"no rule for {path} (errno {ctypes.get_errno()})")
                finally:
                    os.close(fd)
        if abi >= 4:
            for port in connect_ports:
                rule = _NetPortAttr(_NET_CONNECT_TCP, int(port))
                if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_NET_PORT, ctypes.byref(rule), 0) < 0:
                    skipped.append(f"no rule for port {port} (errno {ctypes.get_errno()})")
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return [*skipped, "PR_SET_NO_NEW_PRIVS refused: Landlock not applied"]
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) < 0:
            return [*skipped, f"Landlock restrict_self refused (errno {ctypes.get_errno()})"]
    finally:
        os.close(ruleset)
    return skipped


def _dir_only() -> int:
    return (
        _FS["read_dir"]
        | _FS["remove_dir"]
        | _FS["remove_file"]
        | _FS["make_char"]
        | _FS["make_dir"]
        | _FS["make_reg"]
        | _FS["make_sock"]
        | _FS["make_fifo"]
        | _FS["make_block"]
        | _FS["make_sym"]
        | _FS["refer"]
    )


def apply_rlimits(limits: dict[str, int]) -> None:
    import resource

    for name, value in limits.items():
        kind = getattr(resource, name, None)
        if kind is not None:
            try:
                resource.setrlimit(kind, (value, value))
            except (ValueError, OSError):
                pass


def drop_root_powers() -> list[str]:
    """As root: drop every capability from the bounding set and lock root out of regaining them."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    libc = _libc()
    bits = _SECBIT_NOROOT | _SECBIT_NOROOT_LOCKED | _SECBIT_NO_SETUID_FIXUP | _SECBIT_NO_SETUID_FIXUP_LOCKED
    problems = []
    for cap in range(64):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:  # EINVAL: no such cap
            problems.append(f"capability {cap} kept")
            break
    if libc.prctl(_PR_SET_SECUREBITS, bits, 0, 0, 0) != 0:
        problems.append("SECBIT_NOROOT refused: root keeps its capabilities")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) < 3 or "--" not in argv:
        print("usage: confine.py SPEC_JSON|@SPEC_FILE -- COMMAND...", file=sys.stderr)
        return 2
    split = argv.index("--")
    if argv[0].startswith("@"):  # the spec in a file (hundreds of paths would crowd the command line)
        with open(argv[0][1:], encoding="utf-8") as handle:
            spec = json.load(handle)
    else:
        spec = json.loads(argv[0])
    command = argv[split + 1 :]
    try:
        os.setsid()  # its own session, so the grader's process group is not its own
    except OSError:
        pass  # already a session leader (the environment starts one)
    apply_rlimits(spec.get("rlimits", {}))
    notes = drop_root_powers()
    notes += apply_landlock(
        spec.get("read", []), spec.get("write", []), spec.get("connect_ports", []), spec.get("list", [])
    )
    if notes and spec.get("report", True):
        print("[lambdalab grading isolation: " + "; ".join(notes) + "]", file=sys.stderr, flush=True)
    os.execv(command[0], command)
    return 127  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

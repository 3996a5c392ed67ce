"""Thin wrappers of the Linux calls the sandbox needs and Python 3.10/3.11 lacks (through libc, by ctypes).

Each call raises :class:`OSError` with the call's name and the kernel's reason when it fails. Only the fork
server and its children call these; nothing here runs in the scorer's own process except the constants.

Example:
    >>> namespace_names(CLONE_NEWNET | CLONE_NEWPID)
    'net+pid'
"""

from __future__ import annotations

import ctypes
import os

CLONE_PARENT = 0x00008000
CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MNT_DETACH = 0x2

PR_SET_PDEATHSIG = 1
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
CAP_LAST_CAP_FALLBACK = 40
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

_NAMES = (
    (CLONE_NEWUSER, "user"),
    (CLONE_NEWNS, "mount"),
    (CLONE_NEWNET, "net"),
    (CLONE_NEWPID, "pid"),
    (CLONE_NEWIPC, "ipc"),
    (CLONE_NEWUTS, "uts"),
)


def namespace_names(flags: int) -> str:
    """The namespaces in a ``CLONE_NEW*`` mask, as ``"net+pid"``.

    Example:
        >>> namespace_names(CLONE_NEWUSER | CLONE_NEWNS)
        'user+mount'
    """
    return "+".join(name for flag, name in _NAMES if flags & flag)


#: ``clone(2)``'s syscall number where its first argument is the flags and a NULL stack means "like fork".
_SYS_CLONE = {"x86_64": 56, "aarch64": 220}
_SIGCHLD = 17


class _Libc:
    """libc, loaded on first use (not at import: importing this module stays free)."""

    _lib: ctypes.CDLL | None = None

    @classmethod
    def get(cls) -> ctypes.CDLL:
        if cls._lib is None:
            cls._lib = ctypes.CDLL(None, use_errno=True)  # the C library the interpreter is linked with
        return cls._lib


def clone_supported() -> bool:
    """Whether :func:`clone_process` knows this machine's ``clone`` syscall.

    Example:
        >>> isinstance(clone_supported(), bool)
        True
    """
    return os.uname().machine in _SYS_CLONE


def clone_process(flags: int) -> int:
    """``fork()`` into new namespaces in one step (raw ``clone(2)`` with ``CLONE_NEW*`` flags and no new
    stack): returns the child's pid in the parent and 0 in the child, which is pid 1 of a new pid namespace
    when ``CLONE_NEWPID`` is given. Python's own fork hooks run around it, as ``os.fork`` runs them; the
    GIL is held throughout. Only for a single-threaded caller.
    """
    syscall, number = _Clone.get()
    api = ctypes.pythonapi
    api.PyOS_BeforeFork()
    pid = syscall(number, flags | _SIGCHLD, None, None, None, 0)
    if pid == 0:
        api.PyOS_AfterFork_Child()
        return 0
    errno = ctypes.get_errno()
    api.PyOS_AfterFork_Parent()
    if pid < 0:
        raise OSError(errno, f"clone({namespace_names(flags)}): {os.strerror(errno)}")
    return int(pid)


class _Clone:
    """The raw ``syscall`` function set up for ``clone`` (once: each fork copies the pages it writes)."""

    _call: tuple[ctypes._CFuncPtr, int] | None = None

    @classmethod
    def get(cls) -> tuple[ctypes._CFuncPtr, int]:
        if cls._call is None:
            number = _SYS_CLONE.get(os.uname().machine)
            if number is None:
                raise OSError(38, f"clone: no syscall number known for {os.uname().machine}")
            syscall = ctypes.PyDLL(None, use_errno=True).syscall  # PyDLL: the GIL stays held
            syscall.restype = ctypes.c_long
            syscall.argtypes = [
                ctypes.c_long,
                ctypes.c_ulong,
                ctypes.c_void_p,
                ctypes.c_void_p,
                ctypes.c_void_p,
                ctypes.c_ulong,
            ]
            cls._call = (syscall, number)
        return cls._call


def _check(result: int, what: str, *details: object) -> None:
    """Raise the call's ``errno`` when it failed; the message (``what % details``) is only built then
    (the sample processes call these on every run: nothing is formatted in vain)."""
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what % details if details else what}: {os.strerror(errno)}")


def _b(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


def unshare(flags: int) -> None:
    """``unshare(2)``: move this process into new namespaces (``CLONE_NEW*`` flags).

    Example:
        >>> unshare(0)  # no namespace asked for: nothing happens
    """
    _check(_Libc.get().unshare(ctypes.c_int(flags)), "unshare(%s)", namespace_names(flags) or 0)


def setns(fd: int, flags: int) -> None:
    """``setns(2)``: move this (single-threaded) process into the namespace ``fd`` refers to.

    Example:
        >>> fd = os.open("/proc/self/ns/uts", os.O_RDONLY)
        >>> setns(fd, CLONE_NEWUTS) if os.geteuid() == 0 else None  # back into the one it is in
        >>> os.close(fd)
    """
    _check(_Libc.get().setns(ctypes.c_int(fd), ctypes.c_int(flags)), "setns(%s)", namespace_names(flags))


_NS_FILES = {CLONE_NEWNET: "net", CLONE_NEWNS: "mnt", CLONE_NEWUTS: "uts", CLONE_NEWIPC: "ipc"}


def new_namespace(flag: int) -> int:
    """A new, empty namespace of one kind (``CLONE_NEWNET``, ...), as a descriptor (close-on-exec); the
    caller stays in the namespace it was in. Needs ``/proc`` and the privilege to ``unshare`` and ``setns``.

    Example:
        >>> new_namespace(CLONE_NEWPID)
        Traceback (most recent call last):
        ...
        ValueError: no namespace file for pid: 0x20000000
    """
    name = _NS_FILES.get(flag)
    if name is None:
        raise ValueError(f"no namespace file for {namespace_names(flag)}: {flag:#x}")
    path = f"/proc/self/ns/{name}"
    original = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        unshare(flag)
        try:
            return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        finally:
            setns(original, flag)
    finally:
        os.close(original)


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    """``mount(2)``."""
    lib = _Libc.get()
    result = lib.mount(_b(source), _b(target), _b(fstype), ctypes.c_ulong(flags), _b(data))
    _check(result, "mount %r (%s)", target, fstype or "bind/remount")


def umount(target: str, flags: int = MNT_DETACH) -> None:
    """``umount2(2)``, lazily by default."""
    _check(_Libc.get().umount2(_b(target), ctypes.c_int(flags)), "umount %r", target)


def prctl(option: int, arg: int = 0) -> None:
    """``prctl(2)`` with one argument."""
    lib = _Libc.get()
    _check(
        lib.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), 0),
        "prctl(%d)",
        option,
    )


def prctl_pointer(option: int, arg: int, address: int) -> None:
    """``prctl(2)`` with an integer and an address (``PR_SET_SECCOMP``)."""
    lib = _Libc.get()
    result = lib.prctl(
        ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_void_p(address), ctypes.c_ulong(0), 0
    )
    _check(result, "prctl(%d)", option)


_SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}
_KEYCTL_JOIN_SESSION_KEYRING = 1
_KEYCTL_CLEAR = 7
_KEYCTL_GET_PERSISTENT = 22
_KEY_SPEC_SESSION_KEYRING = -3
_KEY_SPEC_USER_KEYRING = -4
_KEY_SPEC_USER_SESSION_KEYRING = -5


def _keyctl(operation: int, *args: int) -> int:
    number = _SYS_KEYCTL.get(os.uname().machine)
    if number is None:
        raise OSError(38, f"keyctl: no syscall number known for {os.uname().machine}")
    lib = _Libc.get()
    lib.syscall.restype = ctypes.c_long
    result = lib.syscall(ctypes.c_long(number), ctypes.c_long(operation), *(ctypes.c_long(a) for a in args))
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"keyctl({operation}): {os.strerror(errno)}")
    return int(result)


def join_new_session_keyring() -> None:
    """Replace this process's session keyring by a new, empty, anonymous one (``keyctl(2)``).

    What the process inherited (its parent's session keyring, and with it possession of the keys there)
    is gone for it and for everything it starts.
    """
    _keyctl(_KEYCTL_JOIN_SESSION_KEYRING, 0)


def clear_own_keyrings() -> None:
    """Empty the keyrings the kernel keeps per uid — the user, user-session and persistent keyrings of this
    process's uid (they outlive every process of that uid). Run after ``setuid`` to the sample's uid, so a
    sample never finds what an earlier sample of the same uid left there.
    """
    for keyring in (_KEY_SPEC_USER_KEYRING, _KEY_SPEC_USER_SESSION_KEYRING):
        _keyctl(_KEYCTL_CLEAR, keyring)
    try:
        persistent = _keyctl(_KEYCTL_GET_PERSISTENT, -1, _KEY_SPEC_SESSION_KEYRING)
    except OSError as exc:
        if exc.errno in (95, 38):  # EOPNOTSUPP, ENOSYS: no persistent keyrings in this kernel
            return
        raise
    _keyctl(_KEYCTL_CLEAR, persistent)


def last_capability() -> int:
    """The highest capability number this kernel knows.

    Example:
        >>> last_capability() >= 36
        True
    """
    try:
        with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as stream:
            return int(stream.read())
    except (OSError, ValueError):
        return CAP_LAST_CAP_FALLBACK


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


def drop_bounding_set(last_cap: int) -> None:
    """Empty the capability bounding set (needs ``CAP_SETPCAP``): no later ``exec`` can gain any."""
    for cap in range(last_cap + 1):
        try:
            prctl(PR_CAPBSET_DROP, cap)
        except OSError as exc:
            if exc.errno != 22:  # EINVAL: a capability this kernel does not have
                raise


def clear_capabilities() -> None:
    """Empty the effective, permitted and inheritable capability sets of this thread."""
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_Libc.get().capset(ctypes.byref(header), ctypes.byref(data)), "capset(empty)")


def capabilities_effective() -> int:
    """This process's effective capability mask (from ``/proc/self/status``; 0 when unreadable).

    Example:
        >>> capabilities_effective() >= 0
        True
    """
    try:
        with open("/proc/self/status", encoding="ascii") as stream:
            for line in stream:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def write_file(path: str, text: str) -> None:
    """Write ``text`` to an existing file (a /proc or cgroup control file) in one ``write`` call."""
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode("ascii"))
    finally:
        os.close(fd)

"""The seccomp filter every sample runs under: defence in depth behind the namespaces and the uid change.

A classic BPF program, built here (no libseccomp needed) and installed by each sample on itself before
it takes a job (``no_new_privs`` is already set). Denied calls fail with ``EPERM``; nothing is ever
killed, so a program that probes a denied call just sees an error. The rules:

- a foreign ABI (32-bit ``int 0x80`` on x86_64, the x32 ABI) fails with ``ENOSYS``;
- system calls newer than the last one this table knows (:data:`LAST_KNOWN`) fail with ``ENOSYS``, as on
  an older kernel: a new kernel interface (io_uring was one) never reaches a sample before someone has
  read it;
- denied outright (:data:`DENIED`): kernel keyrings, ``bpf``, ``perf_event_open``, ``userfaultfd``,
  io_uring, ``ptrace`` and cross-process memory access, ``kexec``, modules, the mount family,
  ``unshare``/``setns``, handles to files by number, clock and host settings, ``syslog``, ``acct``, swap,
  reboot, quotas, NUMA page moves of other processes;
- ``clone`` with any namespace flag: ``EPERM``; ``clone3`` (its flags sit behind a pointer a filter
  cannot read): ``ENOSYS``, so the C library falls back to ``clone``;
- ``socket`` and ``socketpair`` only for ``AF_UNIX``, ``AF_INET`` and ``AF_INET6`` (the network
  namespace is empty; ``AF_VSOCK``, netlink, packet and every other family: ``EPERM``).

Example:
    >>> program = build_filter("x86_64")
    >>> 100 < len(program) // 8 < 255
    True
    >>> denied_names("x86_64")[:3]
    ['_sysctl', 'acct', 'add_key']
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

from rlvr.sandbox import linux

# -- the syscall numbers this filter names ---------------------------------------------------------------
# x86_64 (arch/x86/entry/syscalls/syscall_64.tbl) and the generic table aarch64 uses
# (include/uapi/asm-generic/unistd.h); numbers from 424 up are shared by both.
_NUMBERS: dict[str, tuple[int | None, int | None]] = {
    "acct": (163, 89),
    "add_key": (248, 217),
    "adjtimex": (159, 171),
    "bpf": (321, 280),
    "chroot": (161, 51),
    "clock_adjtime": (305, 266),
    "clock_settime": (227, 112),
    "create_module": (174, None),
    "delete_module": (176, 106),
    "fanotify_init": (300, 262),
    "finit_module": (313, 273),
    "fsconfig": (431, 431),
    "fsmount": (432, 432),
    "fsopen": (430, 430),
    "fspick": (433, 433),
    "get_kernel_syms": (177, None),
    "init_module": (175, 105),
    "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427),
    "io_uring_setup": (425, 425),
    "ioperm": (173, None),
    "iopl": (172, None),
    "kcmp": (312, 272),
    "kexec_file_load": (320, 294),
    "kexec_load": (246, 104),
    "keyctl": (250, 219),
    "listmount": (458, 458),
    "lookup_dcookie": (212, 18),
    "migrate_pages": (256, 238),
    "modify_ldt": (154, None),
    "mount": (165, 40),
    "mount_setattr": (442, 442),
    "move_mount": (429, 429),
    "move_pages": (279, 239),
    "name_to_handle_at": (303, 264),
    "nfsservctl": (180, 42),
    "open_by_handle_at": (304, 265),
    "open_tree": (428, 428),
    "perf_event_open": (298, 241),
    "pidfd_getfd": (438, 438),
    "pivot_root": (155, 41),
    "process_madvise": (440, 440),
    "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271),
    "ptrace": (101, 117),
    "query_module": (178, None),
    "quotactl": (179, 60),
    "quotactl_fd": (443, 443),
    "reboot": (169, 142),
    "request_key": (249, 218),
    "setdomainname": (171, 162),
    "sethostname": (170, 161),
    "setns": (308, 268),
    "settimeofday": (164, 170),
    "statmount": (457, 457),
    "swapoff": (168, 225),
    "swapon": (167, 224),
    "_sysctl": (156, None),
    "syslog": (103, 116),
    "umount2": (166, 39),
    "unshare": (272, 97),
    "uselib": (134, None),
    "userfaultfd": (323, 282),
    "vhangup": (153, 58),
}
DENIED = tuple(sorted(_NUMBERS))
_CLONE = {"x86_64": 56, "aarch64": 220}
_CLONE3 = 435
_SOCKET = {"x86_64": (41, 53), "aarch64": (198, 199)}  # socket, socketpair
#: The newest system call this table has been checked against (mseal, Linux 6.10).
LAST_KNOWN = 462
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_X32_BIT = 0x40000000

ALLOWED_FAMILIES = (1, 2, 10)  # AF_UNIX, AF_INET, AF_INET6
NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET

# -- classic BPF ---------------------------------------------------------------------------------------------
_LD_W_ABS = 0x20
_JEQ = 0x15
_JGE = 0x35
_JSET = 0x45
_RET = 0x06
_OFFSET_NR = 0
_OFFSET_ARCH = 4
_OFFSET_ARG0_LOW = 16  # args[0], low 32 bits (little-endian)
_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000
_INSTRUCTION = struct.Struct("=HBBI")


def supported(machine: str | None = None) -> bool:
    """Whether a filter can be built for this machine.

    Example:
        >>> supported("x86_64"), supported("riscv64")
        (True, False)
    """
    return (machine or os.uname().machine) in _AUDIT_ARCH


def denied_names(machine: str | None = None) -> list[str]:
    """The system calls denied outright on ``machine`` (those it has).

    Example:
        >>> "iopl" in denied_names("x86_64"), "iopl" in denied_names("aarch64")
        (True, False)
    """
    column = 0 if (machine or os.uname().machine) == "x86_64" else 1
    return [name for name in DENIED if _NUMBERS[name][column] is not None]


def _op(code: int, k: int = 0, jt: int = 0, jf: int = 0) -> tuple[int, int, int, int]:
    return (code, jt, jf, k)


def _ret_errno(number: int) -> tuple[int, int, int, int]:
    return _op(_RET, _ERRNO | number)


def build_filter(machine: str | None = None) -> bytes:
    """The filter as raw ``struct sock_filter`` instructions for ``machine`` (default: this one).

    Raises:
        ValueError: no table for this machine (see :func:`supported`).
    """
    machine = machine or os.uname().machine
    if machine not in _AUDIT_ARCH:
        raise ValueError(f"no seccomp table for {machine}")
    column = 0 if machine == "x86_64" else 1
    ops: list[tuple[int, int, int, int]] = [
        _op(_LD_W_ABS, _OFFSET_ARCH),
        _op(_JEQ, _AUDIT_ARCH[machine], jt=1),
        _ret_errno(errno.ENOSYS),
        _op(_LD_W_ABS, _OFFSET_NR),
    ]
    if machine == "x86_64":
        ops += [_op(_JGE, _X32_BIT, jf=1), _ret_errno(errno.ENOSYS)]
    ops += [_op(_JGE, LAST_KNOWN + 1, jf=1), _ret_errno(errno.ENOSYS)]
    for name in DENIED:
        number = _NUMBERS[name][column]
        if number is not None:
            ops += [_op(_JEQ, number, jf=1), _ret_errno(errno.EPERM)]
    ops += [_op(_JEQ, _CLONE3, jf=1), _ret_errno(errno.ENOSYS)]
    # clone: no namespace flags (jt=0: go on to the check, jf=3: skip it)
    ops += [
        _op(_JEQ, _CLONE[machine], jf=3),
        _op(_LD_W_ABS, _OFFSET_ARG0_LOW),
        _op(_JSET, NAMESPACE_FLAGS, jf=1),
        _ret_errno(errno.EPERM),
    ]
    ops.append(_op(_LD_W_ABS, _OFFSET_NR))  # the accumulator holds the number again on both paths
    socket, socketpair = _SOCKET[machine]
    family_check = [_op(_LD_W_ABS, _OFFSET_ARG0_LOW)]
    for index, family in enumerate(ALLOWED_FAMILIES):
        family_check.append(_op(_JEQ, family, jt=len(ALLOWED_FAMILIES) - index))
    family_check += [_ret_errno(errno.EPERM), _op(_RET, _ALLOW)]
    ops += [
        _op(_JEQ, socket, jt=1),
        _op(_JEQ, socketpair, jf=len(family_check)),
        *family_check,
        _op(_RET, _ALLOW),
    ]
    return b"".join(_INSTRUCTION.pack(*op) for op in ops)


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


class Filter:
    """A built filter kept in memory that every forked or cloned sample inherits, ready to install.

    Example:
        >>> Filter("x86_64").instructions > 100
        True
    """

    def __init__(self, machine: str | None = None) -> None:
        code = build_filter(machine)
        self.instructions = len(code) // _INSTRUCTION.size
        self._buffer = ctypes.create_string_buffer(code, len(code))
        self._program = _SockFprog(self.instructions, ctypes.cast(self._buffer, ctypes.c_void_p))

    def install(self) -> None:
        """Apply the filter to the calling thread and everything it starts from now on (irrevocable).

        Raises:
            OSError: the kernel refused (no seccomp filter support, or ``no_new_privs`` is not set).
        """
        linux.prctl_pointer(linux.PR_SET_SECCOMP, linux.SECCOMP_MODE_FILTER, ctypes.addressof(self._program))

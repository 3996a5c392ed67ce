"""The read-only root the samples ``chroot`` into: built once per fork server, in its own mount namespace.

It holds read-only binds of the interpreter's prefix and the system library directories (symlinks such as
``/lib -> usr/lib`` are recreated as symlinks), a stub ``/etc`` (``passwd``, ``group``, ``hosts``; the
loader cache and the timezone), four ``/dev`` nodes (``null``, ``zero``, ``random``, ``urandom``) and an
empty ``/tmp`` on which each sample mounts its own tmpfs. No ``/proc``, ``/sys``, ``/home``, ``/root``
(beyond an interpreter living there) or anything else of the host.

Example:
    >>> staging_layout(["/usr", "/usr/lib", "/opt/py"])
    ['/opt/py', '/usr']
"""

from __future__ import annotations

import contextlib
import os

from rlvr.sandbox import linux

SYSTEM_PATHS = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime")
DEV_NODES = ("null", "zero", "random", "urandom")
ETC_FILES = {
    "passwd": "root:x:0:0:root:/:/bin/false\nnobody:x:65534:65534:nobody:/tmp:/bin/false\n",
    "group": "root:x:0:\nnogroup:x:65534:\n",
    "hosts": "127.0.0.1 localhost\n",
}
_ST_TO_MS = ((1024, 1024), (2048, 2048), (4096, 1 << 21), (8, linux.MS_NOEXEC))  # noatime, nodiratime, ...


def staging_layout(paths: list[str]) -> list[str]:
    """The paths to bind, without those already inside another one (sorted).

    Example:
        >>> staging_layout(["/a/b", "/a", "/c"])
        ['/a', '/c']
    """
    chosen: list[str] = []
    for path in sorted({os.path.normpath(p) for p in paths}):
        if not any(path == c or path.startswith(c.rstrip("/") + "/") for c in chosen):
            chosen.append(path)
    return chosen


def _makedirs(root: str, path: str) -> str:
    target = root
    for part in path.strip("/").split("/"):
        if not part:
            continue
        target = os.path.join(target, part)
        if not os.path.lexists(target):
            os.mkdir(target, 0o755)
    return target


def _bind_read_only(source: str, target: str) -> None:
    linux.mount(source, target, None, linux.MS_BIND | linux.MS_REC)
    keep = 0  # atime flags must be repeated on a remount (inside a user namespace they are locked)
    with contextlib.suppress(OSError):
        flags = os.statvfs(target).f_flag
        keep = sum(ms for st, ms in _ST_TO_MS if flags & st)
    flags = linux.MS_BIND | linux.MS_REMOUNT | linux.MS_RDONLY | linux.MS_NOSUID | linux.MS_NODEV | keep
    linux.mount(None, target, None, flags)


def etc_files(sample_ids: list[tuple[int, int]]) -> dict[str, str]:
    """The stub ``/etc`` files, naming each sample uid and gid (``sandbox<N>``) so lookups of them work.

    Example:
        >>> etc_files([(2000000000, 2000000000)])["passwd"].splitlines()[-1]
        'sandbox0:x:2000000000:2000000000:rlvr sample:/tmp:/bin/false'
    """
    files = dict(ETC_FILES)
    named = {65534, 0}
    for number, (uid, gid) in enumerate(sample_ids):
        if uid not in named:
            files["passwd"] += f"sandbox{number}:x:{uid}:{gid}:rlvr sample:/tmp:/bin/false\n"
            files["group"] += f"sandbox{number}:x:{gid}:\n"
            named.add(uid)
    return files


def build_root(staging: str, paths: list[str], sample_ids: list[tuple[int, int]] | None = None) -> None:
    """Mount a tmpfs on ``staging`` and populate it (see the module docstring); then make it read-only.

    Must run in a private mount namespace (the fork server's). ``sample_ids`` are the (uid, gid) pairs
    samples run as, listed in the stub ``/etc/passwd`` and ``/etc/group``.
    """
    linux.mount(
        "tmpfs", staging, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "size=4m,nr_inodes=4096,mode=0755"
    )
    for path in staging_layout([p for p in paths if os.path.lexists(p)]):
        target = os.path.join(_makedirs(staging, os.path.dirname(path)), os.path.basename(path))
        if os.path.islink(path):
            os.symlink(os.readlink(path), target)
        elif os.path.isdir(path):
            os.mkdir(target, 0o755)
            _bind_read_only(path, target)
        elif os.path.isfile(path):
            with open(target, "w"):
                pass
            _bind_read_only(path, target)
    etc = _makedirs(staging, "/etc")
    for name, text in etc_files(sample_ids or []).items():
        if not os.path.lexists(os.path.join(etc, name)):
            with open(os.path.join(etc, name), "w", encoding="ascii") as stream:
                stream.write(text)
    dev = _makedirs(staging, "/dev")
    for name in DEV_NODES:
        target = os.path.join(dev, name)
        with open(target, "w"):
            pass
        linux.mount(f"/dev/{name}", target, None, linux.MS_BIND)
    os.mkdir(os.path.join(staging, "tmp"), 0o755)
    linux.mount(None, staging, None, linux.MS_REMOUNT | linux.MS_RDONLY | linux.MS_NOSUID | linux.MS_NODEV)

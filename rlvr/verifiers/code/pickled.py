"""Strings stored as pickles, read from the pickle's opcodes: nothing is imported, called or built.

LiveCodeBench ships its private tests as ``base64(zlib(pickle(json_text)))``. Unpickling untrusted data runs
whatever callables the pickle names, so the bytes are never given to :mod:`pickle`: they are walked with
:func:`pickletools.genops` (a parser that only decodes opcodes and their arguments) and accepted only when
they are *one string and nothing else* — protocol and frame markers, one string opcode, memo bookkeeping and
``STOP``. Any other opcode (``GLOBAL``, ``STACK_GLOBAL``, ``REDUCE``, ``BUILD``, ``INST``, ``OBJ``,
``NEWOBJ``, persistent ids, extension codes, containers, numbers...) refuses the whole pickle, naming the
opcode.

Example:
    >>> import base64, pickle, zlib
    >>> text = base64.b64encode(zlib.compress(pickle.dumps('[{"input": "1"}]'))).decode()
    >>> compressed_pickled_string(text)
    '[{"input": "1"}]'
    >>> pickled_string(pickle.dumps(len))
    Traceback (most recent call last):
    ...
    rlvr.verifiers.code.pickled.UnsafePickleError: the pickle uses STACK_GLOBAL at byte 28 (it would import \
something): only a pickled string is read
"""

from __future__ import annotations

import base64
import binascii
import pickletools
import zlib

MAX_DECODED_BYTES = 256 << 20  # decompressed size of one row's private tests
_STRING_OPCODES = frozenset({"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"})
_BOOKKEEPING_OPCODES = frozenset({"PROTO", "FRAME", "MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"})
_WHAT_IT_WOULD_DO = {
    "GLOBAL": "import something",
    "STACK_GLOBAL": "import something",
    "INST": "import and call something",
    "OBJ": "call something",
    "NEWOBJ": "call something",
    "NEWOBJ_EX": "call something",
    "REDUCE": "call something",
    "BUILD": "set an object's state",
    "PERSID": "ask for a persistent object",
    "BINPERSID": "ask for a persistent object",
    "EXT1": "import something",
    "EXT2": "import something",
    "EXT4": "import something",
}


class UnsafePickleError(ValueError):
    """Bytes that are not a pickle of exactly one string (or not a pickle at all)."""


def pickled_string(data: bytes) -> str:
    """The one string pickle ``data`` holds, read without unpickling.

    Raises:
        UnsafePickleError: ``data`` holds anything but one string, is malformed, or has bytes after ``STOP``.

    Example:
        >>> import pickle
        >>> pickled_string(pickle.dumps("héllo", protocol=0)), len(pickled_string(pickle.dumps("x" * 300)))
        ('héllo', 300)
        >>> pickled_string(pickle.dumps(["a", "b"]))
        Traceback (most recent call last):
        ...
        rlvr.verifiers.code.pickled.UnsafePickleError: the pickle uses EMPTY_LIST at byte 11: only a pickled \
string is read
    """
    strings: list[str] = []
    end = -1
    try:
        for opcode, argument, position in pickletools.genops(data):
            name = opcode.name
            if name in _STRING_OPCODES and isinstance(argument, str):
                strings.append(argument)
            elif name == "STOP":
                end = (position or 0) + 1
            elif name not in _BOOKKEEPING_OPCODES:
                doing = _WHAT_IT_WOULD_DO.get(name)
                why = f" (it would {doing})" if doing else ""
                raise UnsafePickleError(
                    f"the pickle uses {name} at byte {position}{why}: only a pickled string is read"
                )
    except UnsafePickleError:
        raise
    except Exception as exc:  # a parser fed hostile bytes: any failure is a malformed pickle
        raise UnsafePickleError(f"not a readable pickle: {str(exc)[:120]}") from None
    if end < 0:
        raise UnsafePickleError("not a pickle: no STOP opcode")
    if end != len(data):
        raise UnsafePickleError(f"{len(data) - end} bytes after the pickle's end")
    if len(strings) != 1:
        raise UnsafePickleError(f"the pickle holds {len(strings)} strings, not one")
    return strings[0]


def compressed_pickled_string(text: str, max_bytes: int = MAX_DECODED_BYTES) -> str:
    """The string in ``base64(zlib(pickle(string)))`` text (LiveCodeBench's compressed private tests).

    Raises:
        UnsafePickleError: not base64, not zlib data, larger than ``max_bytes`` once decompressed, or a
            pickle of anything but one string.

    Example:
        >>> compressed_pickled_string("bm90IHpsaWI=")
        Traceback (most recent call last):
        ...
        rlvr.verifiers.code.pickled.UnsafePickleError: not zlib data: Error -3 while decompressing data: \
incorrect header check
    """
    try:
        raw = base64.b64decode("".join(text.split()).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise UnsafePickleError(f"not base64 text: {str(exc)[:80]}") from None
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(raw, max_bytes + 1)
    except zlib.error as exc:
        raise UnsafePickleError(f"not zlib data: {str(exc)[:80]}") from None
    if len(data) > max_bytes or inflater.unconsumed_tail:
        raise UnsafePickleError(f"more than {max_bytes} bytes once decompressed")
    if not inflater.eof:
        raise UnsafePickleError("truncated zlib data")
    return pickled_string(data)

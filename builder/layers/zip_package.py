"""Lambda `.zip` deployment packages, checked member by member and read as layer entries."""

from __future__ import annotations

import stat
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

from ..oci.digest import Digest, hash_stream
from ..oci.errors import BuilderError, UnsafePathError
from .entries import Entry, split_path

if TYPE_CHECKING:
    import zipfile  # imported when a zip is opened: a folder build never needs it

__all__ = ["ZipPackage"]

_UNIX = 3  # ZipInfo.create_system for archives made on Unix


class _ZipMember:
    """The content of one zip member, read from the package's open ZipFile."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        self._archive = archive
        self._info = info
        self._digest: Digest | None = None

    @property
    def size(self) -> int:
        return self._info.file_size

    def open(self) -> IO[bytes]:
        return self._archive.open(self._info)

    def digest(self) -> Digest:
        if self._digest is None:
            with self.open() as member:
                self._digest = hash_stream(member)[0]
        return self._digest


UNZIPPED_LIMIT = 262_144_000
"""Lambda's limit on a function's unzipped deployment package (with its layers)."""


class ZipPackage:
    """A zip read as entries: `with ZipPackage(path) as package: ... package.entries ...`.

    Each member is checked: `..`, absolute names, backslashes, duplicate names (also `a/b` vs
    `a//b`), encrypted members and special files raise UnsafePathError naming the member;
    symlinks (Unix zips, `zip -y`) are kept and later rejected by `normalize()` when they point
    outside the package. Modes: folders 0755, files 0755 when any x bit is set, else 0644.
    Members stay in the zip until the layer is written, so keep the package open until then.
    """

    def __init__(self, path: Path) -> None:
        import zipfile

        self.path = path
        try:
            self._zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise BuilderError(f"{path}: cannot read the zip ({exc}); is it a .zip file?") from exc
        except UnicodeDecodeError as exc:
            name = exc.object[:200]
            raise BuilderError(
                f"{path}: member name {name!r} is flagged UTF-8 but is not; rebuild the zip"
            ) from None
        try:
            self.entries = tuple(self._read())
        except BaseException:
            self._zip.close()
            raise

    def _read(self) -> list[Entry]:
        seen: dict[tuple[str, ...], str] = {}
        entries = []
        unzipped = 0
        for info in self._zip.infolist():
            where = f"{self.path}:{info.filename}"
            unzipped += info.file_size
            if unzipped > UNZIPPED_LIMIT:
                raise UnsafePathError(
                    where,
                    "takes the unzipped package past Lambda's 250 MB (262,144,000 bytes) limit",
                    "make the package smaller or ship the function as a container image",
                )
            first = info.filename.replace("\\", "/").split("/", 1)[0]
            if len(first) == 2 and first[1] == ":" and first[0].isascii() and first[0].isalpha():
                raise UnsafePathError(where, "starts with a drive letter", "use relative names")
            try:
                parts = split_path(info.filename, what="member name")
            except UnsafePathError as exc:
                raise UnsafePathError(where, exc.reason, exc.fix) from None
            if parts in seen:
                raise UnsafePathError(
                    where, f"the name is already used by member {seen[parts]!r}", "rebuild the zip"
                )
            seen[parts] = info.filename
            if parts:
                entries.append(self._entry(info, "/".join(parts), where))
        return entries

    def _entry(self, info: zipfile.ZipInfo, path: str, where: str) -> Entry:
        if info.flag_bits & 0x1:
            raise UnsafePathError(where, "is encrypted", "rebuild the zip without a password")
        mode = info.external_attr >> 16 if info.create_system == _UNIX else 0
        if info.is_dir() or stat.S_ISDIR(mode):
            return Entry(path, "dir", origin=where)
        if stat.S_ISLNK(mode):
            try:
                target = self._zip.read(info).decode("utf-8")
            except UnicodeDecodeError:
                raise UnsafePathError(where, "symlink target is not UTF-8", "fix it") from None
            return Entry(path, "symlink", target=target, origin=where)
        # No file-type bits (ZipFile.writestr writes 0o600 alone) means a regular file.
        if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
            raise UnsafePathError(where, "is not a regular file, folder or symlink", "remove it")
        return Entry(path, "file", bool(mode & 0o111), _ZipMember(self._zip, info), origin=where)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> ZipPackage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

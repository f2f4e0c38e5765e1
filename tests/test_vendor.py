"""The pinned axe-core copy: checked against its integrity, only kept files unpacked."""

import io
import tarfile

import pytest

from journal import vendor


def make_tarball(path, files):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


FILES = {
    "package/axe.min.js": b"// axe",
    "package/axe.js": b"// not kept",
    "package/locales/de.json": b"{}",
    "README.md": b"outside the package folder",
}


def pinned_to(tarball):
    return vendor.axe()._replace(integrity=vendor.integrity_of(tarball.read_bytes()))


def test_unpack_keeps_only_the_kept_files(tmp_path):
    tarball = make_tarball(tmp_path / "axe.tgz", FILES)
    dest = tmp_path / "axe"
    vendor.unpack(tarball, dest, pinned_to(tarball))
    found = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert found == ["axe.min.js"]


def test_a_tarball_that_is_not_the_pinned_one_is_refused(tmp_path):
    tarball = make_tarball(tmp_path / "axe.tgz", FILES)
    with pytest.raises(vendor.VendorError, match="does not match the pinned"):
        vendor.unpack(tarball, tmp_path / "axe", vendor.axe())
    assert not (tmp_path / "axe").exists()


def test_a_package_without_its_main_file_is_refused(tmp_path):
    tarball = make_tarball(tmp_path / "axe.tgz", {"package/axe.js": b"// not the main"})
    with pytest.raises(vendor.VendorError, match="no axe.min.js in the package"):
        vendor.unpack(tarball, tmp_path / "axe", pinned_to(tarball))
    assert not (tmp_path / "axe").exists()

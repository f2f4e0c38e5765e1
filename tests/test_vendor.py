"""The pinned MathJax copy: checked against its integrity, only kept files unpacked."""

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
    "package/es5/tex-chtml.js": b"// mathjax",
    "package/es5/output/chtml/fonts/woff-v2/MathJax_Zero.woff": b"font",
    "package/es5/tex-svg-full.js": b"// not served",
    "package/README.md": b"readme",
}


def test_unpack_keeps_only_the_served_files(tmp_path, monkeypatch):
    tarball = make_tarball(tmp_path / "mathjax.tgz", FILES)
    monkeypatch.setattr(vendor, "MATHJAX_INTEGRITY", vendor.integrity_of(tarball.read_bytes()))
    dest = tmp_path / "mathjax"
    vendor.unpack(tarball, dest)
    found = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert found == ["output/chtml/fonts/woff-v2/MathJax_Zero.woff", "tex-chtml.js"]
    urls = [url for url, _ in vendor.site_files(dest)]
    assert urls == [f"{vendor.SITE_PREFIX}/{name}" for name in found]


def test_a_tarball_that_is_not_the_pinned_one_is_refused(tmp_path):
    tarball = make_tarball(tmp_path / "mathjax.tgz", FILES)
    with pytest.raises(vendor.VendorError, match="does not match the pinned"):
        vendor.unpack(tarball, tmp_path / "mathjax")
    assert not (tmp_path / "mathjax").exists()

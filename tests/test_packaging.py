"""The three addons build as wheels (whool) named and depending as a package index expects.

Offline: ``pip wheel --no-deps --no-build-isolation`` with whool installed
(``requirements.txt``).
"""

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = {
    "sms_two_way": {"odoo==18.0.*", "twilio", "phonenumbers", "regex"},
    "sms_two_way_appointment": {"odoo==18.0.*", "odoo-addon-sms_two_way==18.0.*"},
    "sms_two_way_survey": {"odoo==18.0.*", "odoo-addon-sms_two_way==18.0.*"},
}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    try:
        import whool  # noqa: F401
    except ImportError:
        pytest.fail("whool is not installed: pip install -r requirements.txt")
    out = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            *(str(ROOT / addon) for addon in EXPECTED),
        ],
        check=True,
    )
    return {path.name.split("-")[0]: path for path in out.glob("*.whl")}


@pytest.mark.parametrize("addon", sorted(EXPECTED))
def test_addon_wheel_metadata(wheels, addon):
    wheel = wheels[f"odoo_addon_{addon}"]
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [metadata_name] = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
    manifest_version = eval((ROOT / addon / "__manifest__.py").read_text())["version"]  # noqa: S307 - our file
    assert metadata["Name"] == f"odoo-addon-{addon}"
    assert metadata["Version"].startswith(manifest_version)
    assert set(metadata.get_all("Requires-Dist")) == EXPECTED[addon]
    for packaged in (
        "__manifest__.py",
        "__init__.py",
        "README.rst",
        "static/description/icon.png",
    ):
        assert f"odoo/addons/{addon}/{packaged}" in names

"""Packaging hook: the wheel carries schemas/ and the current release.

Everything else is declared in pyproject.toml; the version is the last data release of
schemas/package.json (``X.Y.Z``, or ``X.Y.Z.postN`` after N code-only fixes). At wheel-build time this copies schemas/,
datapackage.json, build/versions.json and build/<current version>/ into
ketamine_ssri_evidence/_data/, so that ``pip install`` then ``ketamine_ssri_evidence.load("figures")`` works
offline. Editable installs read them from the checkout instead.
"""

import json
import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class build_py_with_release(build_py):
    def run(self):
        super().run()
        data = Path(self.build_lib) / "ketamine_ssri_evidence" / "_data"
        if data.exists():
            shutil.rmtree(data)
        shutil.copytree(HERE / "schemas", data / "schemas")
        desc = HERE / "datapackage.json"
        if desc.is_file():
            version = json.loads(desc.read_text(encoding="utf-8"))["version"]
            shutil.copy2(desc, data / "datapackage.json")
            (data / "build").mkdir(parents=True)
            shutil.copy2(HERE / "build" / "versions.json", data / "build" / "versions.json")
            shutil.copytree(HERE / "build" / version, data / "build" / version)


def package_version() -> str:
    """The last data release of schemas/package.json, checked (one source of the version)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_release_metadata", HERE / "datapackage" / "release_metadata.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    meta = module.parse((HERE / "schemas" / "package.json").read_text(encoding="utf-8"))
    return module.package_version(meta)


# setuptools' own scratch folder must not be build/, which holds the releases
setup(
    version=package_version(),
    cmdclass={"build_py": build_py_with_release},
    options={"build": {"build_base": ".build-python"}},
)

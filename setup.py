"""Build steps pyproject.toml cannot declare: the optional compiled bulk core, and prompts/ and the
labelled set in wheels.

The compiled core (``tasseograph._scancore``) needs a C compiler and Hyperscan's headers
(Debian: ``apt-get install libhyperscan-dev``). Without them the build prints a warning and the
package installs anyway; ``tasseograph.bulk`` then runs its Python path and says so.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    """Ship the top-level ``prompts/`` folder inside the package, as ``tasseograph/_prompts``, and the
    project's labelled set as ``tasseograph/_datasets`` (the default local and sklearn models train on it)."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # an editable install reads both from the checkout
            shutil.copytree("prompts", Path(self.build_lib) / "tasseograph" / "_prompts", dirs_exist_ok=True)
            shutil.copytree("datasets/synthetic", Path(self.build_lib) / "tasseograph" / "_datasets" / "synthetic",
                            dirs_exist_ok=True)


SCANCORE = Extension(
    "tasseograph._scancore",
    sources=["tasseograph/_scancore.c", *(f"csrc/{name}.c" for name in ("chars", "table", "memo", "lexer", "prefix"))],
    include_dirs=["csrc"],
    depends=["csrc/scancore.h"],
    libraries=["hs"],
    extra_compile_args=["-O3", "-std=c11"],
    optional=True,  # a failed build warns and leaves the Python path
)

setup(ext_modules=[SCANCORE], cmdclass={"build_py": BuildPy})

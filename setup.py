"""Packaging details pyproject.toml cannot say.

* templates/ and migrations/ stand at the top of the tree (the product card fixes the layout); a wheel
  carries them as ``evaluation/templates`` and ``evaluation/migrations``, where create_app looks first.
* The message catalogs are compiled whenever the package is built, so a plain `pip install .` ships them.
"""

from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in Path(__file__).parent.glob("evaluation/translations/*/LC_MESSAGES/*.po"):
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            with po_path.with_suffix(".mo").open("wb") as mo_file:
                write_mo(mo_file, catalog)
        super().run()


setup(
    packages=find_packages(include=["evaluation*", "panels*", "rubrics*", "procurement*"])
    + ["evaluation.templates", "evaluation.migrations"],
    package_dir={"evaluation.templates": "templates", "evaluation.migrations": "migrations"},
    package_data={
        "evaluation": [
            "static/**/*",
            "translations/*/LC_MESSAGES/*.po",
            "translations/*/LC_MESSAGES/*.mo",
            "accounts/data/*.txt",
        ],
        "evaluation.templates": ["*.html", "**/*.html", "**/*.txt"],
        "evaluation.migrations": ["alembic.ini", "script.py.mako", "README", "versions/*.py"],
        "rubrics": ["templates/*.json"],
    },
    include_package_data=False,
    cmdclass={"build_py": BuildWithCatalogs},
)

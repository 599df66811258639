"""Package discovery for setuptools; everything else lives in pyproject.toml.

The code packages are discovered (so a new subpackage such as ``sopflow.jobs`` is never
left out of the wheel), and the top-level data folders are mapped into the namespace
package ``sopflow_sops`` together with every folder below them. pyproject.toml explains why.
"""

from setuptools import find_namespace_packages, setup

DATA_PACKAGES = {
    "sopflow_sops.processes": "processes",
    "sopflow_sops.templates": "templates",
    "sopflow_sops.samples": "samples",
}

SKIP = ["__pycache__", "*.__pycache__"]

packages = find_namespace_packages(
    include=["sopflow", "sopflow.*", "handlers", "handlers.*", "webapp", "webapp.*"], exclude=SKIP
)
for package, folder in DATA_PACKAGES.items():
    packages += [package, *(f"{package}.{sub}" for sub in find_namespace_packages(where=folder, exclude=SKIP))]

setup(packages=packages, package_dir=DATA_PACKAGES)

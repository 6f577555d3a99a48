"""Package metadata for openedx-microcred."""
import os
import re

from setuptools import find_namespace_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read(*parts):
    with open(os.path.join(HERE, *parts), encoding="utf-8") as handle:
        return handle.read()


def requirements(path):
    """The package names of a requirements .in file (pins live in the compiled .txt files)."""
    names = []
    for line in read(path).splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.append(line)
    return names


VERSION = re.search(r'^__version__ = "([^"]+)"', read("openedx_microcred", "__init__.py"), re.M).group(1)

setup(
    name="openedx-microcred",
    version=VERSION,
    description="Stackable, verifiable micro-credentials for Open edX",
    long_description=read("README.rst"),
    long_description_content_type="text/x-rst",
    license="AGPL-3.0",
    # namespace packages: the data folders (templates, static, locale…) are packages too, so
    # setuptools ships them without warning that it may stop doing so
    packages=find_namespace_packages(include=["openedx_microcred", "openedx_microcred.*"]),
    include_package_data=True,
    python_requires=">=3.11",
    install_requires=requirements("requirements/base.in"),
    entry_points={
        "lms.djangoapp": ["openedx_microcred = openedx_microcred.apps:MicrocredConfig"],
        "cms.djangoapp": ["openedx_microcred = openedx_microcred.apps:MicrocredConfig"],
        # the LMS loads course tabs by type name (CourseTabPluginManager)
        "openedx.course_tab": ["microcred = openedx_microcred.course_tab:MicrocredCourseTab"],
    },
    classifiers=[
        "Framework :: Django",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
    ],
    zip_safe=False,
)

"""pyproject.toml and environment.yml must list the same dependencies.

`pip install -e ".[dev]"` reads pyproject.toml; `conda env create -f environment.yml`
reads environment.yml. The two are written by hand, so this test compares them: the same
packages (names normalised, PyPI names mapped to conda-forge names), the same version
constraints, the same Python floor, conda-forge as the only channel, and the package itself
installed editable with its dev extra.

An environment marker in pyproject.toml may only restrict the Python version (e.g. tomli,
needed before 3.11): environment.yml then lists the package unconditionally, a harmless
superset. Any other marker (platform, ...) is reported, since conda cannot express it.

A package may appear once among the runtime dependencies and once more in the dev extra
(numpy: `numpy>=1.24` for users, `numpy<2.4` in the dev extra for the Brian2 oracle):
`pip install -e ".[dev]"` then applies both, so environment.yml, which installs the dev
set, must list their intersection (`numpy>=1.24,<2.4`).

A few packages (PIP_ONLY: nest-simulator, the NEST oracle, taken from its PyPI wheels;
playwright, which drives the system's Chromium in tests/test_browser.py;
django-static-mathjax, the website's MathJax) are
installed by environment.yml's pip section instead of by conda: they are listed there, with
the same constraints as in pyproject.toml, before the editable entry, and nowhere else.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:      # Python < 3.11: the dev extra installs tomli there
    import tomli as tomllib

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
ENVIRONMENT = ROOT / "environment.yml"

# PyPI name -> conda-forge name, where they differ (or where it is worth saying they don't).
PYPI_TO_CONDA = {
    "brian2": "brian2",  # conda-forge ships Brian2 under the same name
    "scikit-learn": "scikit-learn",
    "pyyaml": "pyyaml",
}
# conda packages that have no counterpart in pyproject's dependency lists
CONDA_ONLY = {"python", "pip"}
EDITABLE_ENTRY = "-e .[dev]"
# PyPI packages that environment.yml installs in its pip section (before EDITABLE_ENTRY)
# rather than from conda-forge: NEST, the oracle of tests/nest_oracle.py, from its wheels
# and django-static-mathjax, MathJax for the website (`neurolab docs`), not on conda-forge
PIP_ONLY = {"nest-simulator", "playwright", "django-static-mathjax"}
# marker variables environment.yml may ignore (it pins one Python and installs the package
# whatever its version): the pip side then installs a subset of the conda side
PYTHON_MARKER_VARIABLES = {"python_version", "python_full_version"}


def marker_variables(marker) -> set[str]:
    """The variable names a PEP 508 marker tests (quoted values and operators removed)."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", " ", str(marker))
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", text)) - {"and", "or", "in", "not"}


def normalise(name: str) -> str:
    """PEP 503 normalised package name (lower case, runs of -_. become -)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_requirements(data: dict, extras: tuple[str, ...] = ("dev",),
                           ) -> tuple[dict[str, SpecifierSet], list[str]]:
    """Runtime + ``extras`` requirements of a parsed pyproject.toml, keyed by conda-forge
    name; a package listed in the runtime list and in an extra gets both constraints
    (what pip installs). The key "python" holds requires-python. Returns (requirements,
    problems)."""
    project = data.get("project", {})
    reqs: dict[str, SpecifierSet] = {}
    problems: list[str] = []
    groups = [("dependencies", list(project.get("dependencies", [])))]
    groups += [(f"optional-dependencies.{e}",
                list(project.get("optional-dependencies", {}).get(e, []))) for e in extras]
    for group, lines in groups:
        seen: set[str] = set()
        for line in lines:
            try:
                req = Requirement(line)
            except InvalidRequirement as exc:
                problems.append(f"pyproject.toml: cannot parse requirement {line!r}: {exc}")
                continue
            if req.marker is not None and \
                    not marker_variables(req.marker) <= PYTHON_MARKER_VARIABLES:
                problems.append(
                    f"pyproject.toml: {line!r} has an environment marker other than the "
                    "Python version, which environment.yml cannot express"
                )
            name = normalise(req.name)
            name = PYPI_TO_CONDA.get(name, name)
            if name in seen:
                problems.append(f"pyproject.toml: {name} is listed twice in {group}")
            seen.add(name)
            reqs[name] = reqs[name] & req.specifier if name in reqs else req.specifier
    try:
        reqs["python"] = SpecifierSet(project.get("requires-python", ""))
    except InvalidSpecifier as exc:
        problems.append(f"pyproject.toml: bad requires-python: {exc}")
    return reqs, problems


def conda_requirements(data: dict) -> tuple[dict[str, SpecifierSet], list[str], list[str]]:
    """Conda dependencies of a parsed environment.yml.

    Returns (requirements keyed by normalised name, pip entries, problems).
    """
    reqs: dict[str, SpecifierSet] = {}
    pip_entries: list[str] = []
    problems: list[str] = []
    for item in data.get("dependencies", []) or []:
        if isinstance(item, dict):
            if set(item) != {"pip"}:
                problems.append(f"environment.yml: unexpected dependency entry {item!r}")
            pip_entries += [str(e) for e in item.get("pip", []) or []]
            continue
        m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9_.\-]*)\s*(.*?)\s*", str(item))
        if m is None:
            problems.append(f"environment.yml: cannot parse dependency {item!r}")
            continue
        name, spec = normalise(m.group(1)), m.group(2).replace(" ", "")
        try:
            specifier = SpecifierSet(spec)
        except InvalidSpecifier:
            problems.append(
                f"environment.yml: {name}: version spec {spec!r} is not a PEP 440 specifier "
                "(write it with >=, <, ==, != so pyproject.toml can say the same)"
            )
            continue
        if name in reqs:
            problems.append(f"environment.yml: {name} is listed twice")
        reqs[name] = specifier
    return reqs, pip_entries, problems


def pip_section_requirements(pip_entries: list[str]) -> tuple[dict[str, SpecifierSet],
                                                                list[str]]:
    """The PyPI requirements of environment.yml's pip section (every entry but the editable
    one), keyed by normalised name. Returns (requirements, problems)."""
    reqs: dict[str, SpecifierSet] = {}
    problems: list[str] = []
    for entry in pip_entries:
        if entry.replace(" ", "").startswith("-e"):
            continue
        try:
            req = Requirement(entry)
        except InvalidRequirement as exc:
            problems.append(f"environment.yml: cannot parse pip entry {entry!r}: {exc}")
            continue
        name = normalise(req.name)
        if req.marker is not None or req.extras or req.url:
            problems.append(f"environment.yml: pip entry {entry!r}: name and version only")
        if name not in PIP_ONLY:
            problems.append(
                f"{name}: listed in environment.yml's pip section; only {sorted(PIP_ONLY)} "
                "are installed by pip there (list it among the conda dependencies)")
        if name in reqs:
            problems.append(f"environment.yml: {name} is listed twice in the pip section")
        reqs[name] = req.specifier
    return reqs, problems


def compare(pyproject: dict, environment: dict) -> list[str]:
    """Every way in which the two parsed files disagree; empty when they agree."""
    py_reqs, problems = pyproject_requirements(pyproject)
    conda_reqs, pip_entries, conda_problems = conda_requirements(environment)
    problems += conda_problems
    pip_reqs, pip_problems = pip_section_requirements(pip_entries)
    problems += pip_problems
    for name in sorted(PIP_ONLY & set(conda_reqs)):
        problems.append(f"{name}: must be installed by environment.yml's pip section, "
                        "not listed among its conda dependencies")
    for name, spec in pip_reqs.items():
        if name in conda_reqs:
            problems.append(f"{name}: listed both in the pip section and among the conda "
                            "dependencies of environment.yml")
        else:
            conda_reqs[name] = spec

    channels = environment.get("channels")
    if channels != ["conda-forge"]:
        problems.append(f"environment.yml: channels must be exactly ['conda-forge'], got {channels!r}")
    if environment.get("name") != "neurolab":
        problems.append(f"environment.yml: name must be 'neurolab', got {environment.get('name')!r}")

    for name in sorted(set(py_reqs) | set(conda_reqs)):
        if name == "pip" and name not in py_reqs:
            continue
        if name not in conda_reqs:
            problems.append(f"{name}: in pyproject.toml ({py_reqs[name] or 'any version'}) but not in environment.yml")
        elif name not in py_reqs:
            problems.append(f"{name}: in environment.yml ({conda_reqs[name] or 'any version'}) but not in pyproject.toml")
        elif py_reqs[name] != conda_reqs[name]:
            problems.append(
                f"{name}: version constraints differ: pyproject.toml {str(py_reqs[name]) or 'any'!s} "
                f"vs environment.yml {str(conda_reqs[name]) or 'any'!s}"
            )
    if "pip" not in conda_reqs:
        problems.append("pip: environment.yml must list pip to install neurolab itself")
    entries = [e.replace(" ", "") for e in pip_entries]
    if [e for e in entries if e.startswith("-e")] != [EDITABLE_ENTRY.replace(" ", "")] or \
            entries[-1] != EDITABLE_ENTRY.replace(" ", ""):
        problems.append(f"environment.yml: pip entries must be the pip-only packages "
                        f"{sorted(PIP_ONLY)} then {EDITABLE_ENTRY!r}, got {pip_entries!r}")
    return problems


def load_both() -> tuple[dict, dict]:
    with PYPROJECT.open("rb") as fh:
        pyproject = tomllib.load(fh)
    with ENVIRONMENT.open(encoding="utf-8") as fh:
        environment = yaml.safe_load(fh)
    return pyproject, environment


def test_dependency_lists_agree():
    pyproject, environment = load_both()
    problems = compare(pyproject, environment)
    assert problems == [], "pyproject.toml and environment.yml drifted apart:\n" + "\n".join(problems)


def test_numpy_pin_keeps_brian2_importable():
    # brian2 2.9.0 (newest on Python 3.11) fails to import with numpy 2.4+ (ndarray.ptp removed)
    pyproject, environment = load_both()
    reqs, _ = pyproject_requirements(pyproject)          # runtime + dev: what tests run on
    assert "2.3.5" in reqs["numpy"] and "2.4.0" not in reqs["numpy"]
    assert "2.9.0" in reqs["brian2"] and "2.10.0" not in reqs["brian2"]
    conda, _, _ = conda_requirements(environment)
    assert "2.3.5" in conda["numpy"] and "2.4.0" not in conda["numpy"]


def test_users_of_the_package_get_current_numpy():
    """The pin is the oracle's need, not the package's: the runtime list alone allows
    numpy 2.4 and later, and keeps the floor."""
    pyproject, _ = load_both()
    runtime, problems = pyproject_requirements(pyproject, extras=())
    assert problems == []
    assert "2.4.0" in runtime["numpy"] and "3.0.0" in runtime["numpy"]
    assert "1.23.5" not in runtime["numpy"] and "1.24.0" in runtime["numpy"]
    assert "brian2" not in runtime and "filelock" in runtime


def test_no_registry_hosts_named():
    for path in (PYPROJECT, ENVIRONMENT):
        text = path.read_text(encoding="utf-8")
        assert "://" not in text, f"{path.name} names a URL"
        assert "--index-url" not in text and "--extra-index-url" not in text


def _set_dep(env: dict, name: str, value: str | None) -> None:
    deps = env["dependencies"]
    idx = next(i for i, d in enumerate(deps) if isinstance(d, str) and re.match(rf"{name}\b", d))
    if value is None:
        del deps[idx]
    else:
        deps[idx] = value


def _drift_numpy_pin(py, env):
    _set_dep(env, "numpy", "numpy>=1.24")


def _drift_numpy_pin_in_pyproject(py, env):
    deps = py["project"]["optional-dependencies"]["dev"]
    deps[deps.index("numpy<2.4")] = "numpy<2.5"


def _drift_numpy_floor_in_pyproject(py, env):
    deps = py["project"]["dependencies"]
    deps[deps.index("numpy>=1.24")] = "numpy>=1.26"


def _drift_listed_twice_in_one_list(py, env):
    py["project"]["dependencies"].append("numpy<3")


def _drift_filelock_missing_in_conda(py, env):
    _set_dep(env, "filelock", None)


def _drift_missing_in_conda(py, env):
    _set_dep(env, "tqdm", None)


def _drift_missing_dev_in_conda(py, env):
    _set_dep(env, "brian2", None)


def _drift_extra_in_conda(py, env):
    env["dependencies"].insert(3, "scipy>=1.10")


def _drift_extra_in_pyproject(py, env):
    py["project"]["optional-dependencies"]["dev"].append("hypothesis")


def _drift_python_floor(py, env):
    _set_dep(env, "python", "python>=3.11")


def _drift_channel(py, env):
    env["channels"] = ["conda-forge", "defaults"]


def _drift_pip_entry(py, env):
    env["dependencies"][-1] = {"pip": ["-e ."]}


def _drift_conda_only_syntax(py, env):
    _set_dep(env, "numba", "numba=0.59")


def _drift_platform_marker(py, env):
    deps = py["project"]["dependencies"]
    deps[deps.index("tqdm")] = "tqdm; sys_platform == 'linux'"


def _drift_marked_dep_missing_in_conda(py, env):
    _set_dep(env, "tomli", None)


def _pip_section(env: dict) -> list:
    return next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]


def _drift_pip_only_missing(py, env):
    pip = _pip_section(env)
    pip[:] = [e for e in pip if not e.startswith("nest-simulator")]


def _drift_pip_only_version(py, env):
    pip = _pip_section(env)
    pip[:] = ["nest-simulator>=3.9" if e.startswith("nest-simulator") else e for e in pip]


def _drift_pip_only_in_conda_list(py, env):
    _drift_pip_only_missing(py, env)
    env["dependencies"].insert(3, "nest-simulator>=3.10")


def _drift_other_package_in_pip_section(py, env):
    _pip_section(env).insert(0, "scikit-learn")


def _drift_pip_only_missing_in_pyproject(py, env):
    deps = py["project"]["optional-dependencies"]["dev"]
    deps[:] = [d for d in deps if not d.startswith("nest-simulator")]


def _drift_editable_not_last(py, env):
    _pip_section(env).reverse()


DRIFTS = {
    "numpy pin dropped in environment.yml": (_drift_numpy_pin, "numpy"),
    "numpy pin changed in pyproject.toml": (_drift_numpy_pin_in_pyproject, "numpy"),
    "numpy floor changed in pyproject.toml": (_drift_numpy_floor_in_pyproject, "numpy"),
    "package twice in one list": (_drift_listed_twice_in_one_list, "listed twice"),
    "filelock missing from environment.yml": (_drift_filelock_missing_in_conda, "filelock"),
    "runtime dep missing from environment.yml": (_drift_missing_in_conda, "tqdm"),
    "dev dep missing from environment.yml": (_drift_missing_dev_in_conda, "brian2"),
    "extra dep in environment.yml": (_drift_extra_in_conda, "scipy"),
    "extra dep in pyproject.toml": (_drift_extra_in_pyproject, "hypothesis"),
    "python floor differs": (_drift_python_floor, "python"),
    "second channel": (_drift_channel, "channels"),
    "pip entry without dev extra": (_drift_pip_entry, "pip entries"),
    "conda-only version syntax": (_drift_conda_only_syntax, "numba"),
    "platform marker in pyproject.toml": (_drift_platform_marker, "environment marker"),
    "python-version-marked dep missing from environment.yml":
        (_drift_marked_dep_missing_in_conda, "tomli"),
    "pip-only package missing from the pip section": (_drift_pip_only_missing, "nest-simulator"),
    "pip-only package version differs": (_drift_pip_only_version, "nest-simulator"),
    "pip-only package among the conda dependencies":
        (_drift_pip_only_in_conda_list, "pip section"),
    "other package in the pip section": (_drift_other_package_in_pip_section, "scikit-learn"),
    "pip-only package missing from pyproject.toml":
        (_drift_pip_only_missing_in_pyproject, "nest-simulator"),
    "editable entry not last": (_drift_editable_not_last, "pip entries"),
}


@pytest.mark.parametrize("drift", list(DRIFTS), ids=list(DRIFTS))
def test_comparison_reports_drift(drift):
    mutate, expected = DRIFTS[drift]
    pyproject, environment = load_both()
    pyproject, environment = copy.deepcopy(pyproject), copy.deepcopy(environment)
    assert compare(pyproject, environment) == []
    mutate(pyproject, environment)
    problems = compare(pyproject, environment)
    assert problems, f"drift {drift!r} went unnoticed"
    assert any(expected in p for p in problems), problems


def test_python_version_markers_are_accepted():
    assert marker_variables(Requirement("tomli; python_version < '3.11'").marker) == {
        "python_version"}
    assert marker_variables(Requirement(
        'a; python_full_version >= "3.10.1" and sys_platform == "win32"').marker) == {
        "python_full_version", "sys_platform"}
    pyproject, _ = load_both()
    reqs, problems = pyproject_requirements(pyproject)
    assert problems == [] and "tomli" in reqs
    marked = [line for line in pyproject["project"]["optional-dependencies"]["dev"]
              if line.startswith("tomli")]
    assert marked and Requirement(marked[0]).marker.evaluate({"python_version": "3.10"})
    assert not Requirement(marked[0]).marker.evaluate({"python_version": "3.11"})


def test_reads_pyproject_with_tomli_without_tomllib(monkeypatch):
    """Python 3.10 has no tomllib: this module must fall back to tomli (stood in for by a
    module wrapping tomllib, so the test runs on any Python)."""
    import importlib.util
    import sys
    import types

    real = tomllib
    stand_in = types.ModuleType("tomli")
    stand_in.load, stand_in.loads = real.load, real.loads
    monkeypatch.setitem(sys.modules, "tomllib", None)       # import tomllib now fails
    monkeypatch.setitem(sys.modules, "tomli", stand_in)
    spec = importlib.util.spec_from_file_location("_env_test_without_tomllib", __file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.tomllib is stand_in
    pyproject, environment = module.load_both()
    assert module.compare(pyproject, environment) == []

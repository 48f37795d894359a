"""Image URIs → runtimes (Python environments on this machine) and the commands they run.

A job names a container image; we run no containers, so each image maps to a runtime: an
interpreter plus environment, chosen by the table in runtimes.yaml (docs/runtimes.md). The
runtime then builds the command the image's entry point would: script mode for the framework
images (``python <sagemaker_program> --hp value …``, as the SageMaker training toolkit does), the
job's ContainerEntrypoint for processing (``python3`` meaning the runtime's interpreter).
"""

from __future__ import annotations

import fnmatch
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from sagecraft.core.errors import ValidationException
from sagecraft.executors import toolkit

DEFAULT_TABLE = Path(__file__).with_name("runtimes.yaml")
OVERRIDE_ENV = "SAGECRAFT_RUNTIMES"
PYTHON_NAMES = frozenset({"python", "python3", *(f"python3.{minor}" for minor in range(6, 20))})


class UnknownImage(ValidationException):
    """No runtime maps this image; the message names the table to extend."""


@dataclass(frozen=True)
class ImageRef:
    registry: str  # "" when the URI names none (Docker Hub)
    repository: str  # library/ and docker/library/ prefixes dropped
    tag: str

    @classmethod
    def parse(cls, uri: str) -> ImageRef:
        name = uri.strip().split("@", 1)[0]
        first, _, rest = name.partition("/")
        if rest and ("." in first or ":" in first or first == "localhost"):
            registry, path = first, rest
        else:
            registry, path = "", name
        repository, _, tag = path.rpartition(":") if ":" in path.rsplit("/", 1)[-1] else (path, "", "latest")
        for prefix in ("docker/library/", "library/"):
            if repository.startswith(prefix):
                repository = repository[len(prefix):]
        return cls(registry, repository, tag or "latest")


@dataclass(frozen=True)
class Runtime:
    name: str
    image_uri: str
    python: str  # absolute path of the interpreter
    env: Mapping[str, str] = field(default_factory=dict)
    framework: str | None = None  # xgboost | sklearn | pytorch | None
    training_module: str | None = None  # SM_FRAMEWORK_MODULE, as the image's SAGEMAKER_TRAINING_MODULE
    algorithm: tuple[str, ...] | None = None  # argv of the built-in algorithm, if the image has one

    @property
    def bin_dir(self) -> str:
        return str(Path(self.python).parent)

    def environment(self) -> dict[str, str]:
        """The image's own environment: its interpreter's folder first on PATH, then the usual ones."""
        path = f"{self.bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return {"PATH": path, "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8", **self.env}

    def with_python(self, python: str) -> Runtime:
        return replace(self, python=python)

    def resolve_argv0(self, argv: Sequence[str]) -> list[str]:
        """``python``/``python3``/``python3.X`` in a command means this runtime's interpreter."""
        argv = list(argv)
        if argv and argv[0] in PYTHON_NAMES | {"/usr/bin/python3", "/usr/local/bin/python3", "/usr/bin/python",
                                              "/usr/local/bin/python"}:
            argv[0] = self.python
        return argv


@dataclass(frozen=True)
class _Rule:
    repository: tuple[str, ...]
    tag: tuple[str, ...]
    registry: tuple[str, ...]
    runtime: str
    framework: str | None
    training_module: str | None
    algorithm: str | None

    def matches(self, ref: ImageRef) -> bool:
        return (_any(ref.repository, self.repository) and _any(ref.tag, self.tag)
                and _any(ref.registry, self.registry))


def _any(value: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _patterns(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


class RuntimeRegistry:
    def __init__(self, table: Mapping[str, Any], sources: Sequence[str] = ()) -> None:
        self.sources = list(sources) or ["<table>"]
        self.runtimes: dict[str, Mapping[str, Any]] = dict(table.get("runtimes") or {})
        self.algorithms: dict[str, list[str]] = {k: list(v) for k, v in (table.get("algorithms") or {}).items()}
        self.rules = [self._rule(item) for item in table.get("images") or []]

    @classmethod
    def load(cls, home: str | os.PathLike | None = None, path: str | os.PathLike | None = None) -> RuntimeRegistry:
        """The bundled table, overridden by ``path``, else $SAGECRAFT_RUNTIMES, else <home>/runtimes.yaml."""
        table = yaml.safe_load(DEFAULT_TABLE.read_text()) or {}
        sources = [str(DEFAULT_TABLE)]
        override = path or os.environ.get(OVERRIDE_ENV) or (Path(home) / "runtimes.yaml" if home else None)
        if override and Path(override).exists():
            extra = yaml.safe_load(Path(override).read_text()) or {}
            table = {
                "runtimes": {**table.get("runtimes", {}), **(extra.get("runtimes") or {})},
                "algorithms": {**(table.get("algorithms") or {}), **(extra.get("algorithms") or {})},
                "images": [*(extra.get("images") or []), *table.get("images", [])],
            }
            sources.insert(0, str(override))
        return cls(table, sources)

    def _rule(self, item: Mapping[str, Any]) -> _Rule:
        if "repository" not in item or "runtime" not in item:
            raise ValueError(f"an image rule needs `repository` and `runtime`: {dict(item)}")
        if item["runtime"] not in self.runtimes:
            raise ValueError(f"image rule {dict(item)} names runtime {item['runtime']!r}, which is not defined")
        return _Rule(_patterns(item["repository"], ()), _patterns(item.get("tag"), ("*",)),
                     _patterns(item.get("registry"), ("*",)), str(item["runtime"]), item.get("framework"),
                     item.get("training_module"), item.get("algorithm"))

    def resolve(self, image_uri: str) -> Runtime:
        ref = ImageRef.parse(image_uri)
        for rule in self.rules:
            if rule.matches(ref):
                return self._runtime(rule, image_uri)
        raise UnknownImage(
            f"No Sagecraft runtime maps the image {image_uri!r} (repository {ref.repository!r}, tag {ref.tag!r}). "
            f"Add an image rule for it to {self.sources[0] if len(self.sources) > 1 else '<home>/runtimes.yaml'} "
            f"or to the file named by ${OVERRIDE_ENV} (see docs/runtimes.md).")

    def _runtime(self, rule: _Rule, image_uri: str) -> Runtime:
        config = self.runtimes[rule.runtime]
        python = str(config.get("python") or sys.executable)
        algorithm = None
        if rule.algorithm and rule.algorithm in self.algorithms:
            algorithm = tuple(a.replace("{python}", python) for a in self.algorithms[rule.algorithm])
        return Runtime(name=rule.runtime, image_uri=image_uri, python=python,
                       env={str(k): str(v) for k, v in (config.get("env") or {}).items()},
                       framework=rule.framework, training_module=rule.training_module, algorithm=algorithm)


# ---- commands ------------------------------------------------------------------------------------------


def training_argv(runtime: Runtime, hyperparameters: Mapping[str, str], code_dir: Path) -> list[str]:
    """The command a framework image runs for a training job, given the job's raw hyperparameters.

    ``code_dir`` is the host folder that is /opt/ml/code (where the caller extracted
    sagemaker_submit_directory); it tells a shell entry point from a Python one, as the toolkit does.
    """
    decoded = toolkit.decode_hyperparameters(hyperparameters)
    framework, user = toolkit.split_hyperparameters(decoded)
    program = framework.get("sagemaker_program")
    if not program:
        if runtime.algorithm:
            return list(runtime.algorithm)
        raise ValidationException(
            f"The image {runtime.image_uri!r} runs as a built-in algorithm only with an entry point here: pass "
            "an entry point (the sagemaker_program hyperparameter, e.g. an estimator's entry_point), or add the "
            "algorithm to the `algorithms` table of runtimes.yaml (see docs/runtimes.md).")
    program = str(program)
    args = toolkit.to_cmd_args(user)
    if program.endswith(".sh") or not (program.endswith(".py") or (code_dir / "setup.py").exists()):
        script = code_dir / program
        if script.exists():
            script.chmod(0o777)  # the toolkit does the same before running a command entry point
        return ["/bin/sh", "-c", " ".join([f"./{program}", *map(shlex.quote, args)])]
    if (code_dir / "setup.py").exists():
        return [runtime.python, "-m", toolkit.module_name(program), *args]
    return [runtime.python, program, *args]


def processing_argv(runtime: Runtime, entrypoint: Sequence[str] | None, arguments: Sequence[str] | None) -> list[str]:
    """AppSpecification.ContainerEntrypoint + ContainerArguments, with python resolved to the runtime.
    Without an entry point, an algorithm image that is no framework image (the model monitor
    analyzer) runs its algorithm, as its container's entry point would."""
    if not entrypoint and runtime.algorithm and not runtime.framework:
        return [*runtime.algorithm, *(arguments or [])]
    if not entrypoint:
        raise ValidationException(
            f"AppSpecification.ContainerEntrypoint is required for the image {runtime.image_uri!r}: Sagecraft "
            "runs no container, so there is no image entry point to fall back on.")
    return runtime.resolve_argv0([*entrypoint, *(arguments or [])])

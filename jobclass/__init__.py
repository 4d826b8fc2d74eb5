"""jobclass: is a job posting AI engineering, ML engineering, or neither? Read the content."""

from importlib.metadata import PackageNotFoundError, version

from .errors import ConflictError, DataError, InputError, JobclassError, ModelError

try:
    __version__ = version("jobclass")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0.0.0"

__all__ = [
    "ConflictError", "DataError", "InputError", "JobclassError", "ModelError", "__version__",
    "classify", "classify_csv", "evaluate_file", "load_model", "train",
]


def __getattr__(name: str):
    # The API pulls in scikit-learn; importing it lazily keeps `jobclass --help` instant.
    if name in ("classify", "evaluate_file", "train"):
        from . import api
        return getattr(api, name)
    if name == "classify_csv":
        from .batch import classify_csv
        return classify_csv
    if name == "load_model":
        from .persist import load_model
        return load_model
    raise AttributeError(name)

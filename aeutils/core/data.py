"""Dataset registry and loaders: Keras cache, sha256 checks, offline use.

Introduced in notebook 01. Every file lives in the standard Keras cache,
``$KERAS_HOME/datasets/...`` (``~/.keras/datasets`` when ``KERAS_HOME`` is
unset). A file that is there is verified by sha256 and used; a missing file is
downloaded from the official source into a temporary name, verified, and only
then moved into place. A file whose checksum does not match is never deleted or
overwritten: the error names it, with the expected and the actual hash.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import struct
import tempfile
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .validation import check_positive_int

__all__ = [
    "DatasetError",
    "DatasetUnavailableError",
    "ChecksumError",
    "CorruptFileError",
    "FileSpec",
    "DatasetSpec",
    "REGISTRY",
    "FASHION_MNIST_CLASSES",
    "ImageData",
    "cache_dir",
    "sha256sum",
    "fetch",
    "read_idx",
    "load_fashion_mnist",
    "load_mnist",
    "load_ecg5000",
    "load_movielens_100k",
]


class DatasetError(RuntimeError):
    """Base class of the dataset errors."""


class DatasetUnavailableError(DatasetError):
    """A file is not in the cache and could not be downloaded."""


class ChecksumError(DatasetError):
    """A file's sha256 differs from the registry's."""


class CorruptFileError(DatasetError):
    """A file's content cannot be parsed (truncated gzip, wrong IDX header, ...)."""


@dataclass(frozen=True)
class FileSpec:
    """One file of a dataset: where it lives in the cache and how to check it."""

    path: str  # relative to the cache's datasets/ folder
    sha256: str
    urls: tuple[str, ...]  # official source first, then mirrors
    archive_member: str | None = None  # when the URL is a zip holding this file


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset in the registry: its files, licence and where it comes from."""

    name: str
    files: dict[str, FileSpec]
    licence: str
    homepage: str
    citation: str = ""
    redistributable: bool = True


_FMNIST = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_FMNIST_KERAS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_MNIST = "http://yann.lecun.com/exdb/mnist/"
_MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_ML100K_ZIP = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"


def _idx_files(folder: str, hashes: dict[str, str], bases: tuple[str, ...]) -> dict[str, FileSpec]:
    return {
        key: FileSpec(f"{folder}/{fname}", digest, tuple(b + fname for b in bases))
        for key, (fname, digest) in {
            k: (k.replace("_", "-") + ("-idx3-ubyte.gz" if "images" in k else "-idx1-ubyte.gz"), v)
            for k, v in hashes.items()
        }.items()
    }


_ML100K_HASHES = {
    "u.data": "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",
    "u.item": "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701",
    "u.user": "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c",
    "u.genre": "9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb",
    "u.info": "5b0a40b2e47a729ee6203063f6dcf8790c2e63f5a18663e6ee318a72c5f3c27b",
    "README": "4883b8cf340ed0059971b33f56ad3adc88a40792108ebca3d24aafc4c82e8b52",
    "u1.base": "ce253ec86c448b44fb3ba9a30d12dcfc2e9210cbde71efada3730c22e9ac212a",
    "u1.test": "18c6014a4b2c7324f250a63f8904a7b16b2b19f911129e346141507b0cbac950",
    "u2.base": "6c06f0b5df4b256da1a994f3ac66edc8da4d3f09bc9282df6b14d893366d703e",
    "u2.test": "4de658d1e04ed9104629509a2e2528fce833ac8e048280183f1df167632038c3",
    "u3.base": "afdc155c291c6edc41c0407e39d7462eb98d341e064f0b0a12175b80b3c4af5d",
    "u3.test": "0f548b51c78327de4c156461d3e430b7e5579fe2b5681586a59416e48fd35f6d",
    "u4.base": "219f0f4d40dfe9c5141d425f53fa91ee23ed275f14e280bbf1b50117afb064ca",
    "u4.test": "7c02ad0a1e7ab1083c8b9d4b627203a051dd7b5eab46d99fa44de33470de8db9",
    "u5.base": "a9574e59ce961eec2121627760b6e9b0974ce1637b3fe69ac32cb14a4bfab485",
    "u5.test": "351cc52e0d15b6c721466276fc24671d40936899e3d01fadeaf312915b8c5634",
}

REGISTRY: dict[str, DatasetSpec] = {
    "fashion_mnist": DatasetSpec(
        name="fashion_mnist",
        files=_idx_files(
            "fashion-mnist",
            {
                "train_images": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                "train_labels": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                "t10k_images": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                "t10k_labels": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            },
            (_FMNIST, _FMNIST_KERAS),
        ),
        licence="MIT (Zalando SE, 2017)",
        homepage="https://github.com/zalandoresearch/fashion-mnist",
        citation="Xiao, Rasul, Vollgraf. Fashion-MNIST. arXiv:1708.07747 (2017)",
    ),
    "mnist": DatasetSpec(
        name="mnist",
        files=_idx_files(
            "mnist",
            {
                "train_images": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                "train_labels": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                "t10k_images": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                "t10k_labels": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            },
            (_MNIST, _MNIST_MIRROR),
        ),
        licence="CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)",
        homepage="http://yann.lecun.com/exdb/mnist/",
        citation="LeCun, Cortes, Burges. The MNIST database of handwritten digits.",
    ),
    "ecg5000": DatasetSpec(
        name="ecg5000",
        files={
            "csv": FileSpec(
                "ecg.csv",
                "72ce7b040ca0c6ed36c3368e570c6ac4ddf20100476e47373c63b2395e012df1",
                ("http://storage.googleapis.com/download.tensorflow.org/data/ecg.csv",),
            )
        },
        licence="Open Data Commons Attribution v1.0 (PhysioNet, BIDMC CHF database, record chf07)",
        homepage="https://www.timeseriesclassification.com/description.php?Dataset=ECG5000",
        citation="Goldberger et al., Circulation 101(23), 2000; Chen et al., DAMI 29(6), 2015",
    ),
    "ml-100k": DatasetSpec(
        name="ml-100k",
        files={
            name: FileSpec(f"ml-100k/{name}", digest, (_ML100K_ZIP,), archive_member=f"ml-100k/{name}")
            for name, digest in _ML100K_HASHES.items()
        },
        licence=(
            "GroupLens research licence: research use only, acknowledge the data set, "
            "no endorsement implied, NO redistribution without permission, no commercial use"
        ),
        homepage="https://grouplens.org/datasets/movielens/100k/",
        citation="Harper and Konstan. The MovieLens Datasets. ACM TiiS 5(4), 2015. doi:10.1145/2827872",
        redistributable=False,
    ),
}

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


def cache_dir() -> Path:
    """Return the Keras dataset cache folder: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def sha256sum(path: str | os.PathLike) -> str:
    """Return the hex sha256 of a file, read in 1 MiB chunks."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: expected an existing file, got {str(path)!r}")
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url: str, dest: Path, timeout: float = 60.0) -> None:
    """Download ``url`` to ``dest`` (the network's only entry point, patched in tests)."""
    with urllib.request.urlopen(url, timeout=timeout) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out)


def _verify(path: Path, spec: FileSpec) -> None:
    actual = sha256sum(path)
    if actual != spec.sha256:
        raise ChecksumError(
            f"{path}: sha256 mismatch (expected {spec.sha256}, got {actual}). The file was left "
            f"untouched; delete or replace it yourself (official source: {spec.urls[0]})."
        )


def _download_into(spec: FileSpec, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in spec.urls:
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            part = Path(tmp) / "download.part"
            try:
                _download(url, part)
                if spec.archive_member:
                    with zipfile.ZipFile(part) as zf, zf.open(spec.archive_member) as src:
                        member = Path(tmp) / "member"
                        with open(member, "wb") as out:
                            shutil.copyfileobj(src, out)
                    part = member
                _verify(part, spec)
            except ChecksumError as exc:
                errors.append(f"{url}: {exc}")
                continue
            except Exception as exc:  # network, zip or file-system trouble
                errors.append(f"{url}: {type(exc).__name__}: {exc}")
                continue
            os.replace(part, target)
            return
    raise DatasetUnavailableError(
        f"{target} is not in the Keras cache and could not be downloaded ("
        + "; ".join(errors)
        + "). To work offline, copy the file there (see data/README.md) or set KERAS_HOME "
        "to a folder whose datasets/ subfolder holds it."
    )


def fetch(name: str, *, download: bool = True) -> dict[str, Path]:
    """Return the verified local paths of a registered dataset's files.

    Parameters
    ----------
    name : str
        A key of :data:`REGISTRY` (``fashion_mnist``, ``mnist``, ``ecg5000``, ``ml-100k``).
    download : bool
        Download missing files from the official source (default). With
        ``False`` a missing file raises :class:`DatasetUnavailableError`.

    Raises
    ------
    KeyError
        Unknown dataset name.
    ChecksumError
        A cached file's sha256 differs from the registry's (the file is kept).
    DatasetUnavailableError
        A file is missing and could not be downloaded.
    """
    if name not in REGISTRY:
        raise KeyError(f"name: expected one of {sorted(REGISTRY)}, got {name!r}")
    root = cache_dir()
    paths = {}
    for key, spec in REGISTRY[name].files.items():
        target = root / spec.path
        if not target.exists():
            if not download:
                raise DatasetUnavailableError(
                    f"{target} is not in the Keras cache and download=False "
                    f"(official source: {spec.urls[0]})."
                )
            print(f"downloading {spec.path} from {spec.urls[0]} ...")
            _download_into(spec, target)
        _verify(target, spec)
        paths[key] = target
    return paths


_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read a gzipped IDX file (the MNIST format) into a NumPy array.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    CorruptFileError
        The gzip stream is truncated or broken, the IDX magic number is wrong,
        or the data size does not match the header.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: expected an existing IDX file, got {str(path)!r}")
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
    except (EOFError, OSError, zlib.error) as exc:
        raise CorruptFileError(f"{path}: not a complete gzip file ({type(exc).__name__}: {exc})") from exc
    if len(raw) < 4:
        raise CorruptFileError(f"{path}: IDX header too short ({len(raw)} bytes)")
    zero, dtype_code, ndim = raw[0:2], raw[2], raw[3]
    if zero != b"\x00\x00" or dtype_code not in _IDX_DTYPES or ndim == 0:
        magic = struct.unpack(">I", raw[:4])[0]
        raise CorruptFileError(
            f"{path}: wrong IDX magic number {magic:#010x} (expected 0x0000TTDD with a known "
            "type code TT, e.g. 0x00000803 for images, 0x00000801 for labels)"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise CorruptFileError(f"{path}: IDX header truncated")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_DTYPES[dtype_code])
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - header != expected:
        raise CorruptFileError(
            f"{path}: IDX header promises {expected} data bytes for shape {dims}, "
            f"file holds {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)


@dataclass
class ImageData:
    """Train/validation/test images in [0, 1] (float32, N x 28 x 28) with integer labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:
        return (
            f"ImageData(train={self.x_train.shape}, val={self.x_val.shape}, "
            f"test={self.x_test.shape}, classes={len(self.class_names)})"
        )


def _load_idx_dataset(name: str, val_size: int, seed: int, class_names) -> ImageData:
    from sklearn.model_selection import train_test_split

    seed = check_positive_int(seed, "seed", minimum=0)
    val_size = check_positive_int(val_size, "val_size", minimum=1, maximum=50000)
    paths = fetch(name)
    x_train = read_idx(paths["train_images"])
    y_train = read_idx(paths["train_labels"])
    x_test = read_idx(paths["t10k_images"])
    y_test = read_idx(paths["t10k_labels"])
    if x_train.shape[1:] != (28, 28) or len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise CorruptFileError(
            f"{name}: unexpected shapes (train {x_train.shape} / {y_train.shape}, "
            f"test {x_test.shape} / {y_test.shape})"
        )
    idx_train, idx_val = train_test_split(
        np.arange(len(x_train)), test_size=val_size, random_state=seed, stratify=y_train
    )
    scale = np.float32(1.0 / 255.0)
    return ImageData(
        x_train=x_train[np.sort(idx_train)].astype(np.float32) * scale,
        y_train=y_train[np.sort(idx_train)].astype(np.int64),
        x_val=x_train[np.sort(idx_val)].astype(np.float32) * scale,
        y_val=y_train[np.sort(idx_val)].astype(np.int64),
        x_test=x_test.astype(np.float32) * scale,
        y_test=y_test.astype(np.int64),
        class_names=tuple(class_names),
    )


def load_fashion_mnist(val_size: int = 5000, seed: int = 42) -> ImageData:
    """Load Fashion-MNIST as float32 images in [0, 1] with a seeded validation split.

    The validation set (``val_size`` images, stratified by class) is carved out
    of the 60,000 training images; the 10,000 test images are kept for final
    numbers only. Files come from the Keras cache and are sha256-checked.
    """
    return _load_idx_dataset("fashion_mnist", val_size, seed, FASHION_MNIST_CLASSES)


def load_mnist(val_size: int = 5000, seed: int = 42) -> ImageData:
    """Load MNIST digits from the original IDX files, like :func:`load_fashion_mnist`."""
    return _load_idx_dataset("mnist", val_size, seed, tuple(str(d) for d in range(10)))


def load_ecg5000() -> tuple[np.ndarray, np.ndarray]:
    """Load ECG5000 (TensorFlow's ``ecg.csv``): 4,998 beats of 140 samples.

    Returns
    -------
    x : float32 array (4998, 140)
        The raw (unscaled) signals.
    normal : int64 array (4998,)
        1 for a normal beat, 0 for an abnormal one (the file's own labels).
    """
    path = fetch("ecg5000")["csv"]
    try:
        raw = np.loadtxt(path, delimiter=",", dtype=np.float64)
    except ValueError as exc:
        raise CorruptFileError(f"{path}: cannot parse as numeric CSV ({exc})") from exc
    if raw.ndim != 2 or raw.shape[1] != 141:
        raise CorruptFileError(f"{path}: expected 141 columns (140 samples + label), got shape {raw.shape}")
    labels = raw[:, -1]
    if not np.isin(labels, (0.0, 1.0)).all():
        raise CorruptFileError(f"{path}: labels must be 0 or 1")
    return raw[:, :-1].astype(np.float32), labels.astype(np.int64)


def load_movielens_100k(part: str = "u.data"):
    """Load one MovieLens-100k file as a pandas DataFrame (sha256-checked).

    Parameters
    ----------
    part : str
        ``u.data`` or a fold file ``u1.base`` ... ``u5.test`` (columns
        ``user_id, item_id, rating, timestamp``, ids from 1), ``u.item``
        (``item_id, title, release_date, ...`` and 19 genre flags) or ``u.user``.

    The data may be used for research only and must not be redistributed:
    read ``REGISTRY['ml-100k'].licence`` before sharing anything built from it.
    """
    import pandas as pd

    files = REGISTRY["ml-100k"].files
    if part not in files or part in {"README", "u.info", "u.genre"}:
        allowed = sorted(k for k in files if k not in {"README", "u.info", "u.genre"})
        raise ValueError(f"part: expected one of {allowed}, got {part!r}")
    path = fetch("ml-100k")[part]
    if part == "u.item":
        genres = [line.split("|")[0] for line in (path.parent / "u.genre").read_text().splitlines() if line]
        cols = ["item_id", "title", "release_date", "video_release_date", "imdb_url", *genres]
        return pd.read_csv(path, sep="|", names=cols, encoding="latin-1")
    if part == "u.user":
        return pd.read_csv(path, sep="|", names=["user_id", "age", "gender", "occupation", "zip_code"])
    return pd.read_csv(
        io.StringIO(path.read_text()), sep="\t", names=["user_id", "item_id", "rating", "timestamp"]
    )

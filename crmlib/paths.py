"""Where things live: the project root, bundled sample data and the shared reference datasets."""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
OUTPUTS_DIR = PROJECT_ROOT / "outputs"

#: Environment variable that overrides where the shared reference datasets are read from.
DATASETS_ENV = "CRM_DATASETS_DIR"


def shared_datasets_dir() -> Path:
    """Folder holding the real public datasets (CDNOW, UCI Online Retail).

    Read in place, never copied into the project: ``$CRM_DATASETS_DIR`` if set,
    else ``../shared/datasets`` beside the project root.
    """
    override = os.environ.get(DATASETS_ENV)
    return Path(override) if override else PROJECT_ROOT.parent / "shared" / "datasets"


def shared_dataset(*parts: str) -> Path:
    """Path of one file in the shared datasets folder, e.g. ``shared_dataset("cdnow", "CDNOW_sample.txt")``."""
    return shared_datasets_dir().joinpath(*parts)

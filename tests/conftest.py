"""Shared test fixtures: the bundled sample and the shared reference datasets."""
from __future__ import annotations

import pytest

from crmlib import paths


@pytest.fixture(scope="session")
def sample_params_file():
    return paths.PROJECT_ROOT / "params" / "sample.yaml"


def require_dataset(*parts: str):
    """Path of a shared dataset file, or skip the test when the folder is absent."""
    path = paths.shared_dataset(*parts)
    if not path.exists():
        pytest.skip(f"shared dataset {'/'.join(parts)} not available (set {paths.DATASETS_ENV})")
    return path


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory, sample_params_file):
    """The whole workbook run once on the sample (as `make report` does), shared by the tests."""
    from crmlib.params import load_params
    from crmlib.runner import run_workbook

    out = tmp_path_factory.mktemp("outputs")
    result = run_workbook(load_params(sample_params_file), out_root=out, progress=False)
    return result


@pytest.fixture(scope="session")
def sample_run_id(tmp_path_factory, sample_params_file):
    """The whole workbook run once on the sample in Bahasa Indonesia (``--set lang=id``)."""
    from crmlib.params import load_params
    from crmlib.runner import run_workbook

    result = run_workbook(load_params(sample_params_file, ["lang=id"]), out_root=tmp_path_factory.mktemp("lang_id"),
                          progress=False)
    return result

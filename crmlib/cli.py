"""The ``crm`` command line: ``crm run``, ``crm validate``, ``crm deck``, ``crm synth``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crmlib import paths
from crmlib.io import InputError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm", description="CRM analytics workbook.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the notebooks into outputs/<run_name>/")
    run.add_argument("--params", type=Path, help="YAML file describing the run (default: the sample)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override one parameter (repeatable), e.g. --set lang=id")
    run.add_argument("--only", action="append", default=[], metavar="NAME",
                     help="run only this notebook (repeatable): 02, rfm or 02_rfm_segmentation")
    run.add_argument("--out", type=Path, default=None, help="folder for runs (default: outputs/)")
    run.add_argument("--stop-on-error", action="store_true",
                     help="stop at the first failing notebook instead of running the rest")
    run.add_argument("--quiet", action="store_true", help="no progress output")

    validate = sub.add_parser("validate", help="check an export: clean + quarantined rows")
    source = validate.add_mutually_exclusive_group(required=True)
    source.add_argument("--params", type=Path, help="YAML file with `transactions` and its settings")
    source.add_argument("transactions_file", nargs="?", type=Path, help="a transactions export")
    validate.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    validate.add_argument("--out", type=Path, default=Path("outputs") / "validation",
                          help="folder for validation.json, clean_transactions.csv, rejected_rows.csv")

    sub.add_parser("params", help="list every parameter the notebooks declare (markdown table)")

    deck = sub.add_parser("deck", help="rebuild deck.pptx of a finished run")
    deck.add_argument("--run", dest="run_dir", type=Path, required=True, metavar="RUN_FOLDER",
                      help="a finished run, e.g. outputs/sample")

    synth = sub.add_parser("synth", help="generate a synthetic Indonesian retail customer base")
    synth.add_argument("--customers", type=int, default=3000)
    synth.add_argument("--seed", type=int, default=42)
    synth.add_argument("--out", type=Path, default=Path("data") / "synthetic")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (0 ok, 1 a notebook failed, 2 bad input)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "deck":
            return _deck(args)
        if args.command == "params":
            from crmlib.runner import parameter_reference
            print(parameter_reference(), end="")
            return 0
        return _synth(args)
    except InputError as err:
        print(f"crm {args.command}: {err}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from crmlib.params import load_params
    from crmlib.runner import run_workbook

    params = load_params(args.params or paths.PROJECT_ROOT / "params" / "sample.yaml", args.overrides)
    result = run_workbook(params, only=args.only, out_root=args.out, stop_on_error=args.stop_on_error,
                          progress=not args.quiet)
    failed = [nb for nb in result.notebooks if nb.status == "failed"]
    for nb in failed:
        print(f"crm run: {nb.error}", file=sys.stderr)
    return 1 if failed else 0


def _validate(args) -> int:
    from crmlib.data import load_data
    from crmlib.params import check_known, load_params
    from crmlib.runner import LOAD_KEYS, resolve_path
    from crmlib.validate import write_validation

    params = load_params(args.params, args.overrides)
    if args.transactions_file:
        params["transactions"] = str(args.transactions_file)
    if not args.params:  # a params file may also hold notebook keys; bare --set keys must be known
        check_known(params, set(LOAD_KEYS) | {"transactions"}, where="crm validate")
    if not params.get("transactions"):
        raise InputError("no transactions file: give TRANSACTIONS_FILE or `transactions` in --params.")
    data = load_data(resolve_path(params["transactions"], Path.cwd()), None,
                     **{k: params.get(k) for k in LOAD_KEYS if k in params})
    written = write_validation(data.validation, args.out)
    report = data.report
    print(f"{report['rows_in']} rows in = {report['rows_kept']} kept + {report['rows_rejected']} rejected")
    for reason, count in report["rejected_by_reason"].items():
        print(f"  {count:>8}  {reason}")
    for path in written.values():
        print(f"wrote {path}")
    return 0


def _deck(args) -> int:
    from crmlib.present.deck import rebuild_deck

    if not (args.run_dir / "manifest.json").is_file():
        raise InputError(f"{args.run_dir} is not a finished run (no manifest.json); "
                         "give the folder of a run, e.g. --run outputs/sample.")
    print(f"wrote {rebuild_deck(args.run_dir)}")
    return 0


def _synth(args) -> int:
    from crmlib.synth import write_sample

    written = write_sample(args.out, n_customers=args.customers, seed=args.seed)
    for path in written.values():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

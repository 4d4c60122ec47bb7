"""The ``crm`` command line: ``crm run``, ``crm validate``, ``crm deck``, ``crm synth``."""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from crmlib import paths
from crmlib.io import InputError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm", description="CRM analytics workbook.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the notebooks into outputs/<run_name>/")
    run.add_argument("--params", type=Path,
                     help="YAML file describing the run (without it and without --set transactions=…: "
                          "the bundled sample, params/sample.yaml)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override one parameter (repeatable), e.g. --set lang=id")
    run.add_argument("--only", action="append", default=[], metavar="NAME",
                     help="run only this notebook (repeatable): 02, rfm or 02_rfm_segmentation")
    run.add_argument("--out", type=Path, default=None, help="folder for runs (default: outputs/)")
    run.add_argument("--stop-on-error", action="store_true",
                     help="stop at the first failing notebook instead of running the rest")
    run.add_argument("--jobs", type=_whole_number(1, 16), default=None,
                     help="notebooks run at once (default: 2 on a machine with two or more cores, else 1; "
                          "1 halves the memory a large export needs)")
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
    synth.add_argument("--customers", type=_whole_number(1, 10_000_000), default=3000,
                       help="number of customers (1 to 10,000,000)")
    synth.add_argument("--seed", type=_whole_number(0, 2**32 - 1), default=42)
    synth.add_argument("--out", type=Path, default=Path("data") / "synthetic")
    synth.add_argument("--force", action="store_true", help="overwrite an export already in --out")
    return parser


def _whole_number(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low:,} to {high:,}")
        return value
    return parse


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (0 ok, 1 a notebook failed, 2 bad input,
    130 interrupted). A person never sees a traceback (``CRM_DEBUG=1`` shows one for bugs)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "deck":
            return _deck(args)
        if args.command == "params":
            from crmlib.notebook_params import parameter_reference
            print(parameter_reference(), end="")
            return 0
        return _synth(args)
    except InputError as err:
        print(f"crm {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        what = ("the unfinished run folder was removed and earlier runs are unchanged"
                if args.command == "run" else "it stopped where it was")
        print(f"crm {args.command}: interrupted (Ctrl-C); {what}.", file=sys.stderr)
        return 130
    except OSError as err:
        where = f" ({err.filename})" if err.filename else ""
        print(f"crm {args.command}: {err.strerror or err}{where}: check the path, its permissions "
              "and the free disk space.", file=sys.stderr)
        return 2
    except Exception as err:  # a bug: say so plainly, the traceback only on request
        if os.environ.get("CRM_DEBUG"):
            traceback.print_exc()
        print(f"crm {args.command}: unexpected error {type(err).__name__}: {err}. This is a bug in the "
              "workbook; please report it (set CRM_DEBUG=1 to see the traceback).", file=sys.stderr)
        return 1


def _run(args) -> int:
    from crmlib.params import load_params
    from crmlib.runner import run_workbook

    params = load_params(args.params, args.overrides)
    if args.params is None and "transactions" not in params:  # nothing named: the bundled sample
        params = load_params(paths.PROJECT_ROOT / "params" / "sample.yaml", args.overrides)
    result = run_workbook(params, only=args.only, out_root=args.out, stop_on_error=args.stop_on_error,
                          progress=not args.quiet, jobs=args.jobs)
    failed = [nb for nb in result.notebooks if nb.status == "failed"]
    for nb in failed:
        print(f"crm run: {nb.error}", file=sys.stderr)
    return 1 if failed else 0


def _validate(args) -> int:
    from crmlib.data import validate_export
    from crmlib.params import check_known, check_values, load_params
    from crmlib.notebook_params import parameter_schema
    from crmlib.runner import LOAD_KEYS, resolve_path
    from crmlib.validate import write_validation

    params = load_params(args.params, args.overrides)
    if args.transactions_file:
        params["transactions"] = str(args.transactions_file)
    schema = parameter_schema()
    if not args.params:  # a params file may also hold notebook keys; bare --set keys must be known
        check_known(params, set(LOAD_KEYS) | {"transactions"}, where="crm validate")
    else:
        check_known(params, set(schema))
    params = check_values(params, {name: row.spec for name, row in schema.items() if row.spec})
    if not params.get("transactions"):
        raise InputError("no transactions file: give TRANSACTIONS_FILE or `transactions` in --params.")
    transactions = resolve_path(params["transactions"], Path.cwd())
    if Path(transactions).is_dir():
        raise InputError(f"{transactions} is a folder; give the path of the export file inside it.")
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"--out {args.out} is a file, not a folder.")
    validation = validate_export(transactions, **{k: params.get(k) for k in LOAD_KEYS
                                                  if k in params and k != "customer_columns"})
    written = write_validation(validation, args.out)
    report = validation.report
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

    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"--out {args.out} is a file, not a folder.")
    existing = [name for name in ("transactions.csv", "customers.csv", "truth.json", "README.md")
                if (args.out / name).exists()]
    if existing and not args.force:
        raise InputError(f"{args.out} already holds {', '.join(existing)}: add --force to overwrite "
                         "them, or choose another --out.")
    written = write_sample(args.out, n_customers=args.customers, seed=args.seed)
    for path in written.values():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

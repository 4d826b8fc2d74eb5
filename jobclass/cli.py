"""The `jobclass` command: parse arguments, call the library, render, turn errors into one line."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from .errors import JobclassError

MODEL_HELP = "Model id, or the path of a model folder or its model.npz (default: the default model)."


def clean_errors(command):
    """Library errors become `Error: ...` on stderr with exit code 1, never a traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except JobclassError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing was written.", err=True)
            sys.exit(130)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="jobclass")
def cli():
    """Is a job posting really AI engineering, ML engineering, or neither?

    Reads the content, not the title.
    """


def read_posting(text: str | None, file: str | None, encoding: str | None) -> str:
    from .data import decode_bytes
    from .errors import InputError

    if file and text:
        raise InputError("give the posting as TEXT or --file, not both")
    if file:
        path = Path(file)
        if not path.is_file():
            raise InputError(f"{file}: no such file")
        return decode_bytes(path.read_bytes(), file, encoding)
    if text == "-" or (text is None and not sys.stdin.isatty()):
        return decode_bytes(sys.stdin.buffer.read(), "standard input", encoding)
    if text is None:
        raise InputError("no posting given; pass TEXT, - for standard input, or --file PATH")
    return text


@cli.command()
@click.argument("text", required=False)
@click.option("--file", "-f", "file", type=click.Path(dir_okay=False), help="Read the posting from a file.")
@click.option("--title", "-t", help="The posting's title, to check whether it tells the truth.")
@click.option("--model", "-m", help=MODEL_HELP)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@click.option("--encoding", help="Encoding of --file or stdin when it is not UTF-8 (e.g. gb18030).")
@clean_errors
def predict(text, file, title, model, as_json, encoding):
    """Classify one posting: TEXT, - for stdin, or --file PATH."""
    from .api import classify
    from .output import prediction_json, prediction_text

    prediction = classify(read_posting(text, file, encoding), title=title, model=model)
    click.echo(prediction_json(prediction) if as_json else prediction_text(prediction))


@cli.command()
@click.argument("input_csv", metavar="INPUT")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Output file (default: stdout).")
@click.option("--text-column", help="Column holding the description (default: detected).")
@click.option("--title-column", help="Column holding the title (default: detected).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--model", "-m", help=MODEL_HELP)
@click.option("--encoding", help="Input encoding when it is not UTF-8 (e.g. gb18030, cp1252).")
@click.option("--jobs", "-j", type=click.IntRange(1), help="Worker processes (default: up to 2 cores).")
@clean_errors
def batch(input_csv, output, text_column, title_column, fmt, model, encoding, jobs):
    """Classify every row of a CSV (- for stdin), keeping all its columns, in order."""
    from .batch import classify_csv
    from .output import summary_text

    show_progress = output is not None and sys.stderr.isatty()
    bar = click.progressbar(length=1, label="classifying", file=sys.stderr) if show_progress else None

    def progress(done: int, total: int) -> None:
        bar.length = total
        bar.update(done - bar.pos)

    try:
        summary = classify_csv(input_csv, output, model=model, text_column=text_column,
                               title_column=title_column, fmt=fmt, encoding=encoding, jobs=jobs,
                               progress=progress if bar else None,
                               stdout=sys.stdout)
    finally:
        if bar:
            bar.render_finish()
    click.echo(summary_text(summary), err=True)


@cli.command()
@click.argument("data", nargs=-1, type=click.Path())
@click.option("--out", "out", type=click.Path(file_okay=False), help="Model folder to create.")
@click.option("--use", is_flag=True, help="Make the new model the default.")
@click.option("--json", "as_json", is_flag=True, help="Print the model card as JSON.")
@clean_errors
def train(data, out, use, as_json):
    """Train on labeled .jsonl/.csv files or folders (default: the project's corpus)."""
    from .api import train as train_model
    from .output import evaluation_text
    from .persist import set_default

    result = train_model([Path(d) for d in data] or None, out=Path(out) if out else None)
    if use:
        set_default(str(result.path))
    if as_json:
        click.echo(json.dumps(result.card, indent=2, ensure_ascii=False))
    else:
        click.echo(evaluation_text(result.cv, name="training data (5-fold cross-validation)",
                                   model_id=result.path.name))
    click.echo(f"saved {result.path}" + (" (now the default)" if use else ""), err=True)


@cli.command()
@click.argument("data", type=click.Path())
@click.option("--model", "-m", help=MODEL_HELP)
@click.option("--json", "as_json", is_flag=True, help="Figures as JSON.")
@click.option("--encoding", help="Input encoding when it is not UTF-8.")
@clean_errors
def evaluate(data, model, as_json, encoding):
    """Per-class figures, macro-F1, confusion, coverage and title checks on a labeled file."""
    from .api import evaluate_file
    from .output import evaluation_json, evaluation_text
    from .persist import load_model

    loaded = load_model(model)
    evaluation = evaluate_file(data, model=loaded, encoding=encoding)
    if as_json:
        click.echo(evaluation_json(evaluation, model_id=loaded.model_id, data=str(data)))
    else:
        click.echo(evaluation_text(evaluation, name=str(data), model_id=loaded.model_id))


@cli.command()
@click.argument("new", nargs=-1, required=True, type=click.Path())
@click.option("--eval", "eval_paths", multiple=True, type=click.Path(),
              help="Labeled file to compare both models on (repeatable); the last one decides.")
@click.option("--prefer", type=click.Choice(["new", "existing"]),
              help="Which label wins when a new row contradicts the corpus.")
@click.option("--force", is_flag=True, help="Promote the candidate even if it scores worse.")
@click.option("--tolerance", type=float, default=0.01, show_default=True,
              help="How much lower macro-F1 may be and still promote.")
@clean_errors
def retrain(new, eval_paths, prefer, force, tolerance):
    """Learn from NEW labeled files: vet them, train a candidate, compare, promote if not worse."""
    from .output import comparison_text, vetting_text
    from .retrain import retrain as run_retrain

    def report(vetting):
        click.echo(vetting_text(vetting), err=True)
        click.echo("training the candidate and cross-validating both models...", err=True)

    result = run_retrain([Path(p) for p in new], eval_paths=[Path(p) for p in eval_paths],
                         prefer=prefer, force=force, tolerance=tolerance, report=report)
    click.echo(comparison_text(result.comparisons, current_id=result.current_id,
                               candidate_id=result.candidate_path.name))
    verdict = "promoted to default" if result.promoted else "NOT promoted (kept beside the current)"
    click.echo(f"candidate {result.candidate_path.name}: {verdict}; {result.reason}")
    if result.saved_rows:
        click.echo(f"new rows kept in {result.saved_rows} for future retrains", err=True)


@cli.group()
def models():
    """List, inspect and choose models."""


@models.command("list")
@clean_errors
def models_list():
    """Every model, the default marked with *."""
    from . import config
    from .output import models_table
    from .persist import default_model_id, list_models

    try:
        default = default_model_id()
    except JobclassError:
        default = None
    rows = [(folder.name, "shipped" if folder.parent == config.shipped_models_dir() else "user",
             card, folder.name == default) for folder, card in list_models()]
    click.echo(models_table(rows))


@models.command("show")
@click.argument("model_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="The card as JSON.")
@clean_errors
def models_show(model_id, as_json):
    """Show a model's card (default: the default model)."""
    from .persist import CARD_JSON, CARD_MD, load_model

    loaded = load_model(model_id)  # checks integrity, so a shown card is a card that loads
    name = CARD_JSON if as_json else CARD_MD
    click.echo((loaded.path / name).read_text(encoding="utf-8").rstrip("\n"))


@models.command("use")
@click.argument("model_id")
@clean_errors
def models_use(model_id):
    """Make MODEL_ID the default model."""
    from .persist import load_model, set_default

    load_model(model_id)  # refuse to make a broken model the default
    path = set_default(model_id)
    click.echo(f"default model is now {path.name}", err=True)


def main() -> None:
    cli(prog_name="jobclass")

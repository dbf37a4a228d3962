"""The ``imr`` command line: annotate letters, export to labelling tools, import corrections, show, evaluate.

Exit codes: 0 all good, 1 some documents failed (see the error file or stderr), 2 usage error.
Progress, warnings and summaries go to stderr and name documents by id, never by their text.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from . import __version__, dask_engine
from .batch import BatchOptions, JsonlWriter, Stats, load_model, resume_ids
from .dask_engine import DEFAULT_PARTITION_SIZE, DEFAULT_WORKERS, DaskOptions
from .inputs import (
    DEFAULT_MAX_BYTES,
    PDF_SUFFIXES,
    TEXT_SUFFIXES,
    InputError,
    Item,
    count_items,
    discover,
    read_text_file,
)
from .pdf_reader import DocumentError
from .worker_pool import WorkerPool, annotate_items

app = typer.Typer(
    name="imr",
    help="Annotate California IMR determination letters with the en_imr_pipeline spaCy pipeline.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
MB = 1024 * 1024


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, markup=False)


class Engine(str, Enum):
    """Where ``imr annotate`` runs."""

    local = "local"
    dask = "dask"


class Format(str, Enum):
    """Formats of ``imr export`` and ``imr import``."""

    prodigy = "prodigy"
    labelstudio = "labelstudio"
    doccano = "doccano"
    brat = "brat"
    spacy = "spacy"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"imr {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Annotate California IMR determination letters with the en_imr_pipeline spaCy pipeline.

    Exit codes: 0 all documents fine, 1 some failed, 2 usage error.
    """


class RateColumn(ProgressColumn):
    """Documents per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} docs/s" if speed else "- docs/s", style="progress.data.speed")


def _default_errors(output: Path) -> Path:
    name = output.name.removesuffix(".jsonl")
    return output.with_name(f"{name}.errors.jsonl")


def _usage(message: str) -> typer.Exit:
    _stderr().print(f"error: {message}")
    return typer.Exit(code=2)


@app.command()
def annotate(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            metavar="INPUT",
            help="Letters: .txt and .pdf files, folders (searched recursively), .jsonl files of "
            '{"id", "text"} lines; any mix.',
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", dir_okay=False, help="Output JSONL: one record per document.")
    ],
    model: Annotated[
        str, typer.Option("--model", "-m", help="Pipeline to load: an installed package name or a path.")
    ] = "en_imr_pipeline",
    n_process: Annotated[
        int, typer.Option("--n-process", "-n", min=1, help="Worker processes (each loads the model).")
    ] = 1,
    batch_size: Annotated[
        int, typer.Option("--batch-size", "-b", min=1, help="Documents per nlp.pipe batch and per worker task.")
    ] = 32,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Keep OUTPUT's complete records (a torn last line is cut off), skip their ids and append.",
        ),
    ] = False,
    errors: Annotated[
        Path | None,
        typer.Option(
            "--errors",
            "-e",
            dir_okay=False,
            help="Error JSONL: one {id, source, reason, stage} line per failed document "
            "[default: OUTPUT with .errors.jsonl]. Rewritten on every run.",
        ),
    ] = None,
    max_size: Annotated[
        float,
        typer.Option("--max-size", min=0.001, help="Size limit in MB of an input file or JSONL line."),
    ] = DEFAULT_MAX_BYTES / MB,
    text: Annotated[
        bool,
        typer.Option(
            "--text/--no-text",
            help="Keep the document and entity texts in the records (--no-text: offsets and sha1 only; "
            "the output is PHI either way: dates, case facts).",
        ),
    ] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show the progress bar on stderr.")] = True,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="local: this machine (--n-process); dask: a dask.distributed cluster (docs/dask.md), "
            "same records in the same order.",
        ),
    ] = Engine.local,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="--engine dask: address of a running scheduler (tcp://host:8786) [default: start a "
            "LocalCluster on 127.0.0.1].",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help=f"--engine dask without --scheduler: LocalCluster worker processes, one thread each "
            f"[default: {DEFAULT_WORKERS}].",
        ),
    ] = None,
    partition_size: Annotated[
        int | None,
        typer.Option(
            "--partition-size",
            min=1,
            help=f"--engine dask: documents per task and per partition file [default: {DEFAULT_PARTITION_SIZE}].",
        ),
    ] = None,
) -> None:
    """Annotate letters: one JSON record per document in OUTPUT, failures in the error file.

    Records follow imr_spacy/schemas/annotation.schema.json. Unreadable inputs (bad encoding,
    corrupt, encrypted or image-only PDF, empty, too large, malformed JSONL line) go to the error
    file with their id and reason, and the run goes on. Exit code 1 when any document failed.
    With --engine dask the workers read the files and write partition files to OUTPUT's .parts
    folder, which are merged into OUTPUT in input order.
    """
    console = _stderr()
    errors = errors or _default_errors(output)
    if output.resolve() == errors.resolve():
        raise _usage("--errors must differ from --output")
    if engine is Engine.local:
        for name, value in (("--scheduler", scheduler), ("--workers", workers), ("--partition-size", partition_size)):
            if value is not None:
                raise _usage(f"{name} needs --engine dask")
    elif n_process != 1:
        raise _usage("--n-process is for --engine local; with --engine dask use --workers")
    elif scheduler is not None and workers is not None:
        raise _usage("--workers starts a LocalCluster: leave it out with --scheduler")
    max_bytes = int(max_size * MB)
    options = BatchOptions(model, max_bytes, text, batch_size, n_process)
    nlp = None
    if engine is Engine.local:
        try:
            nlp = load_model(model, max_bytes)
        except (OSError, ValueError, ImportError) as exc:
            raise _usage(f"cannot load model {model!r}: {str(exc).splitlines()[0]}") from None
    done: set[str] = set()
    if resume:
        done, dropped = resume_ids(output)
        cut = f", {dropped} bytes of a torn last line cut off" if dropped else ""
        console.print(f"resume: {len(done)} records kept in {output}{cut}")
    exclude = [output, errors]
    total = count_items(inputs, exclude)
    stats = Stats()
    columns = (
        SpinnerColumn(),
        TextColumn("annotating"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        TextColumn("errors: {task.fields[errors]}"),
    )
    session = None
    if engine is Engine.dask:  # before OUTPUT is opened: a usage error leaves it as it was
        try:
            session = dask_engine.Session.open(DaskOptions(scheduler, workers or DEFAULT_WORKERS), options)
        except dask_engine.DaskEngineError as exc:
            raise _usage(str(exc)) from None
    report = None
    # Forked from the loaded model before the progress bar starts its thread (see worker_pool).
    pool = WorkerPool(options, nlp) if engine is Engine.local and n_process > 1 else None
    with (
        pool or contextlib.nullcontext(),
        session or contextlib.nullcontext(),
        JsonlWriter(output, append=resume) as out,
        JsonlWriter(errors) as err,
        Progress(*columns, console=console, disable=not progress) as bar,
    ):
        task = bar.add_task("annotate", total=total, errors=0)

        def pending() -> Iterator[Item]:
            for item in discover(inputs, max_bytes=max_bytes, exclude=exclude):
                if not isinstance(item, InputError) and item.id in done:
                    stats.skipped += 1
                    bar.update(task, total=max(0, total - stats.skipped))
                    continue
                yield item

        if session is not None:
            failed = 0

            def advance(documents: int, errors: int) -> None:
                nonlocal failed
                failed += errors
                bar.update(task, total=max(0, total - stats.skipped), advance=documents, errors=failed)

            report = session.annotate(
                discover(inputs, max_bytes=max_bytes, exclude=exclude),
                partition_size=partition_size or DEFAULT_PARTITION_SIZE,
                parts_dir=dask_engine.parts_dir_for(output),
                out=out,
                err=err,
                stats=stats,
                done=done,
                resume=resume,
                progress=advance,
            )
        else:
            for results in annotate_items(pending(), options, nlp, pool):
                for kind, line, counts in results:
                    (err if kind == "error" else out).write_line(line)
                    stats.add(kind, counts)
                bar.update(task, advance=len(results), errors=stats.errors)
    if report is not None:
        reused = f"; reused partition files: {report.reused}" if resume else ""
        failed = f"; failed partitions: {report.failed}" if report.failed else ""
        console.print(
            f"dask: {report.partitions} partitions on {report.workers} workers ({report.threads} threads) "
            f"at {report.scheduler}{reused}{failed}",
            soft_wrap=True,
        )
    _summary(console, stats, output, errors)
    if stats.errors:
        raise typer.Exit(code=1)


def _summary(console: Console, stats: Stats, output: Path, errors: Path) -> None:
    seconds = stats.seconds
    rate = stats.records / seconds if seconds else 0.0
    console.print(
        f"documents: {stats.records} annotated -> {output}; errors: {stats.errors} -> {errors}; "
        f"skipped (--resume): {stats.skipped}; {seconds:.1f} s ({rate:.1f} docs/s)",
        soft_wrap=True,
    )
    outcomes = Table(title="decisions by outcome")
    outcomes.add_column("outcome")
    outcomes.add_column("decisions", justify="right")
    for name, n in sorted(stats.outcomes.items()):
        outcomes.add_row(name, str(n))
    labels = Table(title="entities by label")
    labels.add_column("label")
    labels.add_column("entities", justify="right")
    for name, n in sorted(stats.entities.items()):
        labels.add_row(name, str(n))
    console.print(outcomes)
    console.print(labels)


@app.command()
def export(
    annotations: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            metavar="ANNOTATIONS",
            help="Output of imr annotate, or a gold JSONL file (SCHEMA.md format).",
        ),
    ],
    format: Annotated[Format, typer.Option("--format", "-f", help="Target format.")],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="prodigy/doccano: a .jsonl file; spacy: a .spacy file; labelstudio: a folder (tasks.json, "
            "labeling_config.xml); brat: a folder (ID.txt, ID.ann, annotation.conf).",
        ),
    ],
    texts: Annotated[
        Path | None,
        typer.Option(
            "--texts",
            exists=True,
            file_okay=False,
            help="Folder of ID.txt texts for records made with --no-text (default: read each record's source "
            "again). Texts are checked against the record's sha1.",
        ),
    ] = None,
) -> None:
    """Export annotations for a labelling tool or spaCy (spans, relations, attributes; decision items as ITEM spans).

    The exported files hold the document texts: they are PHI.
    """
    from .exports import EXPORTERS, load_annotations

    console = _stderr()
    failed = 0
    current = {"id": ""}

    def docs() -> Iterator:
        nonlocal failed
        for doc in load_annotations(annotations, texts):
            if isinstance(doc, InputError):
                failed += 1
                console.print(f"skipped {doc.id} ({doc.source}): {doc.reason}")
                continue
            current["id"] = doc.id
            yield doc

    try:
        n = EXPORTERS[format.value](docs(), output)
    except (ValueError, KeyError, IndexError) as exc:
        console.print(f"export failed on document {current['id']} ({type(exc).__name__})")
        raise typer.Exit(code=1) from None
    console.print(f"exported {n} documents to {output} ({format.value}); skipped {failed}")
    if failed:
        raise typer.Exit(code=1)


@app.command("import")
def import_(
    source: Annotated[
        Path,
        typer.Argument(
            exists=True,
            metavar="FILE",
            help="prodigy/doccano: JSONL export; labelstudio: JSON export (or a folder with tasks.json); "
            "brat: the folder of .txt/.ann files; spacy: a .spacy file.",
        ),
    ],
    format: Annotated[Format, typer.Option("--format", "-f", help="Format of FILE.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", dir_okay=False, help="Gold JSONL (SCHEMA.md format) to write.")
    ],
) -> None:
    """Read corrected annotations back into the SCHEMA gold format (id, text, spans, decisions, relations)."""
    from .exports import READERS, to_gold

    console = _stderr()
    try:
        golds = [to_gold(doc) for doc in READERS[format.value](source)]
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        console.print(f"cannot read {source} as {format.value} ({type(exc).__name__})")
        raise typer.Exit(code=1) from None
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as fh:
        for gold in golds:
            fh.write(json.dumps(gold, ensure_ascii=False) + "\n")
    console.print(f"imported {len(golds)} documents to {output}")


@app.command()
def show(
    letter: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, metavar="LETTER", help="A letter: .txt or .pdf file.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", dir_okay=False, help="HTML page to write.")],
    model: Annotated[
        str, typer.Option("--model", "-m", help="Pipeline to load: an installed package name or a path.")
    ] = "en_imr_pipeline",
    max_size: Annotated[float, typer.Option("--max-size", min=0.001, help="Size limit of the letter in MB.")] = (
        DEFAULT_MAX_BYTES / MB
    ),
) -> None:
    """Write an HTML page of one letter: entity marks (negated ones struck through), sections, decisions."""
    from .show import render_page

    if letter.suffix.lower() not in TEXT_SUFFIXES | PDF_SUFFIXES:
        raise _usage(f"LETTER must be a .txt or .pdf file, not {letter.suffix or 'no suffix'}")
    max_bytes = int(max_size * MB)
    try:
        nlp = load_model(model, max_bytes)
    except (OSError, ValueError, ImportError) as exc:
        raise _usage(f"cannot load model {model!r}: {str(exc).splitlines()[0]}") from None
    try:
        text = read_text_file(letter, max_bytes)
    except DocumentError as exc:
        _stderr().print(f"cannot read {letter}: {exc.reason}")
        raise typer.Exit(code=1) from None
    doc = nlp(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_page(doc, letter.stem), encoding="utf-8")
    _stderr().print(f"wrote {output}: {len(doc.ents)} entities, {len(doc._.decisions)} decisions")


@app.command()
def evaluate(
    model: Annotated[str, typer.Argument(help="Pipeline to score: an installed package name or a path.")],
    gold: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Gold JSONL in the shared/SCHEMA.md format.")
    ],
    texts: Annotated[
        Path | None, typer.Option("--texts", file_okay=False, help="Folder of ID.txt files for records without text.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full JSON report (score.py's layout).")] = False,
    errors: Annotated[
        bool, typer.Option("--errors", help="List the errors (quotes document text: local use only).")
    ] = False,
) -> None:
    """Score a pipeline on a gold JSONL: per-label P/R/F1 (exact and overlap), attributes, negation, decisions.

    The numbers agree with shared/tools/score.py's gold mode.
    """
    from .evaluate import main as evaluate_main

    argv = [model, str(gold)]
    if texts is not None:
        argv += ["--texts", str(texts)]
    if as_json:
        argv.append("--json")
    if errors:
        argv.append("--errors")
    raise typer.Exit(code=evaluate_main(argv))


if __name__ == "__main__":
    app()

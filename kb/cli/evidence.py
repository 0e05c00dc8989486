"""`kb evidence ...`: what supports, refutes or qualifies a claim."""

from __future__ import annotations

import click

from kb.cli.app import ID, App, pass_app


@click.group("evidence")
def evidence_group() -> None:
    """Evidence for and against claims; a claim's standing follows from it.

    \b
    Example:
      kb evidence add 3 --supports --source iea2025energy --locator "p. 41"
    """


@evidence_group.command("add")
@click.argument("claim_id", type=ID)
@click.option("--supports", "relations", flag_value="supports", multiple=True)
@click.option("--refutes", "relations", flag_value="refutes", multiple=True)
@click.option("--qualifies", "relations", flag_value="qualifies", multiple=True)
@click.option("--source", "source_key", metavar="KEY", help="A source as the evidence.")
@click.option("--claim", "evidence_claim", type=ID, metavar="ID",
              help="Another claim as the evidence.")
@click.option("--quote", help="The verbatim words of the evidence.")
@click.option("--locator", help="Where in the evidence: 'p. 41', 'para. 3'.")
@click.option("--note", help="Why it bears on the claim.")
@click.option("--strength", type=click.Choice(["strong", "moderate", "weak"]),
              help="How strongly it bears on the claim (shown; standing does not weigh it).")
@click.pass_context
def add(ctx: click.Context, claim_id: int, relations: tuple[str, ...], source_key: str | None,
        evidence_claim: int | None, quote: str | None, locator: str | None,
        note: str | None, strength: str | None) -> None:
    """Link a source or another claim as evidence for CLAIM_ID; prints the evidence id.

    \b
    Example:
      kb evidence add 3 --refutes --claim 7 --note "later figures contradict it"
    """
    from kb.services import evidence

    if len(relations) != 1:
        raise click.UsageError(
            "give exactly one of --supports, --refutes, --qualifies"
            + (f" (got {', '.join('--' + r for r in relations)})" if relations else "")
        )
    if (source_key is None) == (evidence_claim is None):
        raise click.UsageError("give exactly one of --source KEY or --claim ID as the evidence")
    app: App = ctx.find_object(App)  # type: ignore[assignment]
    with app.write() as session:
        link = evidence.add(session, claim_id, relations[0], source_key=source_key,
                            evidence_claim_id=evidence_claim, quote=quote, locator=locator,
                            note=note, strength=strength)
    click.echo(link.id)  # once committed: an id printed is an id kept


@evidence_group.command("rm")
@click.argument("evidence_id", type=ID)
@pass_app
def rm(app: App, evidence_id: int) -> None:
    """Remove one evidence link.

    \b
    Example:
      kb evidence rm 5
    """
    from kb.services import evidence

    with app.write() as session:
        evidence.remove(session, evidence_id)
    click.echo(f"removed evidence {evidence_id}", err=True)


COMMANDS = [evidence_group]

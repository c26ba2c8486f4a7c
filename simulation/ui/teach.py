"""Teach mode: what each preset scenario demonstrates and what to look for in the charts.

:data:`LESSONS` holds a lesson per shipped scenario (by name). A scenario without a lesson
(one added later, or a file of one's own) is explained by the comment block at the top of its
file (:func:`lesson_for`), so teach mode never shows nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Claim:
    """One checkable sentence of a teach card, tested over paired replicates
    (tests/test_lessons.py).

    With ``other`` set: the mean of ``metric`` from step ``start`` (default: the first
    shock) to the end is higher (``higher``) for ``structure`` than for ``other``, pair by
    pair. Without: for ``structure``, its mean over the ``window`` steps from the first shock
    is higher (``higher``) than over the ``window`` steps before it.
    """

    text: str
    metric: str
    structure: str
    other: str | None = None
    higher: bool = True
    start: int | None = None
    window: int = 10


@dataclass(frozen=True)
class Lesson:
    title: str
    concept: str
    look_for: str
    #: The card's claims, each checked by a test over paired replicates.
    claims: tuple[Claim, ...] = field(default=())

    @property
    def checked_by(self) -> str:
        return "tests/test_lessons.py" if self.claims else ""


LESSONS: dict[str, Lesson] = {
    "demo": Lesson(
        "Mass production vs. the networked firm",
        "A hierarchy is built for a market that stands still: the frontline senses, the top "
        "decides, and a few good changes per step are pushed through a single funnel. A "
        "networked firm lets the people who hear the customer test and decide changes "
        "locally, after review by their peers. When needs shift, the question is not who "
        "climbs higher in calm times but who notices and follows the shift first.",
        "Before step 150 the curves of **market share** and **fitness** show how high and how "
        "fast each structure climbs. At the shift (the vertical marker) all of them fall. "
        "Compare the **depth** of the fall and the **recovery time** in the resilience table, "
        "and **decision latency**, which is longer in the hierarchy than in the network "
        "throughout.",
        claims=(
            Claim("market share falls at the shift", "market_share", "hierarchy",
                  higher=False),
            Claim("decision latency is longer in the hierarchy than in the network",
                  "decision_latency", "hierarchy", "network", start=0),
        ),
    ),
    "talent-loss": Lesson(
        "The command-and-control bottleneck",
        "In a hierarchy every proposal climbs the tree to the top, so the managers' queues are "
        "where decisions wait. Losing managers removes the routes themselves: until the tree "
        "is repaired, survivors inherit whole teams and their queues overflow. A network or a "
        "pod structure loses capacity, not routes.",
        "After the loss at step 150, compare **congestion (largest queue)** and **decision "
        "latency**: both stay higher in the hierarchy than in the network. They do not jump: "
        "fewer people also send fewer proposals. Open **Inside the firm** to see the "
        "repaired tree: the teams of departed managers now report to the manager above. "
        "Then look at **market share** after the need shift at step 200: in these runs the "
        "hierarchy keeps more of it than the network, so losing managers slows the tree "
        "without making it the loser here.",
        claims=(
            Claim("decision latency stays longer in the hierarchy than in the network after "
                  "the loss", "decision_latency", "hierarchy", "network"),
            Claim("congestion stays higher in the hierarchy than in the network after the "
                  "loss", "largest_queue", "hierarchy", "network"),
            Claim("the hierarchy keeps more market share than the network after the need "
                  "shift", "market_share", "hierarchy", "network", start=200),
        ),
    ),
    "new-competitor": Lesson(
        "Customers as partners",
        "In the *open* firm some customers and partners propose changes themselves: the firm "
        "senses through people outside it. When a competitor raises the bar and a new segment "
        "arrives with needs nobody in the firm has studied, proposals from the newcomers can "
        "reach the product sooner than any internal survey.",
        "Include **open** and **podular** in the comparison. After the new segment arrives "
        "(step 200) compare **market share** (the newcomers count from then on) and "
        "**satisfaction**: which firm wins the new customers, and how fast?",
    ),
    "need-shift": Lesson(
        "The hub that aligns pods",
        "A podular firm is made of small autonomous teams; a hub links several pods so their "
        "changes to a shared product do not undo each other (a hub may veto a change that "
        "harms another pod's module). It keeps most of a network's speed while limiting the "
        "damage of local decisions with side effects.",
        "Compare **podular** with **network** and **hierarchy**: after the shift the pods' "
        "fitness stays above the network's (the hubs stop changes that harm other modules); "
        "decision latency is low for pods and high for the tree; and, in the resilience "
        "table, the **area lost**. In **Inside the firm** the pods appear as tight clusters "
        "around their hub.",
        claims=(
            Claim("after the shift the podular firm's fitness is above the network's",
                  "fitness", "podular", "network"),
            Claim("decision latency is longer in the hierarchy than in the podular firm",
                  "decision_latency", "hierarchy", "podular", start=0),
        ),
    ),
    "reputation-crisis": Lesson(
        "Word of mouth after a reputation crisis",
        "The product has not changed, but the media turn negative and a share of customers "
        "hear it. Beliefs spread along the customer network: extreme opinions are voiced more "
        "often, so a rumour can travel further than the facts. Recovery comes from experience "
        "that contradicts the story.",
        "Watch **sentiment** dip at step 150 and **market share** follow within the next ten "
        "steps, then both recover within some twenty steps as the media's stance and the "
        "customers' own experience contradict the story. In **Inside the firm**, the "
        "customer network view shows orange patches (negative sentiment) spreading from "
        "neighbour to neighbour and then fading. The flat network is the exception to watch: "
        "with one standard product its own market share swings widely (its deciders pull "
        "the product toward their own segments), and those swings can hide the crisis.",
        claims=(
            Claim("sentiment dips after the crisis (hierarchy)", "sentiment", "hierarchy",
                  higher=False),
            Claim("market share follows (hierarchy)", "market_share", "hierarchy",
                  higher=False),
            Claim("market share follows (podular)", "market_share", "podular",
                  higher=False),
        ),
    ),
    "restless": Lesson(
        "Tracking a moving target",
        "In a turbulent market there is no single shock to recover from: needs keep drifting. "
        "What counts is how well the firm keeps up; a change decided after many steps of "
        "waiting answers a need that has already moved on.",
        "After step 150 compare the **level** of fitness and market share, not a single dip, "
        "and ask whether the structure with the shortest **decision latency** tracks best "
        "(this card makes no claim: the answer depends on the settings).",
    ),
    "calm": Lesson(
        "Efficiency in a still market",
        "With nothing moving, a hierarchy's careful best-first choices at the top can do well: "
        "this is the baseline the shock scenarios are read against. A structure that wins here "
        "but loses under a shock trades efficiency for adaptability.",
        "Compare how high each structure climbs in **fitness** and how fast. There are no "
        "shocks, so the resilience table stays empty.",
    ),
}


def comment_block(path: Path) -> str:
    """The comment lines at the top of a scenario file, without the ``#``."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    block = []
    for line in lines:
        if not line.startswith("#"):
            break
        block.append(line[1:].strip())
    return "\n".join(block).strip()


def lesson_for(name: str, path: Path | None = None) -> Lesson | None:
    """The lesson of a scenario: the written one, or one made of the file's comment block."""
    if name in LESSONS:
        return LESSONS[name]
    if path is None:
        return None
    text = comment_block(path)
    if not text:
        return None
    title, _, rest = text.partition("\n")
    concept, _, look_for = rest.strip().partition("Shows:")
    return Lesson(title.strip(), concept.strip() or title.strip(),
                  look_for.strip() or "See the scenario's description.")

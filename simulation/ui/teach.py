"""Teach mode: what each preset scenario demonstrates and what to look for in the charts.

:data:`LESSONS` holds a lesson per shipped scenario (by name). A scenario without a lesson
(one added later, or a file of one's own) is explained by the comment block at the top of its
file (:func:`lesson_for`), so teach mode never shows nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from simulation.ui.form import DEFAULT_REPLICATES


@dataclass(frozen=True)
class Claim:
    """One checkable sentence of a teach card, tested on the runs the page makes for the
    card's preset (tests/test_lessons.py: the page's form, seeds, sizes and replicates). The
    card shows ``text`` verbatim.

    With ``other`` set: the mean of ``metric`` over steps ``start`` (default: the step of
    shock number ``shock``) to ``end`` (default: the last step) is higher (``higher``) for
    ``structure`` than for ``other``, pair by pair. Without: for ``structure``, its mean over
    the ``window`` steps from the step of shock number ``shock`` is higher (``higher``) than
    over the ``window`` steps before it. It holds when the 95% t-interval of the paired
    differences lies on the claimed side of 0.

    ``largest`` marks the claim that names the largest visible effect on the card's page
    (tests/test_lessons.py: :func:`visible_effects`): the largest gap between two structures'
    mean curves over a stretch between shocks, or change of one structure's mean at a shock,
    on a chart with a fixed axis (market share, fitness, satisfaction: 0 to 1; sentiment: -1
    to 1), in units of that axis.
    """

    text: str
    metric: str
    structure: str
    other: str | None = None
    higher: bool = True
    start: int | None = None
    end: int | None = None
    window: int = 10
    shock: int = 0
    largest: bool = False


@dataclass(frozen=True)
class Lesson:
    title: str
    concept: str
    look_for: str
    #: The card's claims, each shown verbatim in ``look_for`` and checked by a test on the
    #: page's own runs.
    claims: tuple[Claim, ...] = field(default=())
    #: Paired runs per structure the page makes for the card's preset, when its claims need
    #: more than the app's default to be resolved in 19 of 20 seed blocks (chosen on the
    #: recorded blocks, then measured on fresh ones: docs/testing.md); None: the default.
    replicates: int | None = None
    #: The claims marked ``largest`` name effects so close that which one is largest depends
    #: on the seed, and the card says the largest is one of them (tests/test_lessons.py: the
    #: largest visible effect is named by a marked claim). Otherwise the marked claims name
    #: the largest effects, one each (one mark: the largest; two: the two largest).
    largest_one_of: bool = False

    @property
    def checked_by(self) -> str:
        return "tests/test_lessons.py" if self.claims else ""

    @property
    def page_replicates(self) -> int:
        """The paired runs per structure the page opens this card's preset with."""
        return DEFAULT_REPLICATES if self.replicates is None else self.replicates


#: Why the network's market share is lowest (the cards name it where it is their page's
#: largest visible effect).
_NETWORK_LOW = ("with one standard product its deciders pull it toward their own segments, "
                "back and forth")

LESSONS: dict[str, Lesson] = {
    "demo": Lesson(
        "Mass production vs. the networked firm",
        "A hierarchy is built for a market that stands still: the frontline senses, the top "
        "decides, and a few good changes per step are pushed through a single funnel. A "
        "networked firm lets the people who hear the customer test and decide changes "
        "locally, after review by their peers; each judges a change by its own segment. When "
        "needs shift, the question is not only who climbs higher in calm times but who "
        "notices and follows the shift first.",
        "Before step 150 the curves of **market share** and **fitness** show how high and how "
        "fast each structure climbs. The two largest effects on this page are close (which "
        "is larger depends on the seed). One is the network's level: the network holds less "
        f"market share than the podular firm throughout ({_NETWORK_LOW}: the network "
        "implements more changes per step than the hierarchy). The other is the fall at the "
        "shift (the vertical marker): the hierarchy's fitness falls, the hierarchy's "
        "customers' sentiment falls, and the hierarchy's market share falls (by anything "
        "from nothing to half the market from one paired run to the next: the page makes "
        "ten paired runs so that their mean resolves the fall). Decision latency is longer "
        "in the hierarchy than in the network. In the resilience table "
        "read the **level after** beside the **area lost** and the **recovery time**: a "
        "loss is measured from each structure's own level.",
        claims=(
            Claim("the network holds less market share than the podular firm throughout",
                  "market_share", "network", "podular", higher=False, start=0, largest=True),
            Claim("the network implements more changes per step than the hierarchy",
                  "proposals_implemented", "network", "hierarchy", start=0),
            Claim("the hierarchy's fitness falls", "fitness", "hierarchy", higher=False,
                  largest=True),
            Claim("the hierarchy's customers' sentiment falls", "sentiment", "hierarchy",
                  higher=False),
            Claim("the hierarchy's market share falls", "market_share", "hierarchy",
                  higher=False),
            Claim("Decision latency is longer in the hierarchy than in the network",
                  "decision_latency", "hierarchy", "network", start=0),
        ),
        replicates=10,
    ),
    "talent-loss": Lesson(
        "Command-and-control after the managers leave",
        "A fifth of the 200 staff leave at step 150, managers and hubs first. The tree of 200 "
        "has exactly 40 managers (a span of 5 over four levels), so every manager leaves, "
        "the top too. The repair rule re-attaches each team to the nearest manager left "
        "above it and, when the top leaves, promotes one employee; with no manager left, "
        "that one employee becomes the top. Proposals no longer climb four levels: they "
        "reach the top in one hop. The podular firm loses its hubs, the people who checked "
        "each pod's changes against the other pods' modules; with no hub left, pods decide "
        "unchecked. The network loses a fifth of its people at random and keeps its routes.",
        "The largest effect on this page is the network's level or, in some seeds, the "
        "**podular** firm's fall at the loss (the two are close there). For the level: "
        "the network holds less market share than the hierarchy throughout "
        f"({_NETWORK_LOW}). The network's fall at the need shift (step 200) is sometimes as "
        "large as the podular firm's. With no hub left, the podular firm implements more "
        "changes after losing its hubs; changes made for one pod's module now also hit the "
        "others, so the podular firm's fitness falls after the loss. Its market share falls "
        "too, on average by about a sixth of the market, but by very different amounts from "
        "run to run. The hierarchy barely moves: the hierarchy's decision latency falls "
        "after the loss, because every proposal now reaches the single top directly, though "
        "decision latency is longer in the hierarchy than in the network throughout. Open "
        "**Inside the firm**: the repaired hierarchy is a "
        "star, one promoted employee at the top and everyone else reports to them.",
        claims=(
            Claim("the podular firm implements more changes after losing its hubs",
                  "proposals_implemented", "podular", window=20),
            Claim("the podular firm's fitness falls after the loss", "fitness", "podular",
                  higher=False, largest=True),
            Claim("the network holds less market share than the hierarchy throughout",
                  "market_share", "network", "hierarchy", higher=False, start=0,
                  largest=True),
            Claim("the hierarchy's decision latency falls after the loss",
                  "decision_latency", "hierarchy", higher=False, window=20),
            Claim("decision latency is longer in the hierarchy than in the network "
                  "throughout", "decision_latency", "hierarchy", "network", start=0),
        ),
        replicates=10,
        largest_one_of=True,
    ),
    "new-competitor": Lesson(
        "Customers as partners",
        "In the *open* firm some customers and partners propose changes themselves: the firm "
        "senses through people outside it. At step 150 a competitor raises the bar (the "
        "customers' outside option improves); at step 200 a new segment arrives with needs "
        "nobody in the firm has studied.",
        "The largest effect on this page is the network's level: the network holds less "
        f"market share than the hierarchy throughout ({_NETWORK_LOW}: the network "
        "implements more changes per step than the hierarchy). When the competitor enters, "
        "the hierarchy's satisfaction falls and the podular firm's market share falls. "
        "After the new segment arrives (step 200; the newcomers count from then on) compare "
        "**market share** and **satisfaction** of **open**, **podular** and **hierarchy**: "
        "this card makes no claim on which wins the newcomers, nor on whether the open "
        "firm's outside proposers make it propose more (on this page's five paired runs "
        "that differs from seed to seed).",
        claims=(
            Claim("the network holds less market share than the hierarchy throughout",
                  "market_share", "network", "hierarchy", higher=False, start=0,
                  largest=True),
            Claim("the network implements more changes per step than the hierarchy",
                  "proposals_implemented", "network", "hierarchy", start=0),
            Claim("the hierarchy's satisfaction falls", "satisfaction", "hierarchy",
                  higher=False),
            Claim("the podular firm's market share falls", "market_share", "podular",
                  higher=False),
        ),
    ),
    "need-shift": Lesson(
        "The hub that aligns pods",
        "A podular firm is made of small autonomous teams; a hub links several pods so their "
        "changes to a shared product do not undo each other (a hub may veto a change that "
        "harms another pod's module). It keeps most of a network's speed while limiting the "
        "damage of local decisions with side effects. The flat network has no such check: "
        "each decider judges a change by its own segment, so with one standard product the "
        "deciders keep pushing it back and forth between segments.",
        "The largest effect on this page is the **network**'s level: the network holds "
        "less market share than the podular firm throughout, though the network implements "
        "more changes per step than the hierarchy (changes that undo each other). The "
        "podular firm's fitness is above the network's throughout, before the shift as "
        "after it: the hubs stop changes that harm other modules whether or not needs move. "
        "Decision latency is longer in the hierarchy than in the podular firm. At the shift "
        "(step 150) the curves dip by amounts that differ much from run to run (the page "
        "makes ten paired runs so that their means resolve the dips): the hierarchy's "
        "market share falls, and the podular firm's market share falls. In the resilience "
        "table "
        "read the **level after** beside the **area lost**: a loss is measured from each "
        "firm's own level. In **Inside the firm** the pods appear as tight clusters around "
        "their hub.",
        claims=(
            Claim("the network holds less market share than the podular firm throughout",
                  "market_share", "network", "podular", higher=False, start=0,
                  largest=True),
            Claim("the network implements more changes per step than the hierarchy",
                  "proposals_implemented", "network", "hierarchy", start=0),
            Claim("The podular firm's fitness is above the network's throughout", "fitness",
                  "podular", "network", start=0),
            Claim("Decision latency is longer in the hierarchy than in the podular firm",
                  "decision_latency", "hierarchy", "podular", start=0),
            Claim("the hierarchy's market share falls", "market_share", "hierarchy",
                  higher=False),
            Claim("the podular firm's market share falls", "market_share", "podular",
                  higher=False),
        ),
        replicates=10,
    ),
    "reputation-crisis": Lesson(
        "Word of mouth after a reputation crisis",
        "The product has not changed, but the media turn negative and a share of customers "
        "hear it. Beliefs spread along the customer network: extreme opinions are voiced more "
        "often, so a rumour can travel further than the facts. Recovery comes from experience "
        "that contradicts the story.",
        "At step 150 the podular firm's sentiment dips after the crisis, and the podular "
        "firm's market share falls after the crisis; the open firm's market share falls "
        "after the crisis as well. Every structure dips on average, but the hierarchy's and "
        "the network's dips vary more from run to run, and five paired runs do not resolve "
        "them in every seed. The resilience table gives each structure's recovery time. The "
        "largest effect on this page is the network's level: the network holds less market "
        f"share than the hierarchy throughout ({_NETWORK_LOW}: the network implements more "
        "changes per step than the hierarchy). In **Inside the firm** the customer network "
        "view colours each customer by sentiment (orange negative, blue positive).",
        claims=(
            Claim("the podular firm's sentiment dips after the crisis", "sentiment",
                  "podular", higher=False),
            Claim("the podular firm's market share falls after the crisis", "market_share",
                  "podular", higher=False),
            Claim("the open firm's market share falls after the crisis", "market_share",
                  "open", higher=False),
            Claim("the network holds less market share than the hierarchy throughout",
                  "market_share", "network", "hierarchy", higher=False, start=0,
                  largest=True),
            Claim("the network implements more changes per step than the hierarchy",
                  "proposals_implemented", "network", "hierarchy", start=0),
        ),
    ),
    "restless": Lesson(
        "Tracking a moving target",
        "In a turbulent market there is no single shock to recover from: needs keep drifting. "
        "What counts is how well the firm keeps up; a change decided after many steps of "
        "waiting answers a need that has already moved on.",
        "Needs drift slowly from step 0 and faster from step 150. The two largest effects on "
        "this page are the network's level and the fall at step 150 (which is larger "
        "depends on the seed). For the level: the network holds less market share than the "
        f"podular firm throughout ({_NETWORK_LOW}). The podular and open firms keep up best: from "
        "step 150 the podular firm holds more market share than the hierarchy, and the open "
        "firm holds more market share than the hierarchy (they lead without the faster "
        "drift too: the lead comes from tracking a drift, not from the moment it speeds "
        "up). Decisions wait in the tree: decision latency is longer in the hierarchy than "
        "in the podular firm, and from step 150 the podular firm implements more changes "
        "than the hierarchy. Speed alone does not decide it: decision latency is longer in "
        "the hierarchy than in the network too. Compare the **level** of fitness and market "
        "share after step 150 more than a single dip: over the 20 steps from step 150 the "
        "hierarchy's market share falls, by amounts so different from run to run that the "
        "page makes fifteen paired runs to resolve it.",
        claims=(
            Claim("the network holds less market share than the podular firm throughout",
                  "market_share", "network", "podular", higher=False, start=0,
                  largest=True),
            Claim("from step 150 the podular firm holds more market share than the "
                  "hierarchy", "market_share", "podular", "hierarchy", start=150),
            Claim("the open firm holds more market share than the hierarchy",
                  "market_share", "open", "hierarchy", start=150),
            Claim("decision latency is longer in the hierarchy than in the podular firm",
                  "decision_latency", "hierarchy", "podular", start=0),
            Claim("from step 150 the podular firm implements more changes than the "
                  "hierarchy", "proposals_implemented", "podular", "hierarchy", start=150),
            Claim("decision latency is longer in the hierarchy than in the network",
                  "decision_latency", "hierarchy", "network", start=0),
            Claim("over the 20 steps from step 150 the hierarchy's market share falls",
                  "market_share", "hierarchy", higher=False, window=20, largest=True),
        ),
        replicates=15,
    ),
    "calm": Lesson(
        "Efficiency in a still market",
        "With nothing moving there is nothing to recover from: this is the baseline the shock "
        "scenarios are read against. A hierarchy chooses carefully at the top, best first, "
        "but few changes pass its single funnel; pods and the open firm decide near the "
        "customer.",
        "Compare how high each structure climbs in **fitness** and **market share**, and how "
        "fast. The largest effect on this page is the network's level: the network holds "
        "less market share than the hierarchy throughout, although the network implements "
        f"more changes per step than the hierarchy ({_NETWORK_LOW}). The hierarchy, the "
        "podular firm and the open firm end close together, and five paired runs cannot "
        "order them: which is ahead, by up to a tenth of the market, changes from seed to "
        "seed (over many more runs the atlas finds them within about 2 points of share). "
        "Decision latency is longer in the hierarchy than in the podular firm. There are no "
        "shocks, so the resilience table stays empty.",
        claims=(
            Claim("the network holds less market share than the hierarchy throughout",
                  "market_share", "network", "hierarchy", higher=False, start=0,
                  largest=True),
            Claim("the network implements more changes per step than the hierarchy",
                  "proposals_implemented", "network", "hierarchy", start=0),
            Claim("Decision latency is longer in the hierarchy than in the podular firm",
                  "decision_latency", "hierarchy", "podular", start=0),
        ),
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

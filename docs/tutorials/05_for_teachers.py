# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # 5. For teachers: a 20-minute class with the app and the teach cards
#
# The app (`firmsim ui`) runs in a browser on your own machine, offline. Its **Teach** page
# has one card per preset scenario: the concept, what to look for on the page, and the
# claims the runs must show (each claim is checked by the test suite on the very runs the
# page makes, so a card never says more than its numbers).
#
# Start it with `.venv/bin/firmsim ui` and open the address it prints (add `--host
# 0.0.0.0` to let students on the same network connect; a comparison queues when every
# core is busy).

# %%
from simulation.ui.teach import LESSONS

for name, lesson in LESSONS.items():
    print(f"{name:18s} {lesson.title}")

# %% [markdown]
# ## A plan for 20 minutes
#
# 1. **(3 min) The question.** Open *Info*: a tree of managers vs a network of teams. Ask
#    the class which will adapt faster to a change in what customers want, and why.
# 2. **(5 min) The shift of needs.** Open the *need-shift* card, press Run: every structure
#    runs the same market on the same seeds. Read the card's "look for" while the charts
#    fill; pause and step through the shift.

# %%
card = LESSONS["need-shift"]
print(card.concept, "\n")
print(card.look_for)

# %% [markdown]
# 3. **(5 min) Inside the firm.** Open *Inside the firm*: proposals queue at the managers
#    of the tree (colour by queue), pods decide locally. Ask: where does the time go?
# 4. **(4 min) A shock of your choice.** Use the *talent-loss* or *reputation-crisis* card;
#    let students predict before pressing Run.
# 5. **(3 min) The honest reading.** The resilience table gives each structure's level
#    before and after the shock and the paired difference with its 95% interval: a
#    structure can lose less and still end lower. Ask the class to state one conclusion
#    the interval supports and one it does not.
#
# Each card's claims, as the test suite checks them on the page's runs:

# %%
for name, lesson in LESSONS.items():
    for claim in lesson.claims:
        print(f"{name:18s} {claim.text}")

# %% [markdown]
# ## What you learned, and what to try next
#
# - The app runs offline; the Teach page's cards say only what the page's runs show.
# - Common random numbers make the structures comparable run by run; the intervals say
#   how sure the class can be.
#
# Next: give students tutorial 1 to redo the comparison in Python, and tutorial 4 to ask
# whether reorganising pays.

"""What the media hear: the voices of the customers each medium reaches, in one pass.

Arrays
------
reach_ptr : int64 (M + 1,)     medium ``m`` reaches ``reach[reach_ptr[m]:reach_ptr[m + 1]]``
reach : int64 (R,)
voice : int8 (C,)              this step's voice of each customer: -1, 0 (silent) or +1
active : uint8 (C,)
out_net, out_voiced : float64 (M,)   mean voice sign and share that voiced, over the active
                                     customers reached (0 where none is active)
"""

import numpy as np

from simulation.kernels._config import kernel


@kernel
def media_voices(reach_ptr, reach, voice, active, out_net, out_voiced):
    """Mean voice sign and voiced share over the active customers each medium reaches.

    The same sums, in the same order, as averaging ``sign(voice)`` and ``|sign(voice)|``
    over the reach one after the other, without building those arrays over every customer.
    """
    for m in range(out_net.shape[0]):
        net = 0.0
        voiced = 0.0
        count = 0
        for p in range(reach_ptr[m], reach_ptr[m + 1]):
            c = reach[p]
            if active[c] != 0:
                if voice[c] > 0:
                    net += 1.0
                    voiced += 1.0
                elif voice[c] < 0:
                    net += -1.0
                    voiced += 1.0
                else:
                    net += 0.0
                    voiced += 0.0
                count += 1
        out_net[m] = net / count if count > 0 else 0.0
        out_voiced[m] = voiced / count if count > 0 else 0.0


@kernel
def media_said(reach_ptr, reach, voice, active, out_said):
    """What each medium's audience says: ``(positive - negative) / (positive + negative)``
    voices of the active customers it reaches (0 where none voiced), as the ratio of the two
    means :func:`media_voices` computes (the same divisions, so the same numbers)."""
    media = out_said.shape[0]
    net = np.empty(media)
    voiced = np.empty(media)
    media_voices(reach_ptr, reach, voice, active, net, voiced)
    for m in range(media):
        out_said[m] = net[m] / voiced[m] if voiced[m] > 0 else 0.0


@kernel
def move_stances(stance, who, target, rate):
    """Stakeholder ``who[k]`` moves its stance a share ``rate`` of the way to ``target[k]``:
    ``(1 - rate) x stance + rate x target``, in place."""
    keep = 1 - rate
    for k in range(who.shape[0]):
        stance[who[k]] = keep * stance[who[k]] + rate * target[k]

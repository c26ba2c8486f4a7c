"""The firm's people in the customer conversation: who pays for it and what sensors hear.

Arrays
------
sensors : int64 (n,)            employees whose tests are this step's (distinct)
talking : int64 (T,)            the conversing employees (distinct)
tie_employee, tie_customer : int64 (K,)   tie ``k`` joins an employee to a customer
voice : int8 (C,); buying, active : uint8 (C,)   the customers this step
alive : uint8 (E,); capacity_left : int64 (E,)   changed in place (one unit per payer)
responders : int64 (n,); noise : float64 (n,)    the tests' answers; ``noise`` scaled in place
firm_voices : float64 (C,)       the answers each customer gets this step (added to in place)
"""

import math

import numpy as np

from simulation.kernels._config import kernel


@kernel
def hear_customers(sensors, talking, tie_employee, tie_customer, voice, buying, active, alive,
                   capacity_left, responders, noise):
    """Conversing employees pay one unit each; sensors among them hear their customers.

    Every alive conversing employee with capacity left spends one unit. A sensor that paid
    counts the tied customers who are active, buy and voiced this step (``h``); with ``m > 0``
    responders to its test and ``h > 0``, the mean of the ``m + h`` answers has its noise
    scaled by ``sqrt(m / (m + h))``. Returns how many employees paid.
    """
    paid = np.zeros(alive.shape[0], dtype=np.bool_)
    paying = 0
    for i in range(talking.shape[0]):
        e = talking[i]
        if alive[e] == 1 and capacity_left[e] > 0:
            capacity_left[e] -= 1
            paid[e] = True
            paying += 1
    heard = np.zeros(alive.shape[0], dtype=np.int64)
    for k in range(tie_employee.shape[0]):
        c = tie_customer[k]
        if voice[c] != 0 and buying[c] == 1 and active[c] == 1:
            heard[tie_employee[k]] += 1
    for k in range(sensors.shape[0]):
        e = sensors[k]
        m = responders[k]
        h = heard[e]
        if paid[e] and m > 0 and h > 0:
            noise[k] *= math.sqrt(m / (m + h))
    return paying


@kernel
def answer_complaints(tie_employee, tie_customer, alive, voice, active, firm_voices,
                      out_answered):
    """Each tie whose employee is still here and whose customer is active and voiced a
    complaint this step gives that customer one answer (``firm_voices`` + 1, per tie).

    The answered customers go to ``out_answered`` in tie order (a customer twice if two
    ties answer it); returns how many. The passes of
    :func:`simulation.core.conversation.speak` (masks over the ties, then ``np.add.at``),
    fused: the same additions of 1.0 in the same order.
    """
    answered = 0
    for k in range(tie_employee.shape[0]):
        c = tie_customer[k]
        if alive[tie_employee[k]] == 1 and voice[c] < 0 and active[c] == 1:
            firm_voices[c] += 1.0
            out_answered[answered] = c
            answered += 1
    return answered

"""Sensing: employees test a change on a sample of their segment's customers.

Arrays
------
sensor_module, sensor_segment : int64 (n,)   scope of each test; module -1 means any module
module_start : int64 (G + 1,)                 attributes of module g: module_start[g]:[g+1]
variant_of_segment : int64 (S,)               product variant each segment buys
products : uint8 (V, N)                       the product variants as they are now
dependencies, dependents_ptr, dependents, module_of : landscape structure (shared)
contributions : float64 (S, N, 2**(K+1))      one contribution table per segment
max_fitness : float64 (S,)                    global optimum of each segment's landscape
segment_start : int64 (S + 1,)                customers are stored sorted by segment
active, buying : uint8 (C,)
attribute_draw : float64 (n,)                 uniforms: which attribute to test
sample_draw : float64 (n, m)                  uniforms: which customers to ask
noise_draw : float64 (n, m)                   normals already scaled by the feedback noise
outputs (n,): attribute, value, local_effect, noise, responders

Rule
----
The employee picks an attribute of its module and proposes setting it to the other value.
Only its module's contributions show in a module-level test, so the change's true *local*
effect is ``delta_module + awareness * (delta_total - delta_module)`` (fitness normalised by
the segment's optimum; ``awareness`` is the side-effect awareness w). Each sampled customer
who buys answers with that effect plus its own noise; the estimate is the mean answer, so its
noise shrinks as one over the square root of the responders. No responder, no estimate.
"""

import numpy as np

from simulation.kernels._config import kernel
from simulation.kernels.nk import change_effect


@kernel
def sense_changes(
    sensor_module, sensor_segment, module_start, variant_of_segment, products,
    dependencies, contributions, max_fitness, dependents_ptr, dependents, module_of,
    segment_start, active, buying, awareness, attribute_draw, sample_draw, noise_draw,
    out_attribute, out_value, out_local, out_noise, out_responders,
):
    """Run one test per sensor; see the module docstring."""
    for t in range(sensor_module.shape[0]):
        segment = sensor_segment[t]
        module = sensor_module[t]
        if module < 0:
            first = 0
            last = dependencies.shape[0]
        else:
            first = module_start[module]
            last = module_start[module + 1]
        attribute = first + np.int64(attribute_draw[t] * (last - first))
        product = products[variant_of_segment[segment]]
        value = np.uint8(1 - product[attribute])
        delta_total, delta_module = change_effect(
            product, attribute, value, dependencies, contributions[segment], dependents_ptr,
            dependents, module_of, module_of[attribute],
        )
        delta_total /= max_fitness[segment]
        delta_module /= max_fitness[segment]
        out_attribute[t] = attribute
        out_value[t] = value
        out_local[t] = delta_module + awareness * (delta_total - delta_module)
        start = segment_start[segment]
        size = segment_start[segment + 1] - start
        total = 0.0
        count = 0
        for s in range(sample_draw.shape[1]):
            customer = start + np.int64(sample_draw[t, s] * size)
            if size > 0 and active[customer] != 0 and buying[customer] != 0:
                total += noise_draw[t, s]
                count += 1
        out_responders[t] = count
        out_noise[t] = total / count if count > 0 else 0.0

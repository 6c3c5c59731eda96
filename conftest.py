"""Settings for every test run from the project's root, notebooks included.

A MPLBACKEND in the environment (Agg is common on servers and CI runners) would be inherited
by the notebook kernels that nbval starts, and would replace their inline backend: every
figure would vanish from the outputs. The notebooks choose their own backend, so it goes.
"""

import os

os.environ.pop("MPLBACKEND", None)

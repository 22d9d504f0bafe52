"""The sample département of THD-SSD: its generator and the generated YAML inventory (data/)."""

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

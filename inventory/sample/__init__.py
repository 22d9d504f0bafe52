"""The sample département of THD-SSD: its generator and the generated YAML inventory (data/)."""

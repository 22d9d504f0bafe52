"""thdmon: network and Wi-Fi operations monitor of THD-SSD."""

"""SSH collection (netmiko): configuration backup with history, and facts only the CLI gives."""
